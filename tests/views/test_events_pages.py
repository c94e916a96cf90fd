"""The event pages: the list and its filters, the month grid, an event's page, the form (new
and edit), postponing and cancelling, a series' occurrences (cancel, move, restore), the
participants (add, update, remove), and "My calendar feed" on the account. Every route for
anonymous visitors and every role, bad input beside its field with nothing written, stale
versions (409), and never a 500 for whatever the URL, the query string or the form holds."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    Attendance,
    Event,
    EventOccurrence,
    EventParticipant,
    EventStatus,
    ParticipantRole,
    User,
    utcnow,
)
from crm.services.checks import MAX_ID
from crm.services.events import records, series, tokens
from tests import factories
from tests.conftest import csrf_token, sign_in

BERLIN = ZoneInfo("Europe/Berlin")
ROLES = ("admin", "coordinator", "officer", "organiser", "viewer")


def _count(model: type = Event) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field}"
    return match.group(1)


def _fresh(event_id: int) -> Event:
    event = _db.session.get(Event, event_id)
    _db.session.refresh(event)
    return event


def _ahead(days: int) -> date:
    return datetime.now(BERLIN).date() + timedelta(days=days)


def _event_data(**override: object) -> dict[str, object]:
    """A timed conference in Berlin a month ahead, as the form sends it."""
    day = _ahead(30).isoformat()
    data: dict[str, object] = {
        "title": "CSR in machine tools: the DESIGN-MTS guidelines",
        "kind": "conference",
        "is_all_day": False,
        "start_date": day,
        "start_time": "09:30",
        "end_date": day,
        "end_time": "17:00",
        "timezone": "Europe/Berlin",
        "venue": "Messe Berlin, Hall 7",
        "city": "Berlin",
        "country_code": "DE",
        "online_url": "",
        "organiser_organisation_id": None,
        "organiser_name": "VDW",
        "our_role": "speaker",
        "status": "confirmed",
        "is_published": True,
        "subitems": ["1.3c"],
        "description": "**Programme**: the guidelines.",
        "description_format": "markdown",
        "recurrence": "",
        "recurrence_interval": 1,
        "recurrence_end": "",
        "recurrence_until": None,
        "recurrence_count": None,
    }
    data.update(override)
    return data


def _make(owner: User, **override: object) -> Event:
    return records.create_event(owner, _event_data(**override))


@pytest.fixture()
def world(db):
    organiser = factories.make_user("organiser", full_name="Olga Organiser")
    colleague = factories.make_user("officer", full_name="Carl Colleague")
    organisation = factories.make_organisation("Verein Deutscher Werkzeugmaschinenfabriken")
    anna = factories.make_person("Anna", "Schmidt", organisation, email="anna@vdw.example")
    event = _make(organiser)
    theirs = _make(colleague, title="Workshop at AFM", is_published=False, country_code="ES")
    weekly = _make(
        organiser,
        title="Weekly help-desk webinar",
        kind="webinar",
        recurrence="weekly",
        recurrence_end="count",
        recurrence_count=4,
        country_code="",
        online_url="https://meet.example.org/csr",
        venue="",
        city="",
    )
    db.session.commit()
    return {
        "organiser": organiser,
        "colleague": colleague,
        "organisation": organisation,
        "anna": anna,
        "event": event,
        "theirs": theirs,
        "weekly": weekly,
    }


def _as(client, user: User) -> None:
    response = sign_in(client, user.email)
    assert response.status_code == 302


def _form(client, path: str = "/events/new", **override: object) -> dict[str, object]:
    """What the event form sends for the conference of ``_event_data``."""
    day = _ahead(40).isoformat()
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, path),
        "title": "EMO Hannover: the CSR corner",
        "kind": "trade-fair",
        "our_role": "exhibitor",
        "status": "planned",
        "timing": "timed",
        "start_date": day,
        "start_time": "10:00",
        "end_date": day,
        "end_time": "18:00",
        "timezone": "Europe/Berlin",
        "venue": "Messegelände",
        "city": "Hannover",
        "country_code": "DE",
        "online_url": "",
        "organiser_name": "Deutsche Messe AG",
        "description": "",
        "description_format": "text",
        "recurrence": "",
        "recurrence_interval": "1",
        "recurrence_end": "until",
        "recurrence_until": "",
        "recurrence_count": "",
        "subitem_ids": [str(factories.subitem("1.3c").id)],
    }
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


def _routes(world) -> list[tuple[str, str]]:
    event, weekly = world["event"], world["weekly"]
    key = _keys(weekly)[1]
    return [
        ("get", "/events"),
        ("get", "/events/month"),
        ("get", "/events/new"),
        ("post", "/events/new"),
        ("get", f"/events/{event.id}"),
        ("get", f"/events/{event.id}/edit"),
        ("post", f"/events/{event.id}/edit"),
        ("post", f"/events/{event.id}/postpone"),
        ("post", f"/events/{event.id}/cancel"),
        ("post", f"/events/{weekly.id}/occurrences/{key}/cancel"),
        ("post", f"/events/{weekly.id}/occurrences/{key}/restore"),
        ("post", f"/events/{weekly.id}/occurrences/{key}/move"),
        ("post", f"/events/{event.id}/participants"),
        ("post", f"/events/{event.id}/participants/1"),
        ("post", f"/events/{event.id}/participants/1/remove"),
        ("get", "/account/calendar"),
        ("post", "/account/calendar"),
        ("post", "/account/calendar/revoke"),
    ]


# Who may do what ----------------------------------------------------------------------------


def test_every_route_sends_anonymous_visitors_to_sign_in(client, world) -> None:
    token = csrf_token(client)
    for method, path in _routes(world):
        data = {"csrf_token": token} if method == "post" else None
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)
    event = _fresh(world["event"].id)
    assert event.status == EventStatus.CONFIRMED and event.version == world["event"].version


def test_viewers_read_events_but_change_nothing(client, signed_in, world) -> None:
    signed_in("viewer")
    token = csrf_token(client, "/")
    readable = {"/events", "/events/month", f"/events/{world['event'].id}", "/account/calendar"}
    before = _count()
    for method, path in _routes(world):
        if path.startswith("/account"):
            continue
        data = {"csrf_token": token, "version": "1"} if method == "post" else None
        response = getattr(client, method)(path, data=data)
        expected = 200 if method == "get" and path in readable else 403
        assert response.status_code == expected, (method, path)
    page = client.get(f"/events/{world['event'].id}").get_data(as_text=True)
    assert "CSR in machine tools" in page
    assert "/edit" not in page and "/cancel" not in page and "Add a participant" not in page
    assert "Log outreach at this event" not in page  # viewers log nothing
    assert "New event" not in client.get("/events").get_data(as_text=True)
    assert _count() == before
    assert _fresh(world["event"].id).status == EventStatus.CONFIRMED


@pytest.mark.parametrize("role", ["officer", "organiser"])
def test_officers_and_organisers_change_their_own_events_only(
    client, signed_in, world, role
) -> None:
    user = signed_in(role)
    own = _make(user, title=f"Own event of the {role}")
    _db.session.commit()
    assert client.get(f"/events/{own.id}/edit").status_code == 200
    assert client.get("/events/new").status_code == 200
    theirs = world["theirs"]
    token = csrf_token(client, "/")
    assert client.get(f"/events/{theirs.id}").status_code == 200
    for method, path in _routes(world)[5:15]:
        path = path.replace(f"/events/{world['event'].id}/", f"/events/{theirs.id}/")
        if "/occurrences/" in path:
            continue  # the series is the organiser's: below
        response = getattr(client, method)(
            path, data={"csrf_token": token, "version": "1"} if method == "post" else None
        )
        assert response.status_code == 403, (method, path)
    page = client.get(f"/events/{theirs.id}").get_data(as_text=True)
    assert f'href="/events/{theirs.id}/edit"' not in page
    assert "Log outreach at this event" in page  # they log outreach at anyone's event
    assert _fresh(theirs.id).version == theirs.version


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_admins_and_coordinators_change_anyones_events(client, signed_in, world, role) -> None:
    signed_in(role)
    theirs = world["theirs"]
    page = client.get(f"/events/{theirs.id}/edit")
    assert page.status_code == 200
    response = client.post(
        f"/events/{theirs.id}/cancel",
        data={"csrf_token": csrf_token(client, "/"), "version": str(theirs.version)},
    )
    assert response.status_code == 302
    assert _fresh(theirs.id).status == EventStatus.CANCELLED


def test_every_role_sees_the_lists_and_the_nav_entries(client, world) -> None:
    for role in ROLES:
        user = factories.make_user(role)
        _db.session.commit()
        _as(client, user)
        for path in (
            "/events",
            "/events/month",
            f"/events/{world['event'].id}",
            "/agenda",
            f"/agenda/{world['event'].id}",
            "/account/calendar",
        ):
            response = client.get(path)
            assert response.status_code == 200, (role, path)
        nav = client.get("/").get_data(as_text=True)
        assert 'href="/events"' in nav and 'href="/agenda"' in nav, role
        # Each role may have the private feed of its follow-ups.
        response = client.post(
            "/account/calendar", data={"csrf_token": csrf_token(client, "/account/calendar")}
        )
        assert response.status_code == 200 and "/calendar/followups/" in response.get_data(
            as_text=True
        ), role
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    anonymous = client.get("/agenda").get_data(as_text=True)
    assert 'href="/agenda"' in anonymous and 'href="/events"' not in anonymous


# The form -------------------------------------------------------------------------------------


def test_an_organiser_creates_a_timed_event_read_in_its_zone(client, world) -> None:
    _as(client, world["organiser"])
    organisation = world["organisation"]
    response = client.post(
        "/events/new",
        data=_form(client, organisation_ids=[str(organisation.id)], is_published="y"),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    event = _db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
    assert event.title == "EMO Hannover: the CSR corner"
    assert event.created_by_id == world["organiser"].id
    assert event.is_published and event.organiser_organisation_id == organisation.id
    assert [item.code for item in event.subitems] == ["1.3c"]
    start = event.starts_at.astimezone(BERLIN)
    assert (start.date(), start.strftime("%H:%M")) == (_ahead(40), "10:00")
    assert response.headers["Location"].endswith(f"/events/{event.id}")


def test_an_all_day_fair_over_several_days_and_a_series(client, world) -> None:
    _as(client, world["organiser"])
    first, last = _ahead(60), _ahead(64)
    response = client.post(
        "/events/new",
        data=_form(
            client,
            timing="all-day",
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            start_time="",
            end_time="",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    fair = _db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
    assert fair.is_all_day and (fair.start_date, fair.end_date) == (first, last)
    response = client.post(
        "/events/new",
        data=_form(
            client,
            title="Monthly SME clinic",
            recurrence="monthly",
            recurrence_interval="2",
            recurrence_end="until",
            recurrence_until=_ahead(400).isoformat(),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    clinic = _db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
    assert clinic.recurrence.value == "monthly" and clinic.recurrence_interval == 2
    assert clinic.recurrence_until == _ahead(400) and clinic.recurrence_count is None


@pytest.mark.parametrize(
    ("override", "field", "says"),
    [
        ({"title": ""}, "title", ""),
        ({"title": "x" * 301}, "title", "300"),
        ({"kind": ""}, "kind", ""),
        ({"kind": "party"}, "kind", "party"),
        ({"our_role": "sponsor"}, "our_role", "sponsor"),
        ({"status": "maybe"}, "status", "maybe"),
        ({"timing": "sometimes"}, "timing", "sometimes"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", ""),
        ({"timezone": "x" * 500}, "timezone", ""),
        ({"start_date": "2027-02-30"}, "start_date", ""),
        ({"start_date": "tomorrow"}, "start_date", ""),
        ({"start_time": "25:00"}, "start_time", ""),
        ({"start_time": "NaN"}, "start_time", ""),
        ({"end_time": "09:00"}, "end_date", "before"),
        ({"online_url": "javascript:alert(1)"}, "online_url", ""),
        ({"country_code": "XX"}, "country_code", ""),
        ({"country_code": "", "online_url": ""}, "country_code", ""),
        ({"organisation_ids": ["abc"]}, "organisation_ids", "abc"),
        ({"organisation_ids": [str(MAX_ID + 1)]}, "organisation_ids", ""),
        ({"organisation_ids": ["999999"]}, "organisation_ids", "999999"),
        ({"subitem_ids": ["999999"]}, "subitem_ids", "999999"),
        ({"subitem_ids": ["１"]}, "subitem_ids", ""),
        ({"subitems_query": "no such sub-item at all"}, "subitem_ids", ""),
        ({"recurrence": "daily"}, "recurrence", "daily"),
        ({"recurrence": "weekly", "recurrence_end": ""}, "recurrence_end", "end"),
        ({"recurrence": "weekly", "recurrence_until": ""}, "recurrence_until", ""),
        ({"recurrence": "weekly", "recurrence_interval": "13"}, "recurrence_interval", ""),
        (
            {"recurrence": "weekly", "recurrence_end": "count", "recurrence_count": "1"},
            "recurrence_count",
            "",
        ),
        ({"recurrence": "weekly", "recurrence_end": "forever"}, "recurrence_end", "forever"),
        ({"description": "a\x00b"}, "description", ""),
        ({"description_format": "html"}, "description_format", "html"),
        ({"next": "https://evil.example/"}, "next", ""),
    ],
)
def test_a_refused_form_says_why_beside_the_field_and_writes_nothing(
    client, world, override, field, says
) -> None:
    _as(client, world["organiser"])
    before = _count()
    response = client.post("/events/new", data=_form(client, **override))
    assert response.status_code == 400, (override, response.status_code)
    page = response.get_data(as_text=True)
    if field == "next":  # a hidden field: its error is in the summary
        assert "the page to return to must be a path on this site" in page
    else:
        assert says in _error_beside(page, field)
    assert 'class="error-summary"' in page
    assert _count() == before
    # What was typed is still there (the title, at least).
    if "title" not in override:
        assert 'value="EMO Hannover: the CSR corner"' in page


def test_the_skipped_hour_of_a_zone_is_refused(client, world) -> None:
    _as(client, world["organiser"])
    spring = date(datetime.now(BERLIN).year + 1, 3, 31)
    spring -= timedelta(days=(spring.weekday() + 1) % 7)  # the last Sunday of March
    response = client.post(
        "/events/new",
        data=_form(
            client, start_date=spring.isoformat(), end_date=spring.isoformat(), start_time="02:30"
        ),
    )
    assert response.status_code == 400
    assert _error_beside(response.get_data(as_text=True), "start_time")


def test_a_file_in_a_text_field_is_a_400_naming_it(client, world) -> None:
    _as(client, world["organiser"])
    data = _form(client)
    data["title"] = (io.BytesIO(b"not text"), "title.txt")
    response = client.post("/events/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "title" in response.get_data(as_text=True)


def test_the_edit_form_is_filled_and_saves(client, world) -> None:
    _as(client, world["organiser"])
    event = world["event"]
    page = client.get(f"/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="CSR in machine tools: the DESIGN-MTS guidelines"' in page
    assert 'value="09:30"' in page and 'value="17:00"' in page
    assert '<option selected value="Europe/Berlin">' in page or (
        '<option value="Europe/Berlin" selected>' in page
    )
    assert f'name="subitem_ids" value="{factories.subitem("1.3c").id}" checked' in page
    form = _form(
        client,
        f"/events/{event.id}/edit",
        title="CSR in machine tools (moved to the afternoon)",
        start_date=_ahead(30).isoformat(),
        end_date=_ahead(30).isoformat(),
        start_time="14:00",
        end_time="18:00",
        version=str(event.version),
    )
    response = client.post(f"/events/{event.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh = _fresh(event.id)
    assert fresh.title.endswith("(moved to the afternoon)")
    assert fresh.starts_at.astimezone(BERLIN).strftime("%H:%M") == "14:00"
    assert fresh.sequence > 0


def test_a_stale_edit_is_a_409_showing_both_versions(client, world) -> None:
    _as(client, world["organiser"])
    event = _fresh(world["event"].id)
    seen = event.version
    records.update_event(
        world["organiser"],
        event,
        {**records.stored_values(event), "title": "Renamed meanwhile"},
        seen,
    )
    _db.session.commit()
    response = client.post(
        f"/events/{event.id}/edit",
        data=_form(client, f"/events/{event.id}/edit", title="My title", version=str(seen)),
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed by someone else" in page
    assert "Renamed meanwhile" in page and "My title" in page
    assert _fresh(event.id).title == "Renamed meanwhile"
    # A version that is not a number is a conflict as well, never a 500.
    response = client.post(
        f"/events/{event.id}/edit",
        data=_form(client, f"/events/{event.id}/edit", version="NaN"),
    )
    assert response.status_code == 409


# An event's page ------------------------------------------------------------------------------


def test_the_page_shows_times_in_the_events_zone_and_the_viewers(client, world) -> None:
    officer = world["colleague"]
    officer.timezone = "America/New_York"
    _db.session.commit()
    _as(client, officer)
    event = world["event"]
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    day = _ahead(30)
    assert f"{day:%a} {day.day:02d} {day:%b %Y}, 09:30–17:00" in page
    assert "(Europe/Berlin)" in page
    assert "For you:" in page and "(America/New_York)" in page
    assert "<strong>Programme</strong>" in page  # the Markdown description, rendered
    assert "Messe Berlin, Hall 7, Berlin, Germany" in page
    assert f'href="/outreach/new?event={event.id}&amp;next=/events/{event.id}"' in page
    # The outreach form opens with the event chosen.
    form = client.get(f"/outreach/new?event={event.id}").get_data(as_text=True)
    assert re.search(
        rf'<option selected value="{event.id}">|<option value="{event.id}" selected', form
    )
    # Seen from Berlin, the times are not repeated.
    officer = _db.session.get(User, officer.id)
    officer.timezone = "Europe/Berlin"
    _db.session.commit()
    assert "For you:" not in client.get(f"/events/{event.id}").get_data(as_text=True)


def test_a_hostile_description_is_shown_as_text(client, world) -> None:
    organiser = world["organiser"]
    event = _make(
        organiser,
        description="<script>alert(1)</script> [x](javascript:alert(1))"
        " <img src=x onerror=alert(2)>",
    )
    _db.session.commit()
    _as(client, organiser)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_unknown_and_impossible_ids_are_404(client, signed_in, world) -> None:
    signed_in("admin")
    for path in (
        "/events/999999",
        f"/events/{MAX_ID + 1}",
        "/events/99999999999999999999",
        "/events/١",
        "/events/-1",
        "/events/abc",
    ):
        assert client.get(path).status_code == 404, path
    deleted = _fresh(world["theirs"].id)
    deleted.deleted_at = utcnow()
    _db.session.commit()
    assert client.get(f"/events/{deleted.id}").status_code == 404


# Postpone and cancel --------------------------------------------------------------------------


def test_postponing_to_new_dates_and_cancelling(client, world) -> None:
    _as(client, world["organiser"])
    event = world["event"]
    token = csrf_token(client, f"/events/{event.id}")
    later = _ahead(90).isoformat()
    response = client.post(
        f"/events/{event.id}/postpone",
        data={
            "csrf_token": token,
            "version": str(event.version),
            "start_date": later,
            "start_time": "09:30",
            "end_date": later,
            "end_time": "17:00",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh = _fresh(event.id)
    assert fresh.status == EventStatus.POSTPONED
    assert fresh.starts_at.astimezone(BERLIN).date() == _ahead(90)
    # End before start: refused, nothing changed.
    response = client.post(
        f"/events/{event.id}/postpone",
        data={
            "csrf_token": token,
            "version": str(fresh.version),
            "start_date": later,
            "start_time": "12:00",
            "end_date": later,
            "end_time": "11:00",
        },
    )
    assert response.status_code == 400
    assert "before" in response.get_data(as_text=True)
    # A stale version: 409.
    response = client.post(
        f"/events/{event.id}/cancel", data={"csrf_token": token, "version": str(event.version)}
    )
    assert response.status_code == 409
    response = client.post(
        f"/events/{event.id}/cancel", data={"csrf_token": token, "version": str(fresh.version)}
    )
    assert response.status_code == 302
    assert _fresh(event.id).status == EventStatus.CANCELLED
    assert _fresh(event.id).cancelled_at is not None
    # Cancelled twice: a 400 with the reason.
    response = client.post(
        f"/events/{event.id}/cancel",
        data={"csrf_token": token, "version": str(_fresh(event.id).version)},
    )
    assert response.status_code == 400 and "already cancelled" in response.get_data(as_text=True)


def test_steps_without_the_token_are_refused(client, world) -> None:
    _as(client, world["organiser"])
    event = world["event"]
    for path in (
        f"/events/{event.id}/cancel",
        f"/events/{event.id}/postpone",
        f"/events/{event.id}/participants",
    ):
        response = client.post(path, data={"version": str(event.version)})
        assert response.status_code == 400, path
    assert _fresh(event.id).status == EventStatus.CONFIRMED


# Occurrences of a series ----------------------------------------------------------------------


def _keys(event: Event) -> list[str]:
    """The keys of a series' occurrences (the event read again: a request ends the session
    the fixtures' objects came from)."""
    found = series.occurrences(
        _fresh(event.id), datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    )
    return [o.key for o in found]


