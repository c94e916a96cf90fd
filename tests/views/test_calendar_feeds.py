"""The calendar feeds over HTTP: what they show, their filters, their caching answers, the
private follow-up feed behind its token, one event's ``.ics``. Every feed is read back by
icalendar and by the strict ``ical`` parser.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar.parser import unescape_backslash
from werkzeug.http import http_date

from crm.extensions import db
from crm.models import (
    CommitmentItem,
    Event,
    EventKind,
    EventParticipant,
    FollowUpStatus,
    OurRole,
    Role,
    User,
)
from crm.models.events import EventOccurrence
from crm.services.calendar import events_feed
from crm.services.calendar.cache import feeds
from crm.services.errors import ValidationError
from crm.services.events import records, series, tokens
from crm.services.events.description import render_description
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _nothing_cached() -> Any:
    feeds.clear()
    yield
    feeds.clear()


@pytest.fixture()
def organiser(app: Any) -> User:
    user = factories.make_user(role=Role.COORDINATOR)
    db.session.commit()
    return user


def new_event(actor: User, **fields: Any) -> Event:
    data: dict[str, Any] = {
        "title": "Policy round table",
        "kind": "conference",
        "is_all_day": "",
        "timezone": "Europe/Berlin",
        "start_date": "2027-03-28",
        "start_time": "09:30",
        "end_date": "2027-03-28",
        "end_time": "11:00",
        "venue": "Hall 3",
        "city": "Hannover",
        "country_code": "DE",
        "online_url": "",
        "organiser_organisation_id": "",
        "organiser_name": "Jane Organiser-Private",
        "our_role": "speaker",
        "status": "confirmed",
        "is_published": "y",
        "subitems": ["1.3c"],
        "description": "Agenda, first draft; see you there",
        "description_format": "text",
        "recurrence": "",
        "recurrence_interval": "1",
        "recurrence_end": "",
        "recurrence_until": "",
        "recurrence_count": "",
    }
    data.update(fields)
    event = records.create_event(actor, data)
    db.session.commit()
    return event


def fresh(record: Any) -> Any:
    """The record again: a request ends the session the test's objects were loaded in."""
    return db.session.get(type(record), record.id)


def fetch(client: FlaskClient, url: str, **headers: str) -> Any:
    answer = client.get(url, headers=headers)
    assert answer.status_code in (200, 304, 400, 404), answer.status_code
    return answer


def calendar_of(answer: Any) -> tuple[icalendar.Calendar, Any]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return (
        icalendar.Calendar.from_ical(answer.data),
        IcsCalendarStream.calendar_from_ics(answer.data.decode("utf-8")),
    )


def uids(answer: Any) -> set[str]:
    ours, strict = calendar_of(answer)
    found = {str(e["UID"]) for e in ours.walk("VEVENT")}
    assert found == {e.uid for e in strict.events}
    return found


# --- The public feed ---------------------------------------------------------------------------


def test_the_feed_shows_published_events_only_without_sign_in(
    client: FlaskClient, organiser: User
) -> None:
    shown = new_event(organiser)
    hidden = new_event(organiser, title="Internal", is_published="")
    deleted = new_event(organiser, title="Gone")
    deleted.deleted_at = datetime.now(UTC)
    db.session.commit()
    answer = fetch(client, "/calendar/events.ics")
    assert uids(answer) == {shown.uid}
    assert hidden.uid not in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    ours, _ = calendar_of(answer)
    assert b"\r\nX-WR-CALNAME:MTS CRM events\r\n" in answer.data
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in answer.data
    (vevent,) = ours.walk("VEVENT")
    assert str(vevent["URL"]).endswith(f"/agenda/{shown.id}")
    assert list(vevent.categories) == ["1.3c"]
    assert str(vevent["LOCATION"]) == "Hall 3, Hannover, Germany"


def test_the_feed_carries_no_personal_data(client: FlaskClient, organiser: User) -> None:
    event = new_event(organiser)
    person = factories.make_person()
    db.session.add(EventParticipant(event=event, person=person))
    db.session.commit()
    text = fetch(client, "/calendar/events.ics").get_data(as_text=True)
    assert person.last_name not in text and person.first_name not in text
    assert "Jane Organiser-Private" not in text
    assert organiser.email not in text and organiser.full_name not in text


