"""The public agenda: published upcoming events without signing in, filtered as the feed is,
subscription links for the current filter, instructions for the calendar programs; each
published event's public page with its .ics link. Drafts, deleted events and anything of
the register (participants, people) never show; a bad filter is a 400 naming it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from crm.extensions import db as _db
from crm.models import Event, EventParticipant, Organisation, utcnow
from crm.services.checks import MAX_ID
from crm.services.events import records, series
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.views.test_events_pages import ROLES, _event_data

BERLIN = ZoneInfo("Europe/Berlin")


def _ahead(days: int) -> date:
    return datetime.now(BERLIN).date() + timedelta(days=days)


@pytest.fixture()
def agenda(db):
    organiser = factories.make_user("organiser")
    organisation = factories.make_organisation("Agoria")
    anna = factories.make_person("Annelies", "Vermeulen", organisation, email="av@agoria.example")
    published = records.create_event(
        organiser,
        _event_data(
            title="CSR day for SMEs in Brussels",
            country_code="BE",
            city="Brussels",
            timezone="Europe/Brussels",
            subitems=["2.2"],
        ),
    )
    fair = records.create_event(
        organiser,
        _event_data(
            title="METAV trade fair",
            kind="trade-fair",
            is_all_day=True,
            start_date=_ahead(50).isoformat(),
            end_date=_ahead(53).isoformat(),
            start_time="",
            end_time="",
            subitems=["1.3c"],
        ),
    )
    draft = records.create_event(
        organiser, _event_data(title="Internal planning meeting", is_published=False)
    )
    past = records.create_event(
        organiser,
        _event_data(
            title="Last year's general assembly",
            start_date=_ahead(-200).isoformat(),
            end_date=_ahead(-200).isoformat(),
        ),
    )
    _db.session.add(EventParticipant(event_id=published.id, person_id=anna.id))
    _db.session.commit()
    return {"published": published, "fair": fair, "draft": draft, "past": past, "anna": anna}


def test_the_agenda_is_public_and_shows_published_upcoming_events(client, agenda) -> None:
    response = client.get("/agenda")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CSR day for SMEs in Brussels" in page and "METAV trade fair" in page
    assert "Internal planning meeting" not in page  # a draft
    assert "Last year's general assembly" not in page  # past
    assert "Vermeulen" not in page and "av@agoria.example" not in page
    for program in ("Google Calendar", "Outlook", "Apple Calendar", "Thunderbird"):
        assert program in page
    assert 'href="webcal://127.0.0.1:5000/calendar/events.ics"' in page
    assert "http://127.0.0.1:5000/calendar/events.ics" in page
    assert 'href="/login"' in page  # signed out: the way in


def test_the_subscription_links_carry_the_current_filter(client, agenda) -> None:
    page = client.get("/agenda?subitem=1.3c&country=de&kind=trade-fair&our_role=speaker").get_data(
        as_text=True
    )
    assert "METAV trade fair" in page and "CSR day for SMEs" not in page
    found = [part.split('"')[0] for part in page.split('href="webcal://')[1:]]
    assert len(found) == 1
    query = parse_qs(urlsplit("webcal://" + found[0].replace("&amp;", "&")).query)
    # The feed's filters only: "our role" is not the public's to filter on.
    assert query == {"subitem": ["1.3c"], "country": ["de"], "kind": ["trade-fair"]}


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ("kind=party", "kind"),
        ("country=XX", "country"),
        ("subitem=1.3", "subitem"),
        ("subitem=%00", "subitem"),
        ("commitment=banana", "commitment"),
        ("page=abc", "page"),
        ("page=" + "9" * 40, "page"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, agenda, args, name) -> None:
    response = client.get(f"/agenda?{args}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"{name}:" in page and 'class="filters"' in page


def test_an_events_public_page_and_its_ics_link(client, agenda) -> None:
    published = agenda["published"]
    response = client.get(f"/agenda/{published.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CSR day for SMEs in Brussels" in page
    assert f'href="/agenda/{published.id}.ics"' in page
    assert "<strong>Programme</strong>" in page
    assert "Vermeulen" not in page and "Participants" not in page
    assert "/events/" not in page  # no way into the internal pages
    fair = client.get(f"/agenda/{agenda['fair'].id}").get_data(as_text=True)
    assert "(all day)" in fair


def test_drafts_deleted_and_unknown_events_are_the_same_404(client, agenda) -> None:
    deleted = _db.session.get(Event, agenda["fair"].id)
    deleted.deleted_at = utcnow()
    _db.session.commit()
    answers = {
        client.get(path).get_data(as_text=True)
        for path in (
            f"/agenda/{agenda['draft'].id}",
            f"/agenda/{deleted.id}",
            "/agenda/999999",
        )
    }
    assert len(answers) == 1
    assert client.get(f"/agenda/{MAX_ID + 1}").status_code == 404
    assert client.get(f"/agenda/{agenda['draft'].id}").status_code == 404
    assert client.get("/agenda/abc").status_code == 404


def test_every_role_sees_the_same_public_agenda(client, agenda) -> None:
    for role in ROLES:
        user = factories.make_user(role)
        _db.session.commit()
        assert sign_in(client, user.email).status_code == 302
        page = client.get("/agenda").get_data(as_text=True)
        assert "CSR day for SMEs in Brussels" in page and "Internal planning" not in page, role
        assert client.get(f"/agenda/{agenda['draft'].id}").status_code == 404, role
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_the_agenda_never_writes_and_takes_no_posts(client, agenda) -> None:
    assert client.post("/agenda").status_code in (400, 405)
    assert client.post(f"/agenda/{agenda['published'].id}").status_code in (400, 405)


def test_times_elsewhere_are_repeated_in_the_programmes_zone_for_visitors(client, agenda) -> None:
    organiser = factories.make_user("organiser")
    day = datetime.now(ZoneInfo("America/Chicago")).date() + timedelta(days=20)
    event = records.create_event(
        organiser,
        _event_data(
            title="IMTS Chicago",
            timezone="America/Chicago",
            country_code="US",
            start_date=day.isoformat(),
            end_date=day.isoformat(),
        ),
    )
    _db.session.commit()
    page = client.get(f"/agenda/{event.id}").get_data(as_text=True)
    assert "09:30–17:00" in page and "(America/Chicago)" in page
    assert "In Europe/Brussels: " in page and "For you" not in page
    listing = client.get("/agenda").get_data(as_text=True)
    assert "In Europe/Brussels: " in listing


# A running series (issue 10, M2) ------------------------------------------------------------


def _running_clinic():
    """A weekly clinic that began almost ten weeks ago, 14 times: the 11th (the first still to
    come) cancelled, the 12th moved a day later."""
    organiser = factories.make_user("organiser")
    first = _ahead(-69)  # the 11th is tomorrow
    clinic = records.create_event(
        organiser,
        _event_data(
            title="DESIGN-MTS SME clinic",
            start_date=first.isoformat(),
            end_date=first.isoformat(),
            recurrence="weekly",
            recurrence_end="count",
            recurrence_count=14,
        ),
    )
    _db.session.commit()
    keys = [o.key for o in series.all_occurrences(clinic)]
    series.cancel_occurrence(organiser, clinic, keys[10])
    moved_to = (first + timedelta(weeks=11, days=1)).isoformat()
    series.move_occurrence(
        organiser,
        clinic,
        keys[11],
        {"start_date": moved_to, "start_time": "11:00", "end_date": moved_to, "end_time": "12:00"},
    )
    _db.session.commit()
    return clinic, first


def _day_words(d: date) -> str:
    return f"{d:%a} {d.day:02d} {d:%b %Y}"


def test_a_running_series_is_listed_at_its_next_date_not_its_first(client, agenda) -> None:
    clinic, first = _running_clinic()
    page = client.get("/agenda").get_data(as_text=True)
    item = page.split("DESIGN-MTS SME clinic", 1)[1].split("</li>", 1)[0]
    assert _day_words(first) not in item  # the first date is long past
    # The 11th (first + 10 weeks) is cancelled: the next is the moved 12th.
    assert "Next:" in item and _day_words(first + timedelta(weeks=11, days=1)) in item
    assert "moved from " + _day_words(first + timedelta(weeks=11)) in item
    assert "3 dates left" in item  # the 12th, 13th and 14th; the cancelled 11th not counted


def test_a_series_public_page_lists_the_coming_dates_cancelled_and_moved(client, agenda) -> None:
    clinic, first = _running_clinic()
    page = client.get(f"/agenda/{clinic.id}").get_data(as_text=True)
    dates = page.split('id="dates"', 1)[1].split("</section>", 1)[0]
    assert _day_words(first) not in dates
    items = re.findall(r"<li[^>]*>(.*?)</li>", dates, re.S)
    assert len(items) == 4  # the 11th (cancelled) to the 14th
    assert _day_words(first + timedelta(weeks=10)) in items[0] and "Cancelled" in items[0]
    assert "<del>" in items[0]
    assert "Moved" in items[1] and "from " + _day_words(first + timedelta(weeks=11)) in items[1]
    assert "11:00" in items[1]
    assert _day_words(first + timedelta(weeks=13)) in items[3]
    assert "Next:" in page and "14 times" in page


def test_a_public_page_has_one_address_and_a_repeated_page_is_refused(client, agenda) -> None:
    published = agenda["published"]
    response = client.get(f"/agenda/0{published.id}")
    assert response.status_code == 308
    assert response.headers["Location"] == f"/agenda/{published.id}"
    for query in ("page=1&page=2", "page=%2B1"):
        response = client.get(f"/agenda?{query}")
        assert response.status_code == 400, query
        assert "page:" in response.get_data(as_text=True)


def test_the_public_page_names_only_a_live_organisation_of_the_register(client, agenda) -> None:
    organiser = factories.make_user("organiser")
    agoria = factories.make_organisation("Agoria Technology Federation")
    typed = records.create_event(
        organiser, _event_data(title="Typed organiser", organiser_name="Jan Peeters")
    )
    listed = records.create_event(
        organiser,
        _event_data(
            title="Register organiser", organiser_organisation_id=agoria.id, organiser_name=""
        ),
    )
    _db.session.commit()
    page = client.get(f"/agenda/{typed.id}").get_data(as_text=True)
    assert "Jan Peeters" not in page and "Organiser" not in page  # it may be a person's
    page = client.get(f"/agenda/{listed.id}").get_data(as_text=True)
    assert "Agoria Technology Federation" in page
    _db.session.get(Organisation, agoria.id).deleted_at = utcnow()  # detached by the request
    _db.session.commit()
    page = client.get(f"/agenda/{listed.id}").get_data(as_text=True)
    assert "Agoria Technology Federation" not in page
    # The internal page names it, without a link to the deleted record.
    user = factories.make_user("viewer")
    _db.session.commit()
    assert sign_in(client, user.email).status_code == 302
    page = client.get(f"/events/{listed.id}").get_data(as_text=True)
    assert "Agoria Technology Federation" in page and "deleted from the register" in page
    assert f'href="/organisations/{agoria.id}"' not in page
    page = client.get(f"/events/{typed.id}").get_data(as_text=True)
    assert "Jan Peeters" in page


def test_a_refused_filter_offers_the_whole_agendas_feed_saying_so(client, agenda) -> None:
    response = client.get("/agenda?kind=bogus&country=DE")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    found = [part.split('"')[0] for part in page.split('href="webcal://')[1:]]
    assert found == ["127.0.0.1:5000/calendar/events.ics"]  # not the refused filter's 400
    assert "kind=bogus" not in page.split('id="subscribe"', 1)[1]
    assert "links are for the whole agenda" in page
    # The feed behind the link answers.
    assert client.get("/calendar/events.ics").status_code == 200
    assert client.get("/calendar/events.ics?kind=bogus").status_code == 400
