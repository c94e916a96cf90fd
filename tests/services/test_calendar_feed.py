"""The feed writer: every output read back by icalendar and by the strict ``ical`` parser.

No database here: ``render_calendar`` is a function of its items.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateutil.rrule
import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream
from icalendar.parser import unescape_backslash

from crm.services.calendar.feed import (
    FeedItem,
    Frequency,
    ItemStatus,
    Override,
    Recurrence,
    duration,
    escape_text,
    fold,
    render_calendar,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2026, 11, 2, 8, 15, tzinfo=UTC)


def parsed(data: bytes) -> tuple[icalendar.Calendar, IcalCalendar]:
    """The feed as both parsers read it; each refuses what it cannot read."""
    text = data.decode("utf-8")
    assert "\r\n" in text and not re.search(r"(?<!\r)\n", text), "lines end in CRLF only"
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, f"unfolded line: {line!r}"
    return icalendar.Calendar.from_ical(data), IcsCalendarStream.calendar_from_ics(text)


def text_of(calendar: icalendar.Calendar, name: str) -> str:
    """A TEXT property of the calendar itself: icalendar 7.3 keeps NAME and the X-WR- ones
    (types it does not know) as written, so they are unescaped here as RFC 5545 says."""
    return str(unescape_backslash(calendar[name].to_ical().decode()))


def timed(uid: str = "event-1@mts-crm", **fields: object) -> FeedItem:
    values: dict[str, object] = {
        "uid": uid,
        "title": "Policy round table",
        "updated_at": STAMP,
        "starts_at": datetime(2027, 3, 28, 9, 30, tzinfo=BERLIN),
        "ends_at": datetime(2027, 3, 28, 11, 0, tzinfo=BERLIN),
        "timezone": "Europe/Berlin",
    }
    values.update(fields)
    return FeedItem(**values)  # type: ignore[arg-type]


def all_day(uid: str = "event-2@mts-crm", **fields: object) -> FeedItem:
    values: dict[str, object] = {
        "uid": uid,
        "title": "EMO Hannover",
        "updated_at": STAMP,
        "start_date": date(2027, 10, 4),
        "end_date": date(2027, 10, 8),
    }
    values.update(fields)
    return FeedItem(**values)  # type: ignore[arg-type]


# --- The calendar ------------------------------------------------------------------------------


def test_calendar_properties_and_refresh_hints() -> None:
    data = render_calendar(
        "MTS events; Germany", [timed()], description="Published, all", refresh=timedelta(hours=6)
    )
    ours, strict = parsed(data)
    assert ours["VERSION"] == "2.0" and ours["CALSCALE"] == "GREGORIAN"
    assert ours["PRODID"] == "-//MTS CRM//Calendar feeds//EN"
    assert text_of(ours, "NAME") == text_of(ours, "X-WR-CALNAME") == "MTS events; Germany"
    assert text_of(ours, "X-WR-CALDESC") == text_of(ours, "DESCRIPTION") == "Published, all"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT6H\r\n" in data
    assert strict.prodid == "-//MTS CRM//Calendar feeds//EN"
    assert [event.uid for event in strict.events] == ["event-1@mts-crm"]


def test_an_empty_calendar_is_valid() -> None:
    ours, strict = parsed(render_calendar("Nothing yet", []))
    assert ours.walk("VEVENT") == [] and strict.events == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=1), "PT1H"),
        (timedelta(minutes=30), "PT30M"),
        (timedelta(days=1), "P1D"),
        (timedelta(days=1, hours=2, seconds=5), "P1DT2H5S"),
    ],
)
def test_durations(value: timedelta, text: str) -> None:
    assert duration(value) == text


def test_a_refresh_interval_must_be_positive() -> None:
    with pytest.raises(ValueError):
        render_calendar("x", [], refresh=timedelta(0))


def test_two_renders_are_byte_identical_whatever_the_order_given() -> None:
    items = [
        timed("event-b@mts-crm"),
        timed("event-a@mts-crm"),
        all_day(),
        timed("event-c@mts-crm", timezone="America/New_York"),
    ]
    first = render_calendar("Feed", items)
    assert render_calendar("Feed", list(reversed(items))) == first
    assert render_calendar("Feed", items) == first
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(first).walk("VEVENT")]
    # by start, then UID: New York's 09:30 is after Berlin's
    assert uids == ["event-a@mts-crm", "event-b@mts-crm", "event-c@mts-crm", "event-2@mts-crm"]


# --- Events ------------------------------------------------------------------------------------


def test_an_event_carries_its_uid_sequence_stamps_and_details() -> None:
    item = timed(
        sequence=3,
        description="Agenda:\n1. Welcome",
        location="Hall 3, Messe, Hannover, Germany",
        url="https://crm.example.org/agenda/1",
        categories=("1.2", "3.1"),
        status=ItemStatus.TENTATIVE,
    )
    ours, strict = parsed(render_calendar("Feed", [item]))
    (event,) = ours.walk("VEVENT")
    assert str(event["UID"]) == "event-1@mts-crm"
    assert event.decoded("SEQUENCE") == 3
    assert event.decoded("DTSTAMP") == STAMP == event.decoded("LAST-MODIFIED")
    assert str(event["DESCRIPTION"]) == "Agenda:\n1. Welcome"
    assert str(event["LOCATION"]) == "Hall 3, Messe, Hannover, Germany"
    assert str(event["URL"]) == "https://crm.example.org/agenda/1"
    assert list(event.categories) == ["1.2", "3.1"]
    assert str(event["STATUS"]) == "TENTATIVE"
    (other,) = strict.events
    assert other.sequence == 3 and other.dtstamp == STAMP and other.last_modified == STAMP
    assert other.categories == ["1.2", "3.1"] and other.url == "https://crm.example.org/agenda/1"
    assert other.status is not None and other.status.value == "TENTATIVE"


def test_an_html_description_is_written_beside_the_text_and_read_back() -> None:
    html = (
        '<p>Day 1; <a href="https://metav.de" rel="nofollow noopener">MetaV</a>,</p>\n'
        "<ul>\n<li>ü</li>\n</ul>"
    )
    data = render_calendar(
        "Feed",
        [timed(description="Day 1; MetaV (https://metav.de),\n\n- ü", html_description=html)],
    )
    ours, strict = parsed(data)
    (event,) = ours.walk("VEVENT")
    assert event["X-ALT-DESC"].params["FMTTYPE"] == "text/html"
    assert str(unescape_backslash(event["X-ALT-DESC"].to_ical().decode())) == html
    (extra,) = [p for p in strict.events[0].extras if p.name == "x-alt-desc"]
    assert str(unescape_backslash(extra.value)) == html
    assert [(p.name, p.values) for p in extra.params or []] == [("FMTTYPE", ["text/html"])]
    assert strict.events[0].description == "Day 1; MetaV (https://metav.de),\n\n- ü"
    # Without one, nothing is written.
    assert b"X-ALT-DESC" not in render_calendar("Feed", [timed(description="x")])


@pytest.mark.parametrize("status", list(ItemStatus))
def test_every_status_is_read_back(status: ItemStatus) -> None:
    ours, strict = parsed(render_calendar("Feed", [timed(status=status)]))
    assert str(ours.walk("VEVENT")[0]["STATUS"]) == status.value
    assert strict.events[0].status is not None and strict.events[0].status.value == status.value


def test_the_berlin_morning_clocks_go_forward_is_0730_utc() -> None:
    data = render_calendar("Feed", [timed()])
    assert b"\r\nDTSTART;TZID=Europe/Berlin:20270328T093000\r\n" in data
    ours, strict = parsed(data)
    start = ours.walk("VEVENT")[0].decoded("DTSTART")
    assert start.astimezone(UTC) == datetime(2027, 3, 28, 7, 30, tzinfo=UTC)
    assert strict.events[0].dtstart.astimezone(UTC) == datetime(2027, 3, 28, 7, 30, tzinfo=UTC)
    # The VTIMEZONE itself (not only the parser's own zone database) says so: CEST from 02:00.
    (zone,) = ours.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/Berlin"
    tz = zone.to_tz()
    assert datetime(2027, 3, 28, 9, 30, tzinfo=tz).utcoffset() == timedelta(hours=2)
    assert datetime(2027, 3, 27, 9, 30, tzinfo=tz).utcoffset() == timedelta(hours=1)


def test_one_vtimezone_per_zone_used_and_none_for_utc() -> None:
    items = [
        timed("a@x"),
        timed("b@x", starts_at=datetime(2031, 7, 1, 9, tzinfo=BERLIN), ends_at=None),
        timed(
            "c@x",
            timezone="America/New_York",
            starts_at=datetime(2027, 11, 7, 1, 30, tzinfo=NEW_YORK),
            ends_at=datetime(2027, 11, 7, 3, 0, tzinfo=NEW_YORK),
        ),
        timed("d@x", timezone="UTC"),
        all_day(),
    ]
    items[1] = timed(
        "b@x",
        starts_at=datetime(2031, 7, 1, 9, tzinfo=BERLIN),
        ends_at=datetime(2031, 7, 1, 10, tzinfo=BERLIN),
    )
    data = render_calendar("Feed", items)
    ours, strict = parsed(data)
    assert sorted(str(z["TZID"]) for z in ours.walk("VTIMEZONE")) == [
        "America/New_York",
        "Europe/Berlin",
    ]
    assert b"DTSTART:20270328T073000Z\r\n" in data  # the UTC one, without TZID
    by_uid = {str(e["UID"]): e for e in ours.walk("VEVENT")}
    # The Berlin zone covers 2031 too: summer time there is +02:00
    berlin = {str(z["TZID"]): z for z in ours.walk("VTIMEZONE")}["Europe/Berlin"].to_tz()
    assert datetime(2031, 7, 1, 9, tzinfo=berlin).utcoffset() == timedelta(hours=2)
    assert by_uid["c@x"].decoded("DTEND").astimezone(UTC) == datetime(2027, 11, 7, 8, tzinfo=UTC)
    (later,) = [e for e in strict.events if e.uid == "b@x"]
    assert later.dtstart.astimezone(UTC) == datetime(2031, 7, 1, 7, tzinfo=UTC)


def test_all_day_4_to_8_october_ends_on_the_9th_exclusive() -> None:
    data = render_calendar("Feed", [all_day()])
    assert b"\r\nDTSTART;VALUE=DATE:20271004\r\n" in data
    assert b"\r\nDTEND;VALUE=DATE:20271009\r\n" in data
    ours, strict = parsed(data)
    event = ours.walk("VEVENT")[0]
    assert event.decoded("DTSTART") == date(2027, 10, 4)
    assert event.decoded("DTEND") == date(2027, 10, 9)
    assert strict.events[0].dtstart == date(2027, 10, 4)
    assert strict.events[0].dtend == date(2027, 10, 9)
    assert ours.walk("VTIMEZONE") == []


def test_a_one_day_event_ends_the_next_day() -> None:
    data = render_calendar("Feed", [all_day(end_date=date(2027, 10, 4))])
    assert b"DTEND;VALUE=DATE:20271005\r\n" in data
    parsed(data)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "", "Europe/"])
def test_a_zone_nobody_knows_is_written_in_utc(zone: str) -> None:
    data = render_calendar("Feed", [timed(timezone=zone)])
    assert b"\r\nDTSTART:20270328T073000Z\r\n" in data
    ours, strict = parsed(data)
    assert ours.walk("VTIMEZONE") == []
    assert strict.events[0].dtstart == datetime(2027, 3, 28, 7, 30, tzinfo=UTC)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        render_calendar("Feed", [timed(starts_at=datetime(2027, 1, 1, 9))])


# --- Text --------------------------------------------------------------------------------------


def test_escaping_of_text() -> None:
    assert escape_text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    assert escape_text("bell\x07 and\x00 del\x7f\ttab") == "bell and del\ttab"


def test_folding_never_splits_a_character() -> None:
    line = "SUMMARY:" + "é🎉x" * 60
    folded = fold(line)
    assert folded.endswith(b"\r\n")
    pieces = folded[:-2].split(b"\r\n")
    assert all(len(piece) <= 75 for piece in pieces)
    for piece in pieces:
        piece.decode("utf-8")  # each physical line is whole characters
    assert b"".join(p[1:] if i else p for i, p in enumerate(pieces)).decode() == line


def test_a_carriage_return_or_control_cannot_add_a_property() -> None:
    evil = "Talk\rSTATUS:CANCELLED\nBEGIN:VEVENT\x0bUID:x\x00"
    data = render_calendar("Feed", [timed(title=evil, location=evil, url="https://x.org/\r\nX:y")])
    ours, strict = parsed(data)
    (event,) = ours.walk("VEVENT")
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Talk\nSTATUS:CANCELLED\nBEGIN:VEVENTUID:x"
    assert str(event["URL"]) == "https://x.org/X:y"
    assert len(strict.events) == 1


def _read_back(text: str) -> str:
    """What a title reads back as: line breaks as LF, controls but tab dropped."""
    text = re.sub("\r\n|\r|\x85|\u2028|\u2029", "\n", text)
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


# Anything a user may type, long lines, line breaks, the characters TEXT escapes, emoji and
# other characters outside the BMP (no lone surrogates, which UTF-8 cannot carry).
TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([",", ";", "\\", "\n", "\r\n", "\r", ":", '"', "\t", "🎉", "é", " "]),
        st.just("x" * 80),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(title=TEXT, location=TEXT, description=TEXT, category=TEXT)
def test_any_text_reads_back_equal_in_both_parsers(
    title: str, location: str, description: str, category: str
) -> None:
    item = timed(title=title, location=location, description=description, categories=(category,))
    ours, strict = parsed(render_calendar(title or "Feed", [item]))
    (event,) = ours.walk("VEVENT")
    assert str(event["SUMMARY"]) == _read_back(title)
    assert text_of(ours, "X-WR-CALNAME") == _read_back(title or "Feed")
    assert text_of(ours, "NAME") == _read_back(title or "Feed")
    if _read_back(location):
        assert str(event["LOCATION"]) == _read_back(location)
    if _read_back(description):
        assert str(event["DESCRIPTION"]) == _read_back(description)
    assert list(event.categories) == [_read_back(category)]
    (other,) = strict.events
    assert (other.summary or "") == _read_back(title)
    assert (other.location or "") == _read_back(location)
    assert (other.description or "") == _read_back(description)


# --- Series ------------------------------------------------------------------------------------


def _expanded_by_icalendar(calendar: icalendar.Calendar) -> list[datetime | date]:
    """The starts of a series as icalendar gives its parts (DTSTART, RRULE, EXDATE,
    RECURRENCE-ID overrides) and dateutil (icalendar's own recurrence engine) expands them."""
    masters = [e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" not in e]
    (master,) = masters
    start = master.start
    rule = master["RRULE"].to_ical().decode()
    naive = isinstance(start, date) and not isinstance(start, datetime)
    first = datetime.combine(start, datetime.min.time()) if naive else start
    if naive:
        rule = re.sub(r"UNTIL=(\d{8})\b", r"UNTIL=\1T000000", rule)
    starts: list[datetime | date] = list(dateutil.rrule.rrulestr(rule, dtstart=first))
    if naive:
        starts = [moment.date() for moment in starts]  # type: ignore[union-attr]
    skipped = set(master.exdates)
    moved = {
        e.decoded("RECURRENCE-ID"): e.start for e in calendar.walk("VEVENT") if e is not master
    }
    return sorted(moved.get(s, s) for s in starts if s not in skipped)  # type: ignore[type-var]


def _expanded_by_ical(calendar: IcalCalendar) -> list[datetime | date]:
    return [event.dtstart for event in calendar.timeline]


def test_weekly_series_with_count_exdate_and_a_moved_occurrence() -> None:
    first = datetime(2027, 3, 16, 10, 0, tzinfo=BERLIN)  # the series crosses the DST change
    series = timed(
        starts_at=first,
        ends_at=first + timedelta(hours=1),
        sequence=4,
        recurrence=Recurrence(Frequency.WEEKLY, interval=1, count=5),
        exdates=(datetime(2027, 3, 23, 9, 0, tzinfo=UTC),),  # 10:00 CET
        overrides=(
            Override(
                datetime(2027, 3, 30, 8, 0, tzinfo=UTC),  # 10:00 CEST
                starts_at=datetime(2027, 3, 31, 15, 0, tzinfo=BERLIN),
                ends_at=datetime(2027, 3, 31, 16, 0, tzinfo=BERLIN),
            ),
        ),
    )
    data = render_calendar("Feed", [series])
    assert b"\r\nRRULE:FREQ=WEEKLY;COUNT=5\r\n" in data
    assert b"\r\nEXDATE;TZID=Europe/Berlin:20270323T100000\r\n" in data
    assert b"\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270330T100000\r\n" in data
    ours, strict = parsed(data)
    expected = [
        datetime(2027, 3, 16, 10, 0, tzinfo=BERLIN),
        datetime(2027, 3, 31, 15, 0, tzinfo=BERLIN),
        datetime(2027, 4, 6, 10, 0, tzinfo=BERLIN),
        datetime(2027, 4, 13, 10, 0, tzinfo=BERLIN),
    ]
    assert _expanded_by_icalendar(ours) == expected
    assert _expanded_by_ical(strict) == expected
    # every part of the series shares the UID and the SEQUENCE
    assert {str(e["UID"]) for e in ours.walk("VEVENT")} == {"event-1@mts-crm"}
    assert {e.decoded("SEQUENCE") for e in ours.walk("VEVENT")} == {4}
    assert [(e.dtstart, e.dtend) for e in strict.timeline][1] == (
        datetime(2027, 3, 31, 15, 0, tzinfo=BERLIN),
        datetime(2027, 3, 31, 16, 0, tzinfo=BERLIN),
    )


def test_monthly_series_until_a_date_includes_that_day() -> None:
    first = datetime(2027, 1, 12, 18, 30, tzinfo=NEW_YORK)
    series = timed(
        timezone="America/New_York",
        starts_at=first,
        ends_at=first + timedelta(hours=2),
        recurrence=Recurrence(Frequency.MONTHLY, interval=2, until=date(2027, 7, 12)),
    )
    data = render_calendar("Feed", [series])
    # the last moment of 12 July in New York (EDT), in UTC
    assert b"\r\nRRULE:FREQ=MONTHLY;INTERVAL=2;UNTIL=20270713T035959Z\r\n" in data
    ours, strict = parsed(data)
    expected = [datetime(2027, month, 12, 18, 30, tzinfo=NEW_YORK) for month in (1, 3, 5, 7)]
    assert _expanded_by_icalendar(ours) == expected
    assert _expanded_by_ical(strict) == expected
    # EST until 14 March 2027, EDT after
    assert [e.dtstart.astimezone(UTC).hour for e in strict.timeline] == [23, 23, 22, 22]


def test_all_day_series_with_exdate_and_a_moved_day() -> None:
    series = all_day(
        start_date=date(2027, 5, 3),
        end_date=date(2027, 5, 4),
        recurrence=Recurrence(Frequency.WEEKLY, interval=2, until=date(2027, 6, 28)),
        exdates=(date(2027, 5, 17),),
        overrides=(
            Override(date(2027, 5, 31), start_date=date(2027, 6, 2), end_date=date(2027, 6, 2)),
        ),
    )
    data = render_calendar("Feed", [series])
    assert b"\r\nRRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=20270628\r\n" in data
    assert b"\r\nEXDATE;VALUE=DATE:20270517\r\n" in data
    assert b"\r\nRECURRENCE-ID;VALUE=DATE:20270531\r\n" in data
    ours, strict = parsed(data)
    expected = [date(2027, 5, 3), date(2027, 6, 2), date(2027, 6, 14), date(2027, 6, 28)]
    assert _expanded_by_icalendar(ours) == expected
    assert _expanded_by_ical(strict) == expected
    assert [e.dtend for e in strict.timeline][1] == date(2027, 6, 3)


def test_a_utc_series_writes_utc_originals() -> None:
    first = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
    series = timed(
        timezone="UTC",
        starts_at=first,
        ends_at=first + timedelta(minutes=45),
        recurrence=Recurrence(Frequency.WEEKLY, count=3),
        exdates=(datetime(2027, 2, 8, 12, 0, tzinfo=UTC),),
    )
    data = render_calendar("Feed", [series])
    assert b"\r\nEXDATE:20270208T120000Z\r\n" in data
    ours, strict = parsed(data)
    expected = [first, datetime(2027, 2, 15, 12, 0, tzinfo=UTC)]
    assert _expanded_by_icalendar(ours) == expected
    assert _expanded_by_ical(strict) == expected