def test_the_berlin_morning_of_the_clock_change_is_0730_utc(
    client: FlaskClient, organiser: User
) -> None:
    new_event(organiser)
    answer = fetch(client, "/calendar/events.ics")
    assert b"\r\nDTSTART;TZID=Europe/Berlin:20270328T093000\r\n" in answer.data
    ours, strict = calendar_of(answer)
    assert ours.walk("VEVENT")[0].decoded("DTSTART").astimezone(UTC) == datetime(
        2027, 3, 28, 7, 30, tzinfo=UTC
    )
    assert [str(z["TZID"]) for z in ours.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert strict.events[0].dtstart.astimezone(UTC) == datetime(2027, 3, 28, 7, 30, tzinfo=UTC)


def test_an_all_day_fair_ends_the_day_after(client: FlaskClient, organiser: User) -> None:
    new_event(
        organiser,
        is_all_day="y",
        start_date="2027-10-04",
        end_date="2027-10-08",
        start_time="",
        end_time="",
        kind="trade-fair",
    )
    answer = fetch(client, "/calendar/events.ics")
    assert b"\r\nDTSTART;VALUE=DATE:20271004\r\n" in answer.data
    assert b"\r\nDTEND;VALUE=DATE:20271009\r\n" in answer.data
    _, strict = calendar_of(answer)
    assert (strict.events[0].dtstart, strict.events[0].dtend) == (
        date(2027, 10, 4),
        date(2027, 10, 9),
    )


def test_text_is_escaped_and_folded(client: FlaskClient, organiser: User) -> None:
    title = "Forum; Kälte, Wärme & Öl 🎉 " + "long " * 40
    description = "Line one\nLine two, with; all\\sorts\n" + "x" * 200
    new_event(organiser, title=title.strip(), description=description)
    ours, strict = calendar_of(fetch(client, "/calendar/events.ics"))
    vevent = ours.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == title.strip()
    assert str(vevent["DESCRIPTION"]) == description
    assert strict.events[0].summary == title.strip()
    assert strict.events[0].description == description


MARKDOWN_DESCRIPTION = """## Programme

**Day 1**: [register](https://www.emo-hannover.de/) or [x](javascript:alert(1))\\
at the door.

- Welcome
- Panel ![pixel](https://evil.example/track.png)

<script>alert(1)</script> <iframe src="https://evil.example"></iframe>
"""
MARKDOWN_AS_TEXT = (
    "Programme\n\nDay 1: register (https://www.emo-hannover.de/) or x\nat the door."
    "\n\n- Welcome\n- Panel pixel\n\nalert(1)"
)


@pytest.mark.parametrize("url", ["/calendar/events.ics", "/agenda/{id}.ics"])
def test_a_markdown_description_is_readable_text_without_source_or_tags(
    client: FlaskClient, organiser: User, url: str
) -> None:
    event = new_event(
        organiser,
        description=MARKDOWN_DESCRIPTION,
        description_format="markdown",
        online_url="https://meet.example.org/x",
    )
    answer = fetch(client, url.format(id=event.id))
    ours, strict = calendar_of(answer)
    expected = MARKDOWN_AS_TEXT + "\n\nOnline: https://meet.example.org/x"
    vevent = ours.walk("VEVENT")[0]
    assert str(vevent["DESCRIPTION"]) == expected
    assert strict.events[0].description == expected
    raw = answer.get_data(as_text=True)
    for source in ("**", "](", "javascript", "<script", "<iframe", "<img", "track.png"):
        assert source not in raw, source
    # Beside the text, the page's own sanitised HTML for the clients that show formatting.
    html = str(unescape_backslash(vevent["X-ALT-DESC"].to_ical().decode()))
    assert vevent["X-ALT-DESC"].params["FMTTYPE"] == "text/html"
    assert html == (
        str(render_description(MARKDOWN_DESCRIPTION, "markdown")).strip()
        + '\n<p>Online: <a href="https://meet.example.org/x" rel="nofollow noopener">'
        "https://meet.example.org/x</a></p>"
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<li>Panel pixel</li>" in html
    (extra,) = [p for p in strict.events[0].extras if p.name == "x-alt-desc"]
    assert str(unescape_backslash(extra.value)) == html


def test_a_plain_description_stays_as_typed_text(client: FlaskClient, organiser: User) -> None:
    typed = "Bring <script>alert(1)</script> **as typed** [x](javascript:alert(1))"
    event = new_event(organiser, description=typed, description_format="text")
    ours, strict = calendar_of(fetch(client, f"/agenda/{event.id}.ics"))
    # RFC 5545 TEXT: what is typed is text, and reads back unchanged.
    assert str(ours.walk("VEVENT")[0]["DESCRIPTION"]) == typed
    assert strict.events[0].description == typed
    assert "X-ALT-DESC" not in ours.walk("VEVENT")[0]  # no HTML for text


# --- Filters -----------------------------------------------------------------------------------


def test_filters_narrow_and_combine(client: FlaskClient, organiser: User) -> None:
    german_fair = new_event(organiser, kind="trade-fair", country_code="DE", subitems=["1.3c"])
    french_fair = new_event(organiser, kind="trade-fair", country_code="FR", subitems=["2.1"])
    german_talk = new_event(organiser, kind="workshop", country_code="DE", subitems=["2.1"])
    assert uids(fetch(client, "/calendar/events.ics?kind=trade-fair")) == {
        german_fair.uid,
        french_fair.uid,
    }
    assert uids(fetch(client, "/calendar/events.ics?country=DE")) == {
        german_fair.uid,
        german_talk.uid,
    }
    assert uids(fetch(client, "/calendar/events.ics?country=de&kind=trade-fair")) == {
        german_fair.uid
    }
    assert uids(fetch(client, "/calendar/events.ics?subitem=2.1")) == {
        french_fair.uid,
        german_talk.uid,
    }
    assert uids(fetch(client, "/calendar/events.ics?commitment=1")) == {german_fair.uid}
    assert uids(fetch(client, "/calendar/events.ics?subitem=2.1&country=FR")) == {french_fair.uid}
    assert uids(fetch(client, "/calendar/events.ics?subitem=1.3c&commitment=1")) == {
        german_fair.uid
    }
    assert uids(fetch(client, "/calendar/events.ics?subitem=2.1&commitment=1")) == set()
    assert uids(fetch(client, "/calendar/events.ics?kind=webinar")) == set()
    # parameters that are not filters of the feed (trackers, clients) change nothing
    assert uids(fetch(client, "/calendar/events.ics?utm_source=x&kind=")) == {
        german_fair.uid,
        french_fair.uid,
        german_talk.uid,
    }


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("kind=party", "kind"),
        ("kind=NaN", "kind"),
        ("country=XX", "country"),
        ("country=%00", "country"),
        ("subitem=9.9z", "subitem"),
        ("subitem=1", "subitem"),
        ("commitment=77", "commitment"),
        ("commitment=" + "9" * 5000, "commitment"),
        ("kind=trade-fair&kind=workshop", "kind"),
        ("country=%F0%9F%8E%89", "country"),
        ("kind=%ff%fe", "kind"),
    ],
)
def test_an_unknown_filter_value_is_a_plain_400_naming_it(
    client: FlaskClient, query: str, name: str
) -> None:
    answer = client.get("/calendar/events.ics?" + query)
    assert answer.status_code == 400
    assert answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    assert text.startswith(f"Unknown filter value {name}=")
    assert len(text) < 1000


