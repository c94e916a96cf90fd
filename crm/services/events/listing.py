"""The list of events and the month grid, with their filter.

A filter comes from a query string (the pages, the agenda, the feed) and refuses any value
it does not know, naming the parameter, rather than showing a list that is not what was asked
(an empty one for a misspelt country). Periods are read on each event's span (from the first
start to the last end of the event or of its series, kept by the session hook), so a series
that runs on is "upcoming" until its last occurrence ends. Days of the filter (``from``,
``to``, ``month``) are the programme's (CRM_TIMEZONE); an occurrence is placed in the grid on
the days it covers in the event's own zone, as its page shows it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.clock import programme_zone
from crm.extensions import db
from crm.models import Event, EventKind, EventStatus, OurRole, event_subitems, utcnow
from crm.services.checks import clean_country, clean_enum_value, clean_int, clean_text
from crm.services.errors import ValidationError
from crm.services.events.series import Occurrence, occurrences
from crm.services.framework import at_or_below, clean_item_code, clean_sub_item
from crm.services.pagination import Page, paginate
from crm.services.reference import item_rows

PERIODS = ("upcoming", "past", "all")
PAGE_SIZE = 50
MAX_PAGE = 100_000
FIRST_YEAR, LAST_YEAR = 2000, 9998
MAX_GRID_EVENTS = 1_000  # events read for one month (the nearest first): a bound on the work
PARAMETERS = (
    "period",
    "month",
    "from",
    "to",
    "kind",
    "country",
    "subitem",
    "commitment",
    "our_role",
    "status",
)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _single(args: Mapping[str, Any], name: str) -> Any:
    """One value of a parameter; one given twice is refused (the list would not be what was
    asked), naming it."""
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        values = getlist(name)
        if len(values) > 1:
            raise ValidationError(f"given {len(values)} times; give one value", field=name)
        return values[0] if values else None
    return args.get(name)


def _month(value: object) -> date:
    text = clean_text(value, "month", 7) or ""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValidationError(f"{text!r} is not a month: write it as YYYY-MM", field="month")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise ValidationError(f"{text} is not a month: there is no month {month}", field="month")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            f"{year} is outside {FIRST_YEAR}-{LAST_YEAR}: check the year", field="month"
        )
    return date(year, month, 1)


def _day(value: object, name: str) -> date:
    text = clean_text(value, name, 10) or ""
    if not _DAY.fullmatch(text):
        raise ValidationError(f"{text!r} is not a date: write it as YYYY-MM-DD", field=name)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text} does not exist", field=name) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(
            f"{day.year} is outside {FIRST_YEAR}-{LAST_YEAR}: check the year", field=name
        )
    return day


def _period(value: object) -> str:
    text = (clean_text(value, "period", 20) or "").lower()
    if text not in PERIODS:
        raise ValidationError(f"{text!r} is not one of {', '.join(PERIODS)}", field="period")
    return text


@dataclass(frozen=True)
class EventFilter:
    """What a list of events shows. Empty strings and None: not filtered on."""

    period: str = "upcoming"
    month: date | None = None  # its first day
    date_from: date | None = None
    date_to: date | None = None
    kind: str = ""
    country: str = ""
    subitem: str = ""  # a sub-item code (1.3c)
    commitment: str = ""  # a commitment or item code: all the sub-items below it
    our_role: str = ""
    status: str = ""
    item_ids: tuple[int, ...] = field(default=(), compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> EventFilter:
        """The filter of a query string; the first unknown value raises ValidationError
        naming its parameter. Parameters it does not know (``page``) are left alone. With
        a month or days and no period, the period is all: the days say which."""
        readers = {
            "period": ("period", _period),
            "month": ("month", _month),
            "from": ("date_from", lambda v: _day(v, "from")),
            "to": ("date_to", lambda v: _day(v, "to")),
            "kind": ("kind", lambda v: clean_enum_value(EventKind, v, "kind")),
            "country": ("country", lambda v: clean_country(v, "country") or ""),
            "subitem": ("subitem", lambda v: clean_sub_item(v, "subitem")),
            "commitment": ("commitment", lambda v: clean_item_code(v, "commitment")),
            "our_role": ("our_role", lambda v: clean_enum_value(OurRole, v, "our_role")),
            "status": ("status", lambda v: clean_enum_value(EventStatus, v, "status")),
        }
        values: dict[str, Any] = {}
        for name, (attribute, read) in readers.items():
            raw = _single(args, name)
            if raw in (None, ""):
                continue
            values[attribute] = read(raw)
        if "period" not in values and (
            values.get("month") or values.get("date_from") or values.get("date_to")
        ):
            values["period"] = "all"
        if values.get("date_from") and values.get("date_to"):
            if values["date_to"] < values["date_from"]:
                raise ValidationError(
                    f"the period ends ({values['date_to']:%d %b %Y}) before it starts "
                    f"({values['date_from']:%d %b %Y})",
                    field="to",
                )
        result = cls(**values)
        # Both combine as every other filter does: the sub-item, if it is under the
        # commitment (else nothing matches).
        chosen: set[int] | None = None
        for code in (result.subitem, result.commitment):
            if code:
                below = set(at_or_below(item_rows(), code)[1])
                chosen = below if chosen is None else chosen & below
        if chosen is not None:
            result = replace(result, item_ids=tuple(sorted(chosen)))
        return result

    def query_args(self) -> dict[str, str]:
        """The filter as a query string's parameters (defaults left out), for links: the
        pages' own, the agenda's subscription links."""
        args = {
            "period": self.period if self.period != "upcoming" else "",
            "month": f"{self.month:%Y-%m}" if self.month else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "kind": self.kind,
            "country": self.country,
            "subitem": self.subitem,
            "commitment": self.commitment,
            "our_role": self.our_role,
            "status": self.status,
        }
        if args["period"] == "all" and (self.month or self.date_from or self.date_to):
            args["period"] = ""  # implied by the days
        return {k: v for k, v in args.items() if v}

    def window(self, zone: ZoneInfo | None = None) -> tuple[datetime | None, datetime | None]:
        """The UTC bounds the days of the filter give (month, from, to: each narrows it)."""
        zone = zone or programme_zone()
        low: date | None = None
        high: date | None = None  # exclusive
        if self.month is not None:
            low = self.month
            high = _next_month(self.month)
        if self.date_from is not None:
            low = max(low, self.date_from) if low else self.date_from
        if self.date_to is not None:
            end = self.date_to + timedelta(days=1)
            high = min(high, end) if high else end
        return (
            _midnight(low, zone) if low else None,
            _midnight(high, zone) if high else None,
        )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def events_query(
    event_filter: EventFilter, *, public: bool = False, now: datetime | None = None
) -> sa.Select[Event]:
    """The events the filter selects, not deleted (published only when ``public``), in no
    order."""
    query = sa.select(Event).where(Event.deleted_at.is_(None))
    if public:
        query = query.where(Event.is_published.is_(True))
    moment = now or utcnow()
    if event_filter.period == "upcoming":
        query = query.where(Event.span_ends_at > moment)
    elif event_filter.period == "past":
        query = query.where(Event.span_ends_at <= moment)
    low, high = event_filter.window()
    if low is not None:
        query = query.where(Event.span_ends_at > low)
    if high is not None:
        query = query.where(Event.span_starts_at < high)
    if event_filter.kind:
        query = query.where(Event.kind == EventKind(event_filter.kind))
    if event_filter.our_role:
        query = query.where(Event.our_role == OurRole(event_filter.our_role))
    if event_filter.status:
        query = query.where(Event.status == EventStatus(event_filter.status))
    if event_filter.country:
        query = query.where(Event.country_code == event_filter.country)
    if event_filter.subitem or event_filter.commitment:
        query = query.where(
            sa.exists().where(
                event_subitems.c.event_id == Event.id,
                event_subitems.c.commitment_item_id.in_(event_filter.item_ids or (-1,)),
            )
        )
    return query


def list_events(
    event_filter: EventFilter,
    *,
    page: object = 1,
    public: bool = False,
    size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> Page:
    """One page of the events the filter selects: the nearest first (the latest first for
    past ones), with their sub-items and organiser loaded. ``page`` as the query string gave
    it (refused, naming ``page``, when it is not a page number)."""
    number = clean_int(page, "page", 1, MAX_PAGE) or 1
    query = events_query(event_filter, public=public, now=now)
    if event_filter.period == "past":
        query = query.order_by(Event.span_starts_at.desc(), Event.id.desc())
    else:
        query = query.order_by(Event.span_starts_at, Event.id)
    query = query.options(selectinload(Event.subitems), selectinload(Event.organiser_organisation))
    return paginate(query, number, size)


@dataclass(frozen=True)
class DayEntry:
    """One occurrence on one day of the grid."""

    event: Event
    occurrence: Occurrence
    is_first_day: bool  # the occurrence starts on this day (a fair's later days continue it)


@dataclass
class Day:
    day: date
    in_month: bool
    occurrences: list[DayEntry] = field(default_factory=list)


def _local_days(event: Event, occurrence: Occurrence) -> tuple[date, date]:
    """The first and last day an occurrence covers, in the event's zone."""
    if occurrence.start_date is not None and occurrence.end_date is not None:
        return occurrence.start_date, occurrence.end_date
    assert occurrence.starts_at is not None and occurrence.ends_at is not None
    zone = ZoneInfo(event.timezone)
    first = occurrence.starts_at.astimezone(zone)
    last = occurrence.ends_at.astimezone(zone)
    last_day = last.date()
    if last.time() == time(0) and last_day > first.date():
        last_day -= timedelta(days=1)  # ends at midnight: not on the next day
    return first.date(), last_day