def test_an_occurrence_is_cancelled_moved_and_restored(client, world) -> None:
    _as(client, world["organiser"])
    weekly = world["weekly"]
    keys = _keys(weekly)
    assert len(keys) == 4
    page = client.get(f"/events/{weekly.id}").get_data(as_text=True)
    assert 'id="occurrences"' in page and page.count("As planned") == 4
    token = csrf_token(client, f"/events/{weekly.id}")
    response = client.post(
        f"/events/{weekly.id}/occurrences/{keys[1]}/cancel", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert "Cancelled" in client.get(f"/events/{weekly.id}").get_data(as_text=True)
    moved_day = (datetime.strptime(keys[2][:8], "%Y%m%d").date() + timedelta(days=1)).isoformat()
    response = client.post(
        f"/events/{weekly.id}/occurrences/{keys[2]}/move",
        data={
            "csrf_token": token,
            "start_date": moved_day,
            "start_time": "11:00",
            "end_date": moved_day,
            "end_time": "12:00",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/events/{weekly.id}").get_data(as_text=True)
    assert "Moved" in page and "11:00" in page
    for key in (keys[1], keys[2]):
        response = client.post(
            f"/events/{weekly.id}/occurrences/{key}/restore", data={"csrf_token": token}
        )
        assert response.status_code == 302
    assert client.get(f"/events/{weekly.id}").get_data(as_text=True).count("As planned") == 4


def test_bad_occurrence_keys_and_moves_never_500(client, world) -> None:
    _as(client, world["organiser"])
    weekly = world["weekly"]
    token = csrf_token(client, f"/events/{weekly.id}")
    key = _keys(weekly)[0]
    for bad in ("20000101T000000Z", "nonsense", "2027"):
        response = client.post(
            f"/events/{weekly.id}/occurrences/{bad}/cancel", data={"csrf_token": token}
        )
        assert response.status_code == 400, bad
    for bad in ("x" * 300, "%00", "a%2Fb", "..", "١٢"):
        response = client.post(
            f"/events/{weekly.id}/occurrences/{bad}/cancel", data={"csrf_token": token}
        )
        assert response.status_code in (400, 404), bad
    for data in (
        {"start_date": "2027-13-01", "start_time": "10:00"},
        {"start_date": "", "start_time": ""},
        {"start_date": key[:4] + "-01-01", "start_time": "NaN", "end_time": "∞"},
    ):
        response = client.post(
            f"/events/{weekly.id}/occurrences/{key}/move", data={"csrf_token": token, **data}
        )
        assert response.status_code == 400, data
    # A single event has no occurrences to step through.
    response = client.post(
        f"/events/{world['event'].id}/occurrences/{key}/cancel", data={"csrf_token": token}
    )
    assert response.status_code == 400
    assert _count(EventOccurrence) == 0


# Participants ---------------------------------------------------------------------------------


def test_participants_are_added_updated_and_removed(client, world) -> None:
    _as(client, world["organiser"])
    event, anna, organisation = world["event"], world["anna"], world["organisation"]
    token = csrf_token(client, f"/events/{event.id}")
    response = client.post(
        f"/events/{event.id}/participants",
        data={
            "csrf_token": token,
            "person_ids": str(anna.id),
            "role": "speaker",
            "attendance": "registered",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(
        f"/events/{event.id}/participants",
        data={
            "csrf_token": token,
            "organisations_query": organisation.name,
            "role": "exhibitor",
            "attendance": "invited",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    rows = _db.session.scalars(
        sa.select(EventParticipant)
        .where(EventParticipant.event_id == event.id)
        .order_by(EventParticipant.id)
    ).all()
    assert [(p.person_id, p.organisation_id, p.role, p.attendance) for p in rows] == [
        (anna.id, None, ParticipantRole.SPEAKER, Attendance.REGISTERED),
        (None, organisation.id, ParticipantRole.EXHIBITOR, Attendance.INVITED),
    ]
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "Anna Schmidt" in page
    speaker = rows[0]
    response = client.post(
        f"/events/{event.id}/participants/{speaker.id}",
        data={
            "csrf_token": token,
            "role": "speaker",
            "attendance": "attended",
            "version": str(speaker.version),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    speaker = _db.session.get(EventParticipant, speaker.id)
    _db.session.refresh(speaker)
    assert speaker.attendance == Attendance.ATTENDED
    response = client.post(
        f"/events/{event.id}/participants/{speaker.id}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert _count(EventParticipant) == 1


def test_participants_refused_with_reasons(client, world) -> None:
    _as(client, world["organiser"])
    event, anna, organisation = world["event"], world["anna"], world["organisation"]
    token = csrf_token(client, f"/events/{event.id}")
    for data in (
        {},
        {"person_ids": "abc"},
        {"person_ids": str(MAX_ID + 5)},
        {"person_ids": "999999"},
        {"person_ids": [str(anna.id), "999999"]},
        {"person_ids": str(anna.id), "role": "king"},
        {"person_ids": str(anna.id), "attendance": "maybe"},
        {"people_query": "x" * 300},
        {"person_ids": str(anna.id), "role": "\x00"},
    ):
        response = client.post(
            f"/events/{event.id}/participants", data={"csrf_token": token, **data}
        )
        assert response.status_code == 400, data
        assert "was not added" in response.get_data(as_text=True)
    assert _count(EventParticipant) == 0
    _db.session.get(type(anna), anna.id).erased_at = utcnow()
    _db.session.commit()
    response = client.post(
        f"/events/{event.id}/participants",
        data={"csrf_token": token, "person_ids": str(anna.id)},
    )
    assert response.status_code == 400
    # Another event's participant is not this one's: 404.
    other = _make(_db.session.get(User, world["organiser"].id), title="Another")
    _db.session.flush()
    row = EventParticipant(event_id=other.id, organisation_id=organisation.id)
    _db.session.add(row)
    _db.session.commit()
    for path in (
        f"/events/{event.id}/participants/{row.id}",
        f"/events/{event.id}/participants/{row.id}/remove",
        f"/events/{event.id}/participants/{MAX_ID + 1}",
    ):
        response = client.post(path, data={"csrf_token": token, "role": "speaker"})
        assert response.status_code == 404, path
    response = client.post(
        f"/events/{other.id}/participants/{row.id}",
        data={
            "csrf_token": token,
            "role": "sponsor",
            "attendance": "attended",
            "version": str(row.version),
        },
    )
    assert response.status_code == 400


# The list and the month ------------------------------------------------------------------------


def test_the_list_filters_and_refuses_unknown_values(client, world) -> None:
    _as(client, world["organiser"])
    page = client.get("/events").get_data(as_text=True)
    assert "CSR in machine tools" in page and "Workshop at AFM" in page
    page = client.get("/events?country=ES").get_data(as_text=True)
    assert "Workshop at AFM" in page and "CSR in machine tools" not in page
    page = client.get("/events?kind=webinar").get_data(as_text=True)
    assert "Weekly help-desk webinar" in page and "Workshop at AFM" not in page
    page = client.get("/events?our_role=speaker&status=confirmed&subitem=1.3c").get_data(
        as_text=True
    )
    assert "CSR in machine tools" in page
    assert "CSR in machine tools" not in client.get("/events?period=past").get_data(as_text=True)
    for args, name in (
        ("kind=party", "kind"),
        ("country=XX", "country"),
        ("subitem=9.9", "subitem"),
        ("commitment=banana", "commitment"),
        ("our_role=king", "our_role"),
        ("status=maybe", "status"),
        ("period=tomorrow", "period"),
        ("from=2027-02-30", "from"),
        ("to=yesterday", "to"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=" + "9" * 40, "page"),
    ):
        response = client.get(f"/events?{args}")
        assert response.status_code == 400, args
        body = response.get_data(as_text=True)
        assert f"{name}:" in body, args
        assert 'class="filters"' in body  # the form is there to correct it


def test_the_month_grid_lists_the_days_and_refuses_bad_months(client, world) -> None:
    _as(client, world["organiser"])
    day = _ahead(30)
    response = client.get(f"/events/month?month={day:%Y-%m}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "CSR in machine tools" in page
    assert f'data-day="{day.isoformat()}"' in page
    assert 'rel="prev"' in page and 'rel="next"' in page
    assert page.count('tabindex="0"') == 1  # one tab stop in the grid
    # Berlin's clock is Brussels': the time alone; Chicago's is not: with its abbreviation.
    assert '<span class="time">09:30</span> CSR in machine tools' in page
    chicago = _make(
        _db.session.get(User, world["organiser"].id),
        title="IMTS Chicago",
        timezone="America/Chicago",
        country_code="US",
    )
    _db.session.commit()
    page = client.get(f"/events/month?month={day:%Y-%m}").get_data(as_text=True)
    zone_name = chicago.starts_at.astimezone(ZoneInfo("America/Chicago")).strftime("%Z")
    assert f'<span class="time">09:30 {zone_name}</span> IMTS Chicago' in page
    assert client.get("/events/month").status_code == 200
    empty = client.get("/events/month?month=2031-02").get_data(as_text=True)
    assert "No events in February 2031 match" in empty
    here = client.get(f"/events/month?month={day:%Y-%m}").get_data(as_text=True)
    assert "No events in" not in here
    for bad in (
        "9999-12",
        "1899-12",
        "2027-13",
        "2027-1",
        "27-01",
        "0000-01",
        "x",
        "2027-01-01",
        "２０２７-01",
        "-1-01",
    ):
        response = client.get(f"/events/month?month={bad}")
        assert response.status_code == 400, bad
        assert "month:" in response.get_data(as_text=True)
    assert client.get("/events/month?month=2027-01&kind=party").status_code == 400


# My calendar feed --------------------------------------------------------------------------------


def test_the_follow_up_feed_is_shown_once_regenerated_and_revoked(client, world) -> None:
    user = world["colleague"]
    _as(client, user)
    page = client.get("/account/calendar").get_data(as_text=True)
    assert "No feed yet" in page and "/calendar/followups/" not in page
    assert 'href="/account/calendar"' in client.get("/account").get_data(as_text=True)
    token = csrf_token(client, "/account/calendar")
    response = client.post("/account/calendar", data={"csrf_token": token})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    found = re.search(r"/calendar/followups/([A-Za-z0-9_-]+)\.ics", page)
    assert found and "will not be shown again" in page
    secret = found.group(1)
    assert "webcal://" in page
    assert tokens.user_for_feed_token(secret).id == user.id
    again = client.get("/account/calendar").get_data(as_text=True)
    assert secret not in again and "A feed is on" in again
    response = client.post("/account/calendar", data={"csrf_token": token})
    newer = re.search(r"/calendar/followups/([A-Za-z0-9_-]+)\.ics", response.get_data(as_text=True))
    assert newer and newer.group(1) != secret
    assert tokens.user_for_feed_token(secret) is None
    response = client.post("/account/calendar/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert tokens.user_for_feed_token(newer.group(1)) is None
    assert "No feed yet" in client.get("/account/calendar").get_data(as_text=True)
    # Without the token nothing changes.
    assert client.post("/account/calendar", data={}).status_code == 400
    assert _db.session.get(User, user.id).feed_token_hash is None


# Whatever the form or the query string holds: never a 500 ---------------------------------

HOSTILE = (
    "",
    "\x00",
    "NaN",
    "-inf",
    "-1",
    "9" * 40,
    "١٢",
    "x" * 5000,
    "<script>alert(1)</script>",
    "2027-02-30",
    "25:61",
    "../../etc/passwd",
    "\u202e\u200b",
)
FORM_FIELDS = (
    "title", "kind", "our_role", "status", "timing", "start_date", "start_time", "end_date",
    "end_time", "timezone", "venue", "city", "country_code", "online_url", "organisation_ids",
    "organisations_query", "organiser_name", "is_published", "subitem_ids", "subitems_query",
    "description", "description_format", "recurrence", "recurrence_interval", "recurrence_end",
    "recurrence_until", "recurrence_count", "version", "next",
)  # fmt: skip


def test_no_value_of_any_field_of_the_form_is_a_500(client, world) -> None:
    _as(client, world["organiser"])
    event = world["event"]
    token = csrf_token(client, "/events/new")
    for path in ("/events/new", f"/events/{event.id}/edit"):
        base = _form(client, path, version=str(event.version))
        for name in FORM_FIELDS:
            for value in (*HOSTILE, ["1", "2"]):
                data = {**base, "csrf_token": token, name: value}
                response = client.post(path, data=data)
                assert response.status_code in (302, 400, 409), (path, name, value)
                if response.status_code == 400:  # refused: said why, on the form
                    page = response.get_data(as_text=True)
                    assert 'class="error-summary"' in page, (path, name, value)
                    assert "data-event-form" in page, (path, name, value)
    # The event the edits were made to still shows.
    assert client.get(f"/events/{event.id}").status_code == 200


def test_no_query_string_or_small_form_is_a_500(client, world) -> None:
    _as(client, world["organiser"])
    event, weekly = world["event"], world["weekly"]
    key = _keys(weekly)[0]
    token = csrf_token(client, f"/events/{event.id}")
    for name in (*LIST_PARAMETERS, "page"):
        for value in (*HOSTILE, ["upcoming", "past"]):
            for path in ("/events", "/events/month", "/agenda"):
                response = client.get(path, query_string={name: value})
                assert response.status_code in (200, 400), (path, name, value)
    posts = {
        f"/events/{event.id}/postpone": ("start_date", "start_time", "end_date", "end_time",
                                         "version"),
        f"/events/{weekly.id}/occurrences/{key}/move": ("start_date", "start_time", "end_date",
                                                        "end_time"),
        f"/events/{event.id}/participants": ("person_ids", "people_query", "organisation_ids",
                                             "organisations_query", "role", "attendance"),
    }  # fmt: skip
    for path, names in posts.items():
        for name in names:
            for value in (*HOSTILE, ["1", "2"]):
                response = client.post(path, data={"csrf_token": token, name: value})
                assert response.status_code in (302, 400, 409), (path, name, value)


LIST_PARAMETERS = ("period", "month", "from", "to", "kind", "country", "subitem", "commitment",
                   "our_role", "status")  # fmt: skip


def test_a_refused_unknown_zone_is_shown_as_no_choice_not_the_first_zone(client, world) -> None:
    _as(client, world["organiser"])
    response = client.post("/events/new", data=_form(client, timezone="Mars/Olympus_Mons"))
    assert response.status_code == 400
    select = re.search(r'<select id="timezone".*?</select>', response.get_data(as_text=True), re.S)
    assert select
    first = re.search(r"<option[^>]*>([^<]*)</option>", select.group(0))
    assert first and first.group(1) == "Choose a time zone"
    assert " selected" not in select.group(0)


def test_a_long_series_lists_its_first_200_occurrences_and_says_so(client, world) -> None:
    organiser = _db.session.get(User, world["organiser"].id)
    long_series = _make(
        organiser,
        title="Weekly clinic for five years",
        recurrence="weekly",
        recurrence_end="until",
        recurrence_until=_ahead(30 + 366 * 5).isoformat(),
    )
    _db.session.commit()
    _as(client, organiser)
    page = client.get(f"/events/{long_series.id}").get_data(as_text=True)
    total = len(_keys(long_series))
    assert total > 200
    assert f'<span class="count">({total})</span>' in page
    assert "The first 200 are listed here" in page
    assert page.count('data-label="State"') == 200


# A running series on the internal pages (issue 10, M2 and L8) --------------------------------


def test_a_running_series_shows_its_next_date_and_past_dates_offer_no_change(client, world) -> None:
    organiser = world["organiser"]
    first = _ahead(-69)  # weekly on this weekday: the 11th is tomorrow
    clinic = _make(
        organiser,
        title="DESIGN-MTS SME clinic",
        start_date=first.isoformat(),
        end_date=first.isoformat(),
        recurrence="weekly",
        recurrence_end="count",
        recurrence_count=14,
    )
    _db.session.commit()
    keys = [o.key for o in series.all_occurrences(clinic)]
    moved_to = (first + timedelta(weeks=11, days=1)).isoformat()
    series.move_occurrence(
        organiser,
        clinic,
        keys[11],
        {"start_date": moved_to, "start_time": "11:00", "end_date": moved_to, "end_time": "12:00"},
    )
    _db.session.commit()
    _as(client, organiser)
    listed = client.get("/events?period=all").get_data(as_text=True)
    row = listed.split("DESIGN-MTS SME clinic", 1)[0].rsplit("<tr>", 1)[1]
    assert "Next:" in row and f"{first + timedelta(weeks=10):%a %d %b %Y}" in row
    assert "4 dates left" in row and f"{first:%a %d %b %Y}" not in row
    page = client.get(f"/events/{clinic.id}").get_data(as_text=True)
    when_cell = r"<tr(?: class=\"inactive\")?>\s*<td data-label=\"When\">(.*?)</tr>"
    rows = re.findall(when_cell, page, re.S)
    assert len(rows) == 14
    for past in rows[:10]:  # past dates: nothing to cancel or move any more
        assert "Cancel this date" not in past and "Move" not in past, past
    assert "Cancel this date" in rows[10] and "Move" in rows[10]
    assert f"Moved from {first + timedelta(weeks=11):%a %d %b %Y} 09:30" in rows[11]
    assert ">Cancel<" not in page  # beside "Cancel the event", each date says which


# Every problem at once (issue 10, M3) --------------------------------------------------------


def _summary_fields(page: str) -> list[str]:
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'<a href="#([a-z_]+)"', summary)


def test_an_empty_form_shows_every_missing_field_at_once_in_the_forms_order(client, world) -> None:
    _as(client, world["organiser"])
    before = _count()
    data = {"csrf_token": csrf_token(client, "/events/new"), "timing": "timed", "timezone": ""}
    response = client.post("/events/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    expected = ["title", "kind", "our_role", "start_date", "start_time", "end_time"]
    for name in expected:
        assert _error_beside(page, name), name
    assert "country" in _error_beside(page, "country_code")
    assert _summary_fields(page) == [*expected, "country_code"]
    assert _count() == before


def test_every_bad_shape_shows_at_once_and_the_service_still_decides(client, world) -> None:
    _as(client, world["organiser"])
    response = client.post(
        "/events/new",
        data=_form(
            client,
            title="x" * 301,
            start_time="25:00",
            timezone="Mars/Olympus_Mons",
            recurrence="weekly",
            recurrence_interval="13",
            online_url="javascript:alert(1)",
            description="a\x00b",
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _summary_fields(page) == [
        "title",
        "start_time",
        "timezone",
        "recurrence_interval",
        "recurrence_until",
        "online_url",
        "description",
    ]
    assert "remove it and save again" in _error_beside(page, "description")
    # A rule of several fields is the service's: its refusal is beside its field.
    response = client.post("/events/new", data=_form(client, end_time="09:00"))
    assert response.status_code == 400
    assert "before" in _error_beside(response.get_data(as_text=True), "end_date")


# Values that read as others (issue 10, L7) ---------------------------------------------------


@pytest.mark.parametrize("sent", ["0", "off", "no", "false", "OFF", ""])
def test_is_published_no_values_leave_the_event_unpublished(client, world, sent) -> None:
    _as(client, world["organiser"])
    response = client.post("/events/new", data=_form(client, is_published=sent))
    assert response.status_code == 302, response.get_data(as_text=True)
    event = _db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
    assert event.is_published is False


def test_is_published_yes_values_and_a_refused_value(client, world) -> None:
    _as(client, world["organiser"])
    response = client.post("/events/new", data=_form(client, is_published="y"))
    assert response.status_code == 302
    event = _db.session.scalars(sa.select(Event).order_by(Event.id.desc())).first()
    assert event.is_published is True
    before = _count()
    response = client.post("/events/new", data=_form(client, is_published="maybe"))
    assert response.status_code == 400
    assert "maybe" in _error_beside(response.get_data(as_text=True), "is_published")
    assert _count() == before


@pytest.mark.parametrize("sent", ["+1", " 1", "1 ", "-1", "0x1", "1e0"])
def test_an_organiser_id_is_plain_digits(client, world, sent) -> None:
    _as(client, world["organiser"])
    before = _count()
    response = client.post("/events/new", data=_form(client, organisation_ids=[sent]))
    assert response.status_code == 400
    assert "digits" in _error_beside(response.get_data(as_text=True), "organisation_ids")
    assert _count() == before


def test_one_event_has_one_address_and_a_repeated_page_is_refused(client, world) -> None:
    _as(client, world["organiser"])
    event = world["event"]
    for path, canonical in (
        (f"/events/0{event.id}", f"/events/{event.id}"),
        (f"/events/00{event.id}/edit", f"/events/{event.id}/edit"),
    ):
        response = client.get(path + "?next=%2Fevents")
        assert response.status_code == 308, path
        assert response.headers["Location"] == canonical + "?next=%2Fevents"
    token = csrf_token(client, "/")
    response = client.post(
        f"/events/0{event.id}/cancel", data={"csrf_token": token, "version": str(event.version)}
    )
    assert response.status_code == 404
    assert _fresh(event.id).status == EventStatus.CONFIRMED
    for query in ("page=1&page=2", "page=%2B1", "page=%201"):
        response = client.get(f"/events?{query}")
        assert response.status_code == 400, query
        assert "page:" in response.get_data(as_text=True)
    assert client.get("/events?page=1").status_code == 200


def test_a_refused_filter_is_not_counted_as_set_and_is_worded_for_a_search(client, world) -> None:
    _as(client, world["organiser"])
    page = client.get("/events?kind=bogus").get_data(as_text=True)
    assert 'selected value="">All kinds' in page or ">All kinds</option>" in page
    assert "1 set" not in page  # the only filter given was refused: none is set
    page = client.get("/events?kind=bogus&country=DE").get_data(as_text=True)
    assert "1 set" in page and "kind=bogus" not in page.split('class="filters"', 1)[0]
    for path in ("/events?country=%07", "/events/month?subitem=1.%073"):
        response = client.get(path)
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        assert "remove it and search again" in page and "save again" not in page, path


# The style sheet (issue 10, L1 and L2) ---------------------------------------------------------

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_badge_has_text_contrast_of_at_least_4_5_to_1() -> None:
    css = CSS.read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    badges = re.findall(r"([^{}]*\.badge-[a-z-]+[^{}]*)\{([^}]*)\}", css)
    assert len(badges) >= 4
    for selector, body in badges:
        background = re.search(r"background:\s*(#[0-9a-fA-F]{6})", body)
        colour = re.search(r"(?<![-a-z])color:\s*(?:var\(--([a-z-]+)\)|(#[0-9a-fA-F]{6}))", body)
        assert background and colour, selector
        text = colours[colour.group(1)] if colour.group(1) else colour.group(2)
        ratio = _contrast(text, background.group(1))
        assert ratio >= 4.5, (selector.strip(), round(ratio, 2))
    # The plain badge: the page's ink on its grey.
    assert (
        _contrast(colours["ink"], "#eef2f7") >= 4.5
        and _contrast(colours["muted"], "#eef2f7") >= 4.5
    )


def test_every_input_type_of_the_event_forms_is_styled(client, world) -> None:
    css = CSS.read_text()
    styled = set(re.findall(r"\.field input\[type=([a-z-]+)\]", css))
    _as(client, world["organiser"])
    pages = [
        client.get(path).get_data(as_text=True)
        for path in ("/events/new", f"/events/{world['event'].id}", f"/events/{world['weekly'].id}")
    ]
    used = {t for page in pages for t in re.findall(r'<input[^>]*type="([a-z-]+)"', page)}
    used -= {"hidden", "checkbox", "radio", "submit"}
    assert "url" in used and "date" in used and "time" in used
    assert used <= styled, used - styled


# Wording (issue 10, L8) ------------------------------------------------------------------------


def test_the_history_names_the_organiser_organisation(client, world) -> None:
    _as(client, world["organiser"])
    event = world["event"]
    organisation = world["organisation"]
    response = client.post(
        f"/events/{event.id}/edit",
        data=_form(
            client,
            f"/events/{event.id}/edit",
            organisation_ids=[str(organisation.id)],
            version=str(event.version),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    changes = page.split('class="changes"', 1)[1].split("</table>", 1)[0]
    assert "Organiser organisation" in changes and "organiser organisation id" not in changes
    assert f"Verein Deutscher Werkzeugmaschinenfabriken (#{organisation.id})" in changes


def test_the_ics_downloads_under_the_events_title_and_the_legends_do_not_repeat(
    client, world
) -> None:
    organiser = world["organiser"]
    event = _make(organiser, title="Messe München — Tag 1: CSR/../../etc")
    untitled = _make(organiser, title="日本語のイベント")
    _db.session.commit()
    page = client.get(f"/agenda/{event.id}").get_data(as_text=True)
    assert 'download="messe-munchen-tag-1-csr-etc.ics"' in page
    page = client.get(f"/agenda/{untitled.id}").get_data(as_text=True)
    assert f'download="event-{untitled.id}.ics"' in page
    _as(client, organiser)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'download="messe-munchen-tag-1-csr-etc.ics"' in page
    form = client.get("/events/new").get_data(as_text=True)
    legends = re.findall(r"<legend>([^<]*)</legend>", form)
    assert legends.count("When") == 1, legends