def test_the_400_names_the_value_and_why(client: FlaskClient) -> None:
    answer = client.get("/calendar/events.ics?country=DE&kind=party")
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert answer.get_data(as_text=True) == (
        "Unknown filter value kind='party': 'party' is not one of trade-fair, conference, "
        "workshop, training-course, webinar, policy-round-table, general-assembly\n"
    )


def test_a_filtered_feed_is_named_after_its_filter(client: FlaskClient, organiser: User) -> None:
    new_event(organiser, kind="trade-fair")
    answer = fetch(client, "/calendar/events.ics?kind=trade-fair&country=DE")
    ours, _ = calendar_of(answer)
    assert b"\r\nX-WR-CALNAME:MTS CRM events: country DE / kind trade-fair\r\n" in answer.data


# --- Cancelled events --------------------------------------------------------------------------


def test_a_cancelled_event_stays_30_days_then_goes(
    client: FlaskClient, organiser: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = new_event(organiser)
    before = event.sequence
    records.cancel_event(organiser, event)
    db.session.commit()
    cancelled_at = event.cancelled_at
    assert cancelled_at is not None and event.sequence > before
    answer = fetch(client, "/calendar/events.ics")
    ours, strict = calendar_of(answer)
    assert str(ours.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
    assert strict.events[0].status.value == "CANCELLED"
    assert ours.walk("VEVENT")[0].decoded("SEQUENCE") == event.sequence
    # The feed's clock: 30 days later it is still there, at 31 it is gone.
    monkeypatch.setattr(events_feed, "utcnow", lambda: cancelled_at + timedelta(days=30))
    kept = fetch(client, "/calendar/events.ics")
    assert uids(kept) == {event.uid}
    monkeypatch.setattr(events_feed, "utcnow", lambda: cancelled_at + timedelta(days=31))
    gone = fetch(client, "/calendar/events.ics", **{"If-None-Match": kept.headers["ETag"]})
    assert gone.status_code == 200 and uids(gone) == set()
    # its Last-Modified moved on to when it left, so If-Modified-Since sees the change too
    assert gone.headers["Last-Modified"] == http_date(cancelled_at + timedelta(days=30))
    # its own .ics still says it was cancelled
    single, _ = calendar_of(fetch(client, f"/agenda/{event.id}.ics"))
    assert str(single.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


# --- Caching -----------------------------------------------------------------------------------


def test_etag_last_modified_and_304(client: FlaskClient, organiser: User) -> None:
    event = new_event(organiser)
    first = fetch(client, "/calendar/events.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and len(etag) == 66
    assert modified == http_date(event.updated_at)
    feeds.clear()  # a second fetch rendered anew gives the same bytes
    second = fetch(client, "/calendar/events.ics")
    assert second.data == first.data and second.headers["ETag"] == etag
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", {etag}'},
        {"If-None-Match": "*"},
        {"If-None-Match": "W/" + etag},
        {"If-Modified-Since": modified},
        {"If-Modified-Since": http_date(event.updated_at + timedelta(hours=1))},
    ):
        answer = fetch(client, "/calendar/events.ics", **headers)
        assert answer.status_code == 304, headers
        assert answer.data == b""
        assert answer.headers["ETag"] == etag
        assert answer.headers["Cache-Control"] == "public, max-age=300"
    # If-None-Match decides when both are given
    answer = fetch(
        client, "/calendar/events.ics", **{"If-None-Match": '"old"', "If-Modified-Since": modified}
    )
    assert answer.status_code == 200
    for headers in (
        {"If-None-Match": '"old"'},
        {"If-Modified-Since": http_date(event.updated_at - timedelta(hours=1))},
        {"If-Modified-Since": "yesterday, I think"},
        {"If-None-Match": "garbage, W/"},
    ):
        answer = fetch(client, "/calendar/events.ics", **headers)
        assert answer.status_code == 200 and answer.data == first.data, headers
    head = client.head("/calendar/events.ics", headers={"If-None-Match": etag})
    assert head.status_code == 304


def test_a_change_gives_a_new_etag_and_a_higher_sequence(
    client: FlaskClient, organiser: User
) -> None:
    event = new_event(organiser)
    uid, sequence = event.uid, event.sequence
    first = fetch(client, "/calendar/events.ics")
    event = fresh(event)
    values = records.stored_values(event)
    values.update(start_time="10:30", end_time="12:00")
    records.update_event(organiser, event, values, event.version)
    db.session.commit()
    moved = fetch(client, "/calendar/events.ics", **{"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200 and moved.headers["ETag"] != first.headers["ETag"]
    ours, strict = calendar_of(moved)
    vevent = ours.walk("VEVENT")[0]
    assert str(vevent["UID"]) == uid and vevent.decoded("SEQUENCE") > sequence
    assert vevent.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 28, 8, 30, tzinfo=UTC)
    assert strict.events[0].sequence == vevent.decoded("SEQUENCE")


def test_a_change_of_sub_items_only_gives_a_new_etag(client: FlaskClient, organiser: User) -> None:
    event = new_event(organiser)
    first = fetch(client, "/calendar/events.ics")
    event = fresh(event)
    values = records.stored_values(event)
    values["subitems"] = ["2.1"]
    records.update_event(organiser, event, values, event.version)
    db.session.commit()
    again = fetch(client, "/calendar/events.ics", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert list(calendar_of(again)[0].walk("VEVENT")[0].categories) == ["2.1"]


def test_unpublishing_an_event_is_a_change(client: FlaskClient, organiser: User) -> None:
    event = new_event(organiser)
    # made a minute ago: If-Modified-Since counts whole seconds
    db.session.execute(sa.update(Event).values(updated_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    first = fetch(client, "/calendar/events.ics")
    event = fresh(event)
    values = records.stored_values(event)
    values["is_published"] = ""
    records.update_event(organiser, event, values, event.version)
    db.session.commit()
    since = fetch(
        client, "/calendar/events.ics", **{"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 200 and uids(since) == set()


# --- Series ------------------------------------------------------------------------------------


def test_a_series_with_a_cancelled_and_a_moved_occurrence(
    client: FlaskClient, organiser: User
) -> None:
    event = new_event(
        organiser,
        start_date="2027-03-16",
        end_date="2027-03-16",
        start_time="10:00",
        end_time="11:00",
        recurrence="weekly",
        recurrence_end="count",
        recurrence_count="5",
    )
    keys = [o.key for o in series.occurrences(event, date(2027, 3, 1), date(2027, 5, 1))]
    assert keys[:3] == ["20270316T090000Z", "20270323T090000Z", "20270330T080000Z"]
    sequence = event.sequence
    series.cancel_occurrence(organiser, event, keys[1])
    series.move_occurrence(
        organiser,
        event,
        keys[2],
        {
            "start_date": "2027-03-31",
            "start_time": "15:00",
            "end_date": "2027-03-31",
            "end_time": "16:00",
        },
    )
    db.session.commit()
    answer = fetch(client, "/calendar/events.ics")
    assert b"\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n" in answer.data
    assert b"\r\nEXDATE;TZID=Europe/Berlin:20270323T100000\r\n" in answer.data
    assert b"\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270330T100000\r\n" in answer.data
    ours, strict = calendar_of(answer)
    assert [e.dtstart for e in strict.timeline] == [
        datetime(2027, 3, 16, 10, tzinfo=BERLIN),
        datetime(2027, 3, 31, 15, tzinfo=BERLIN),
        datetime(2027, 4, 6, 10, tzinfo=BERLIN),
        datetime(2027, 4, 13, 10, tzinfo=BERLIN),
    ]
    parts = ours.walk("VEVENT")
    assert {str(p["UID"]) for p in parts} == {event.uid}
    assert {p.decoded("SEQUENCE") for p in parts} == {event.sequence}
    assert event.sequence > sequence


# --- One event ---------------------------------------------------------------------------------


def test_one_event_ics(client: FlaskClient, organiser: User) -> None:
    event = new_event(organiser)
    other = new_event(organiser, title="Another")
    answer = fetch(client, f"/agenda/{event.id}.ics")
    assert uids(answer) == {event.uid}
    assert other.uid not in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    again = fetch(client, f"/agenda/{event.id}.ics", **{"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


def test_the_largest_ids_still_answer(client: FlaskClient, organiser: User) -> None:
    """The feed's summary multiplies ids: in 64 bits on PostgreSQL, not the column's 32."""
    event = Event(
        id=2**31 - 1,
        title="The last one",
        kind=EventKind.WORKSHOP,
        is_all_day=True,
        start_date=date(2027, 5, 3),
        end_date=date(2027, 5, 3),
        our_role=OurRole.ORGANISER,
        is_published=True,
        subitems=[factories.subitem("1.3c"), factories.subitem("3.1")],
    )
    db.session.add(event)
    db.session.commit()
    answer = fetch(client, f"/agenda/{2**31 - 1}.ics")
    assert uids(answer) == {event.uid}
    assert list(calendar_of(answer)[0].walk("VEVENT")[0].categories) == ["1.3c", "3.1"]
    assert uids(fetch(client, "/calendar/events.ics?subitem=3.1")) == {event.uid}


@pytest.mark.parametrize("path", ["0", "99999999", "2147483648", "99999999999999999999999"])
def test_one_event_ics_of_no_event_is_404(client: FlaskClient, path: str) -> None:
    assert client.get(f"/agenda/{path}.ics").status_code == 404


def test_one_event_ics_of_an_unpublished_or_deleted_event_is_404(
    client: FlaskClient, organiser: User
) -> None:
    hidden = new_event(organiser, is_published="")
    deleted = new_event(organiser)
    deleted.deleted_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(f"/agenda/{hidden.id}.ics").status_code == 404
    assert client.get(f"/agenda/{deleted.id}.ics").status_code == 404


# --- The private follow-up feed ----------------------------------------------------------------


def test_the_follow_up_feed_by_token(client: FlaskClient, app: Any) -> None:
    officer = factories.make_user(role=Role.OFFICER)
    colleague = factories.make_user(role=Role.OFFICER)
    on_a_day = factories.make_follow_up(
        "Send the report", assignee=officer, due_date=date(2027, 1, 12)
    )
    at_a_time = factories.make_follow_up(
        "Call, about; the fair",
        assignee=officer,
        due_date=date(2027, 1, 13),
        due_time=time(14, 0),
        zone="Europe/Berlin",
    )
    done = factories.make_follow_up("Done already", assignee=officer, status=FollowUpStatus.DONE)
    theirs = factories.make_follow_up("Not mine", assignee=colleague)
    secret = tokens.issue_feed_token(officer)
    db.session.commit()
    answer = fetch(client, f"/calendar/followups/{secret}.ics")
    assert uids(answer) == {f"followup-{on_a_day.id}@mts-crm", f"followup-{at_a_time.id}@mts-crm"}
    text = answer.get_data(as_text=True)
    assert done.title not in text and theirs.title not in text
    assert answer.headers["Cache-Control"] == "private, max-age=300"
    ours, _ = calendar_of(answer)
    by_uid = {str(e["UID"]): e for e in ours.walk("VEVENT")}
    day = by_uid[f"followup-{on_a_day.id}@mts-crm"]
    assert (day.decoded("DTSTART"), day.decoded("DTEND")) == (date(2027, 1, 12), date(2027, 1, 13))
    timed = by_uid[f"followup-{at_a_time.id}@mts-crm"]
    assert timed.decoded("DTSTART").astimezone(UTC) == datetime(2027, 1, 13, 13, tzinfo=UTC)
    assert timed.decoded("DTEND") - timed.decoded("DTSTART") == timedelta(minutes=30)
    assert str(timed["SUMMARY"]) == "Call, about; the fair"
    again = fetch(
        client, f"/calendar/followups/{secret}.ics", **{"If-None-Match": answer.headers["ETag"]}
    )
    assert again.status_code == 304
    # completing one takes it out
    on_a_day = fresh(on_a_day)
    on_a_day.status = FollowUpStatus.DONE
    on_a_day.completed_at = datetime.now(UTC)
    db.session.commit()
    after = fetch(
        client, f"/calendar/followups/{secret}.ics", **{"If-None-Match": answer.headers["ETag"]}
    )
    assert after.status_code == 200
    assert uids(after) == {f"followup-{at_a_time.id}@mts-crm"}


def _not_found_page(client: FlaskClient) -> bytes:
    return client.get("/calendar/followups/" + "A" * 43 + ".ics").data


@pytest.mark.parametrize(
    "token",
    [
        "A" * 43,  # the right shape, unknown
        "short",
        "A" * 44,
        "A" * 5000,
        "%00" * 43,
        "é" * 43,
        "..%2F..%2Fetc",
        "A" * 42 + "=",
        "NaN",
        "",
    ],
)
def test_an_unknown_or_malformed_token_is_the_same_404(client: FlaskClient, token: str) -> None:
    answer = client.get(f"/calendar/followups/{token}.ics")
    assert answer.status_code == 404
    assert answer.data == _not_found_page(client)


def test_a_revoked_or_regenerated_token_and_a_deactivated_user_are_404(
    client: FlaskClient, app: Any
) -> None:
    officer = factories.make_user(role=Role.OFFICER)
    factories.make_follow_up("Mine", assignee=officer)
    old = tokens.issue_feed_token(officer)
    new = tokens.issue_feed_token(officer)
    db.session.commit()
    assert client.get(f"/calendar/followups/{old}.ics").status_code == 404
    assert client.get(f"/calendar/followups/{new}.ics").status_code == 200
    officer = fresh(officer)
    officer.is_active = False
    db.session.commit()
    dead = client.get(f"/calendar/followups/{new}.ics")
    assert dead.status_code == 404 and dead.data == _not_found_page(client)
    officer = fresh(officer)
    officer.is_active = True
    db.session.commit()
    tokens.revoke_feed_token(officer)
    db.session.commit()
    assert client.get(f"/calendar/followups/{new}.ics").status_code == 404
    # the secret is not what is stored
    stored = db.session.scalar(sa.select(User.feed_token_hash).where(User.id == officer.id))
    assert stored is None


def test_a_get_of_a_feed_writes_nothing(client: FlaskClient, organiser: User) -> None:
    new_event(organiser)
    secret = tokens.issue_feed_token(organiser)
    db.session.commit()
    before = db.session.execute(sa.select(User.version, User.updated_at)).all()
    events_before = db.session.execute(sa.select(Event.version, Event.updated_at)).all()
    for url in ("/calendar/events.ics", f"/calendar/followups/{secret}.ics"):
        assert client.get(url).status_code == 200
    db.session.expire_all()
    assert db.session.execute(sa.select(User.version, User.updated_at)).all() == before
    assert db.session.execute(sa.select(Event.version, Event.updated_at)).all() == events_before


# --- Statuses and places -----------------------------------------------------------------------


def test_planned_and_postponed_are_tentative(client: FlaskClient, organiser: User) -> None:
    planned = new_event(organiser, status="planned", title="Planned")
    confirmed = new_event(organiser, title="Confirmed")
    uid, sequence = confirmed.uid, confirmed.sequence
    records.postpone_event(
        organiser,
        confirmed,
        {"start_date": "2027-04-20", "end_date": "2027-04-20"},
    )
    db.session.commit()
    ours, strict = calendar_of(fetch(client, "/calendar/events.ics"))
    by_uid = {str(e["UID"]): e for e in ours.walk("VEVENT")}
    assert str(by_uid[planned.uid]["STATUS"]) == "TENTATIVE"
    postponed = by_uid[uid]
    assert str(postponed["STATUS"]) == "TENTATIVE"
    assert postponed.decoded("SEQUENCE") > sequence
    assert postponed.decoded("DTSTART").astimezone(UTC) == datetime(2027, 4, 20, 7, 30, tzinfo=UTC)
    assert {e.uid: e.status.value for e in strict.events}[uid] == "TENTATIVE"


def test_an_online_event_has_its_link_as_location(client: FlaskClient, organiser: User) -> None:
    new_event(
        organiser,
        kind="webinar",
        venue="",
        city="",
        country_code="",
        online_url="https://meet.example.org/csr-webinar",
        timezone="America/New_York",
        start_time="11:00",
        end_time="12:00",
    )
    ours, strict = calendar_of(fetch(client, "/calendar/events.ics"))
    vevent = ours.walk("VEVENT")[0]
    assert str(vevent["LOCATION"]) == "https://meet.example.org/csr-webinar"
    assert [str(z["TZID"]) for z in ours.walk("VTIMEZONE")] == ["America/New_York"]
    assert strict.events[0].dtstart.astimezone(UTC) == datetime(2027, 3, 28, 15, tzinfo=UTC)


# Text as a user may type it into the form (the service keeps it, the feed must give it back).
FORM_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")),
        st.sampled_from([",", ";", "\\", ":", "🎉", "\n", " "]),
    ),
    min_size=1,
    max_size=120,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(title=FORM_TEXT, venue=FORM_TEXT, description=FORM_TEXT)
@example(title="Fair", venue="Hall 3", description=" \n ")  # blanks only: no DESCRIPTION
def test_any_title_place_and_description_read_back_through_the_feed(
    client: FlaskClient, organiser: User, title: str, venue: str, description: str
) -> None:
    try:
        event = new_event(
            organiser, title=title, venue=venue.replace("\n", " "), description=description
        )
    except ValidationError:
        db.session.rollback()
        event_note("refused by the form")
        return  # text the form refuses (blank once trimmed, direction controls) never gets here
    feeds.clear()
    answer = fetch(client, f"/agenda/{event.id}.ics")
    ours, strict = calendar_of(answer)
    vevent = ours.walk("VEVENT")[0]
    stored = fresh(event)
    assert str(vevent["SUMMARY"]) == stored.title == strict.events[0].summary
    if stored.description:
        assert str(vevent["DESCRIPTION"]) == stored.description == strict.events[0].description
    else:  # only blanks, trimmed away: the feed leaves the property out
        assert "DESCRIPTION" not in vevent and not strict.events[0].description
    assert str(vevent["LOCATION"]).startswith(stored.venue)
    assert strict.events[0].location == str(vevent["LOCATION"])


# --- The feed's series are the application's series --------------------------------------------


SERIES = [
    # monthly from the 31st: months without one are skipped, as RFC 5545 says
    {
        "start_date": "2027-01-31",
        "end_date": "2027-01-31",
        "recurrence": "monthly",
        "recurrence_end": "count",
        "recurrence_count": "6",
    },
    # weekly across both clock changes, until a date
    {
        "start_date": "2027-03-02",
        "end_date": "2027-03-02",
        "start_time": "08:15",
        "end_time": "09:00",
        "recurrence": "weekly",
        "recurrence_interval": "3",
        "recurrence_end": "until",
        "recurrence_until": "2027-11-23",
    },
    # all-day, two days long, every second month until a date
    {
        "is_all_day": "y",
        "start_time": "",
        "end_time": "",
        "start_date": "2027-02-10",
        "end_date": "2027-02-11",
        "recurrence": "monthly",
        "recurrence_interval": "2",
        "recurrence_end": "until",
        "recurrence_until": "2027-12-10",
    },
    # in New York, late in the evening (the UTC day is the next one)
    {
        "timezone": "America/New_York",
        "start_date": "2027-03-09",
        "end_date": "2027-03-09",
        "start_time": "22:30",
        "end_time": "23:30",
        "recurrence": "weekly",
        "recurrence_end": "count",
        "recurrence_count": "4",
    },
]


def _start_order(times: tuple[Any, Any]) -> str:
    start = times[0]
    return start.astimezone(UTC).isoformat() if isinstance(start, datetime) else start.isoformat()


@pytest.mark.parametrize("fields", SERIES, ids=["monthly-31st", "weekly-dst", "all-day", "nyc"])
def test_both_parsers_expand_a_series_as_the_application_does(
    client: FlaskClient, organiser: User, fields: dict[str, str]
) -> None:
    event = new_event(organiser, **fields)
    occurrences = series.all_occurrences(event)
    # cancel the second, move the third a day later
    series.cancel_occurrence(organiser, event, occurrences[1].key)
    third = occurrences[2]
    if third.start_date is not None:
        moved = {
            "start_date": (third.start_date + timedelta(days=1)).isoformat(),
            "end_date": (third.end_date + timedelta(days=1)).isoformat(),  # type: ignore[operator]
            "start_time": "",
            "end_time": "",
        }
    else:
        assert third.starts_at is not None and third.ends_at is not None
        zone = ZoneInfo(event.timezone)
        start = third.starts_at.astimezone(zone) + timedelta(days=1)
        end = third.ends_at.astimezone(zone) + timedelta(days=1)
        moved = {
            "start_date": start.date().isoformat(),
            "start_time": start.strftime("%H:%M"),
            "end_date": end.date().isoformat(),
            "end_time": end.strftime("%H:%M"),
        }
    series.move_occurrence(organiser, event, third.key, moved)
    db.session.commit()
    expected = [
        (o.starts_at, o.ends_at) if o.starts_at is not None else (o.start_date, o.end_date)
        for o in series.all_occurrences(event)
        if not o.is_cancelled
    ]
    expected = [  # all-day ends: exclusive in the feed
        (start, end + timedelta(days=1)) if not isinstance(start, datetime) else (start, end)
        for start, end in expected
    ]
    answer = fetch(client, f"/agenda/{event.id}.ics")
    _, strict = calendar_of(answer)
    got = [(e.dtstart, e.dtend) for e in strict.timeline]
    assert sorted(got, key=_start_order) == sorted(expected, key=_start_order)
    assert len(got) == len(occurrences) - 1


def test_an_override_the_rule_no_longer_gives_is_left_out(
    client: FlaskClient, organiser: User
) -> None:
    event = new_event(
        organiser,
        start_date="2027-03-16",
        end_date="2027-03-16",
        start_time="10:00",
        end_time="11:00",
        recurrence="weekly",
        recurrence_end="count",
        recurrence_count="3",
    )
    # stored by hand: a Wednesday the weekly rule from a Tuesday never gives
    stray = datetime(2027, 3, 24, 9, 0, tzinfo=UTC)
    db.session.add_all(
        [
            EventOccurrence(event_id=event.id, original_start=stray, is_cancelled=True),
            EventOccurrence(
                event_id=event.id,
                original_start=stray + timedelta(days=7),
                starts_at=stray + timedelta(days=8),
                ends_at=stray + timedelta(days=8, hours=1),
            ),
        ]
    )
    db.session.commit()
    answer = fetch(client, f"/agenda/{event.id}.ics")
    assert b"EXDATE" not in answer.data and b"RECURRENCE-ID" not in answer.data
    _, strict = calendar_of(answer)
    assert len(list(strict.timeline)) == 3


def test_a_follow_up_moved_keeps_its_uid_with_a_higher_sequence(
    client: FlaskClient, app: Any
) -> None:
    officer = factories.make_user(role=Role.OFFICER)
    follow_up = factories.make_follow_up("Chase", assignee=officer, due_date=date(2027, 2, 1))
    secret = tokens.issue_feed_token(officer)
    db.session.commit()
    first, _ = calendar_of(fetch(client, f"/calendar/followups/{secret}.ics"))
    before = first.walk("VEVENT")[0]
    follow_up = fresh(follow_up)
    follow_up.due_date = date(2027, 2, 3)
    follow_up.due_at = datetime(2027, 2, 2, 23, tzinfo=UTC)  # its day's start in Brussels
    db.session.commit()
    after, strict = calendar_of(fetch(client, f"/calendar/followups/{secret}.ics"))
    moved = after.walk("VEVENT")[0]
    assert str(moved["UID"]) == str(before["UID"]) == f"followup-{follow_up.id}@mts-crm"
    assert moved.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert moved.decoded("DTSTART") == date(2027, 2, 3) == strict.events[0].dtstart


def test_a_sub_item_code_renamed_gives_a_new_feed(client: FlaskClient, organiser: User) -> None:
    new_event(organiser, subitems=["1.3c"])
    first = fetch(client, "/calendar/events.ics")
    item = db.session.scalar(sa.select(CommitmentItem).where(CommitmentItem.code == "1.3c"))
    assert item is not None
    item.code = "1.3z"
    db.session.commit()
    again = fetch(client, "/calendar/events.ics", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert list(calendar_of(again)[0].walk("VEVENT")[0].categories) == ["1.3z"]