def month_grid(
    year: object, month: object, event_filter: EventFilter, *, public: bool = False
) -> list[list[Day]]:
    """The weeks (Monday first) that cover the month, each day with the occurrences on it;
    the filter's period and days are not used (the grid is the month), its other criteria
    are. Year and month as a query string gives them are checked (field ``month``)."""
    number_year = clean_int(year, "month", FIRST_YEAR, LAST_YEAR)
    number_month = clean_int(month, "month", 1, 12)
    if number_year is None or number_month is None:
        raise ValidationError("give the month as YYYY-MM", field="month")
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(number_year, number_month)
    grid_start, grid_end = weeks[0][0], weeks[-1][-1] + timedelta(days=1)
    days = {day: Day(day, day.month == number_month) for week in weeks for day in week}
    # Zones lie within a day of the programme's: the window reaches a day further each way.
    criteria = replace(
        event_filter, period="all", month=None, date_from=grid_start - timedelta(days=1),
        date_to=grid_end,
    )  # fmt: skip
    query = (
        events_query(criteria, public=public)
        .order_by(Event.span_starts_at, Event.id)
        .limit(MAX_GRID_EVENTS)
        .options(selectinload(Event.occurrences))
    )
    for event in db.session.scalars(query):
        for occurrence in occurrences(event, grid_start, grid_end):
            start_day, last_day = _local_days(event, occurrence)
            day = max(start_day, grid_start)
            while day <= last_day and day < grid_end:
                days[day].occurrences.append(DayEntry(event, occurrence, day == start_day))
                day += timedelta(days=1)
    for cell in days.values():
        cell.occurrences.sort(key=_entry_order)
    return [[days[day] for day in week] for week in weeks]


def _entry_order(entry: DayEntry) -> tuple[int, datetime, int]:
    """All-day ones first, then by start."""
    occurrence = entry.occurrence
    if occurrence.starts_at is None:
        return (0, datetime.min.replace(tzinfo=UTC), entry.event.id)
    return (1, occurrence.starts_at, entry.event.id)
