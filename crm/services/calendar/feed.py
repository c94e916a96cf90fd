"""iCalendar (RFC 5545) feeds written from plain facts: ``FeedItem`` values in, bytes out.

Nothing here reads the database or the clock, so the same items always give the same bytes
(a strong ``ETag`` works, and clients do not see a changed feed on every refresh). The
content lines are written here rather than by building ``icalendar`` components: building
and serialising a thousand components costs more than the whole feed request may. The text
rules are RFC 5545's (TEXT escaping, folding at 75 octets without splitting a UTF-8
character); ``icalendar`` writes only the ``VTIMEZONE`` components (from the IANA database),
once per zone and year range.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

PRODID = "-//MTS CRM//Calendar feeds//EN"
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"})
# Characters that have no place in a TEXT value (RFC 5545 3.3.11: no controls but HTAB):
# dropped, so a stray one cannot end a line or confuse a parser. Line breaks become "\n".
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAKS = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
_NOT_URI = re.compile("[\x00-\x20\x7f]")


class ItemStatus(enum.StrEnum):
    TENTATIVE = "TENTATIVE"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class Frequency(enum.StrEnum):
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


@dataclass(frozen=True, slots=True)
class Recurrence:
    """A series rule: every ``interval`` weeks or months, up to and including the local date
    ``until`` or for ``count`` occurrences (exactly one of the two)."""

    frequency: Frequency
    interval: int = 1
    until: date | None = None
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """One moved occurrence of a series. ``original`` is what the rule gives: the UTC start
    (timed series) or the date (all-day series); the new times as in ``FeedItem``."""

    original: datetime | date
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One VEVENT (with its overrides). Timed: ``starts_at``/``ends_at`` tz-aware, written in
    ``timezone`` (an IANA name; a UTC name or None: in UTC). All-day: ``start_date`` and the
    inclusive ``end_date``. ``updated_at`` is the record's last change: DTSTAMP and
    LAST-MODIFIED. ``exdates`` are the originals (as in ``Override``) of cancelled occurrences.
    ``description`` is plain text; ``html_description``, when given, is the same as HTML
    already sanitised (X-ALT-DESC, for the clients that show a description's formatting).
    """

    uid: str
    title: str
    updated_at: datetime
    sequence: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    description: str = ""
    html_description: str = ""
    location: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    status: ItemStatus = ItemStatus.CONFIRMED
    recurrence: Recurrence | None = None
    exdates: tuple[datetime | date, ...] = ()
    overrides: tuple[Override, ...] = field(default=())

    @property
    def is_all_day(self) -> bool:
        return self.starts_at is None

    def sort_key(self) -> tuple[str, str]:
        if self.starts_at is not None:
            return (self.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S"), self.uid)
        assert self.start_date is not None
        return (self.start_date.strftime("%Y%m%dT000000"), self.uid)


# --- Values ------------------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every kind of
    line break written as ``\\n``, other control characters dropped."""
    value = _CONTROLS.sub("", value)
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return _LINE_BREAKS.sub("\\\\n", value)


def _uri(value: str) -> str:
    # A URI has no spaces or controls; anything else here would be a broken or injected line.
    return _NOT_URI.sub("", value)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: feed times must be tz-aware")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(moment: datetime, zone: ZoneInfo) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: feed times must be tz-aware")
    return moment.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def _date(day: date) -> str:
    return day.strftime("%Y%m%d")


def duration(value: timedelta) -> str:
    """An RFC 5545 DURATION (``PT1H``, ``P1D``, ``P1DT30M``) of a positive timedelta."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise ValueError("a refresh interval must be positive")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    return text + ("T" + clock if clock else "")


def fold(line: str) -> bytes:
    """One content line as UTF-8, folded at 75 octets (RFC 5545 3.1) without cutting a
    character in two, ending in CRLF."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return data + b"\r\n"
    parts = []
    start, limit = 0, 75
    while len(data) - start > limit:
        end = start + limit
        while data[end] & 0xC0 == 0x80:  # a continuation byte: back up to the character
            end -= 1
        parts.append(data[start:end])
        start, limit = end, 74  # continuation lines begin with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts) + b"\r\n"


# --- Time zones --------------------------------------------------------------------------------


def _zone_name(item: FeedItem) -> str | None:
    """The TZID an item's times are written in, None for UTC (or an all-day item). A zone
    the zone database does not know (a row older than the checks) is written in UTC: the
    same instants, never an error."""
    if item.starts_at is None or not item.timezone or item.timezone in UTC_ZONES:
        return None
    return item.timezone if _known_zone(item.timezone) else None


@lru_cache(maxsize=256)
def _known_zone(name: str) -> bool:
    try:
        _zone(name)
        vtimezone(name, 2000, 2001)
    except (ValueError, KeyError, OSError, ZoneInfoNotFoundError):
        return False
    return True


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=256)
def vtimezone(name: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of an IANA zone with its transitions from 1 January ``first_year`` to
    1 January ``last_year``, from the zone database icalendar reads (cached: the same bytes
    every time)."""
    component = icalendar.Timezone.from_tzid(
        name, first_date=date(first_year, 1, 1), last_date=date(last_year, 1, 1)
    )
    return bytes(component.to_ical())


def _years(item: FeedItem) -> tuple[int, int]:
    """The calendar years an item's times (and its series) reach, for its VTIMEZONE."""
    assert item.starts_at is not None and item.ends_at is not None
    first, last = item.starts_at.year, item.ends_at.year
    rule = item.recurrence
    if rule is not None:
        if rule.until is not None:
            last = max(last, rule.until.year)
        elif rule.count is not None:
            step = 7 if rule.frequency is Frequency.WEEKLY else 31
            span = timedelta(days=step * rule.interval * rule.count)
            last = max(last, (item.ends_at + span).year)
    for override in item.overrides:
        for moment in (override.starts_at, override.ends_at):
            if moment is not None:
                first, last = min(first, moment.year), max(last, moment.year)
    return first, last


# --- Components --------------------------------------------------------------------------------


def _times(
    lines: list[str],
    zone_name: str | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    start_date: date | None,
    end_date: date | None,
) -> None:
    if starts_at is not None:
        if ends_at is None:
            raise ValueError("a timed item needs its end")
        if zone_name is None:
            lines.append("DTSTART:" + _utc(starts_at))
            lines.append("DTEND:" + _utc(ends_at))
        else:
            zone = _zone(zone_name)
            lines.append(f"DTSTART;TZID={zone_name}:" + _local(starts_at, zone))
            lines.append(f"DTEND;TZID={zone_name}:" + _local(ends_at, zone))
    else:
        if start_date is None or end_date is None:
            raise ValueError("an all-day item needs its start and end dates")
        # DTEND of a DATE is exclusive: the day after the last one.
        lines.append("DTSTART;VALUE=DATE:" + _date(start_date))
        lines.append("DTEND;VALUE=DATE:" + _date(end_date + timedelta(days=1)))


def _original(item: FeedItem, zone_name: str | None, original: datetime | date) -> str:
    """An occurrence's original start as RECURRENCE-ID or EXDATE write it (``;params:value``),
    in the same form as DTSTART (RFC 5545 3.8.4.4, 3.8.5.1)."""
    if item.is_all_day:
        day = original.date() if isinstance(original, datetime) else original
        return ";VALUE=DATE:" + _date(day)
    if not isinstance(original, datetime):
        raise ValueError(f"a timed series' occurrence is a datetime, not {original!r}")
    if zone_name is None:
        return ":" + _utc(original)
    return f";TZID={zone_name}:" + _local(original, _zone(zone_name))


def _rrule(item: FeedItem, zone_name: str | None) -> str:
    rule = item.recurrence
    assert rule is not None
    parts = [f"FREQ={rule.frequency.value}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.until is not None:
        if item.is_all_day:
            parts.append("UNTIL=" + _date(rule.until))
        else:
            # A DATE-TIME DTSTART with TZID needs UNTIL in UTC (RFC 5545 3.3.10): the last
            # moment of the local day ``until``.
            zone = _zone(zone_name) if zone_name else UTC
            last = datetime.combine(rule.until + timedelta(days=1), time(), zone)
            parts.append("UNTIL=" + _utc(last - timedelta(seconds=1)))
    elif rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    return "RRULE:" + ";".join(parts)


def _common(item: FeedItem, lines: list[str]) -> None:
    stamp = _utc(item.updated_at)
    lines.append("UID:" + escape_text(item.uid))
    lines.append("DTSTAMP:" + stamp)
    lines.append("LAST-MODIFIED:" + stamp)
    lines.append(f"SEQUENCE:{int(item.sequence)}")


def _details(item: FeedItem, lines: list[str]) -> None:
    lines.append("SUMMARY:" + escape_text(item.title))
    if item.description:
        lines.append("DESCRIPTION:" + escape_text(item.description))
    if item.html_description:
        lines.append("X-ALT-DESC;FMTTYPE=text/html:" + escape_text(item.html_description))
    if item.location:
        lines.append("LOCATION:" + escape_text(item.location))
    if item.url:
        lines.append("URL:" + _uri(item.url))
    if item.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(code) for code in item.categories))
    lines.append("STATUS:" + item.status.value)


def _vevents(item: FeedItem) -> list[str]:
    zone_name = _zone_name(item)
    lines = ["BEGIN:VEVENT"]
    _common(item, lines)
    _times(lines, zone_name, item.starts_at, item.ends_at, item.start_date, item.end_date)
    _details(item, lines)
    if item.recurrence is not None:
        lines.append(_rrule(item, zone_name))
        for original in sorted(item.exdates, key=_original_key):
            lines.append("EXDATE" + _original(item, zone_name, original))
    lines.append("END:VEVENT")
    if item.recurrence is None:
        return lines
    for override in sorted(item.overrides, key=lambda o: _original_key(o.original)):
        lines.append("BEGIN:VEVENT")
        _common(item, lines)
        lines.append("RECURRENCE-ID" + _original(item, zone_name, override.original))
        if item.is_all_day:
            _times(lines, None, None, None, override.start_date, override.end_date)
        else:
            _times(lines, zone_name, override.starts_at, override.ends_at, None, None)
        _details(item, lines)
        lines.append("END:VEVENT")
    return lines


def _original_key(original: datetime | date) -> str:
    if isinstance(original, datetime):
        return _utc(original)
    return _date(original)


def _zones(items: Iterable[FeedItem]) -> list[bytes]:
    ranges: dict[str, tuple[int, int]] = {}
    for item in items:
        name = _zone_name(item)
        if name is None:
            continue
        first, last = _years(item)
        if name in ranges:
            first, last = min(first, ranges[name][0]), max(last, ranges[name][1])
        ranges[name] = (first, last)
    # One year before the first (a DTSTART early in January) to two after the last.
    return [vtimezone(name, first - 1, last + 2) for name, (first, last) in sorted(ranges.items())]


def render_calendar(
    name: str,
    items: Sequence[FeedItem],
    *,
    description: str = "",
    refresh: timedelta = timedelta(hours=1),
) -> bytes:
    """The whole VCALENDAR of ``items``: named, with refresh hints for the clients that read
    them (REFRESH-INTERVAL, RFC 7986; X-PUBLISHED-TTL, Outlook), a VTIMEZONE for every TZID
    used, the events in the order of their start and UID. The same input gives the same bytes.
    """
    every = duration(refresh)
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:" + PRODID,
        "CALSCALE:GREGORIAN",
        "NAME:" + escape_text(name),
        "X-WR-CALNAME:" + escape_text(name),
    ]
    if description:
        head.append("DESCRIPTION:" + escape_text(description))
        head.append("X-WR-CALDESC:" + escape_text(description))
    head.append("REFRESH-INTERVAL;VALUE=DURATION:" + every)
    head.append("X-PUBLISHED-TTL:" + every)
    out = [fold(line) for line in head]
    out.extend(_zones(items))
    for item in sorted(items, key=FeedItem.sort_key):
        out.extend(fold(line) for line in _vevents(item))
    out.append(b"END:VCALENDAR\r\n")
    return b"".join(out)
