"""The values of the coverage view: axes, periods, the filter, figures and the matrix.

No database access here, except that ``CoverageFilter.from_args`` checks a country code and
an officer's id against the tables (as every list's filter does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from crm.clock import programme_zone
from crm.models import User
from crm.services.checks import (
    clean_country,
    clean_record_id,
    clean_text,
    plausible_day,
)
from crm.services.errors import ValidationError


class Axis(StrEnum):
    KIND = "kind"
    COUNTRY = "country"
    SIZE = "size"


MONTHS = (
    "January February March April May June July August September October November December"
).split()
PERIOD_KINDS = ("all", "year", "quarter", "custom")  # what ?period= may say ("month": trends)
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([1-4])")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


def _short(day: date, with_year: bool) -> str:
    text = f"{day.day} {MONTHS[day.month - 1][:3]}"
    return f"{text} {day.year}" if with_year else text


@dataclass(frozen=True)
class Period:
    """Days of the programme's zone, both ends inclusive; ``all`` has no ends."""

    kind: str  # "all" | "year" | "quarter" | "month" | "custom"
    starts_on: date | None
    ends_on: date | None
    key: str
    label: str

    @classmethod
    def all_time(cls) -> Period:
        return cls("all", None, None, "all", "All time")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", date(year, 1, 1), date(year, 12, 31), f"{year}", f"{year}")

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise ValueError(f"quarter {quarter} of a year")
        start = date(year, 3 * quarter - 2, 1)
        end = _month_end(year, 3 * quarter)
        return cls("quarter", start, end, f"{year}-Q{quarter}", f"Q{quarter} {year}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(
            "month",
            date(year, month, 1),
            _month_end(year, month),
            f"{year}-{month:02d}",
            f"{MONTHS[month - 1]} {year}",
        )

    @classmethod
    def custom(cls, starts_on: date, ends_on: date) -> Period:
        if ends_on < starts_on:
            raise ValueError("a period cannot end before it starts")
        same_year = starts_on.year == ends_on.year
        label = f"{_short(starts_on, not same_year)} to {_short(ends_on, True)}"
        return cls("custom", starts_on, ends_on, f"{starts_on}..{ends_on}", label)

    @classmethod
    def from_key(cls, key: str) -> Period:
        """The period a kept figure's key names ("all", "2026", "2026-Q3", "2026-07")."""
        if key == "all":
            return cls.all_time()
        if len(key) == 4:
            return cls.year(int(key))
        if key[5] == "Q":
            return cls.quarter(int(key[:4]), int(key[6]))
        return cls.month(int(key[:4]), int(key[5:7]))

    @classmethod
    def containing(cls, day: date) -> list[Period]:
        """The kept periods a day belongs to: its month, quarter, year and all time."""
        return [
            cls.month(day.year, day.month),
            cls.quarter(day.year, (day.month - 1) // 3 + 1),
            cls.year(day.year),
            cls.all_time(),
        ]

    @property
    def is_kept(self) -> bool:
        return self.kind != "custom"

    def bounds(self, zone: ZoneInfo | None = None) -> tuple[datetime | None, datetime | None]:
        """The UTC instants the period starts at and ends before (None: unbounded)."""
        zone = zone or programme_zone()
        start = _midnight(self.starts_on, zone) if self.starts_on else None
        end = _midnight(self.ends_on + timedelta(days=1), zone) if self.ends_on else None
        return start, end

    def holds(self, starts_on: date | None, ends_on: date | None) -> bool:
        """Whether a span of days (a link's; None = open) overlaps the period."""
        if self.kind == "all":
            return True
        assert self.starts_on is not None and self.ends_on is not None
        return (starts_on is None or starts_on <= self.ends_on) and (
            ends_on is None or ends_on >= self.starts_on
        )


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone).astimezone(UTC)


PARAMETERS = ("axis", "period", "year", "quarter", "from", "to", "country", "officer")


def _single(args: Mapping[str, Any], name: str) -> Any:
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        values = getlist(name)
        if len(values) > 1:
            raise ValidationError(f"given {len(values)} times; give one value", field=name)
        return values[0] if values else None
    value = args.get(name)
    if isinstance(value, (list, tuple)):
        if len(value) > 1:
            raise ValidationError(f"given {len(value)} times; give one value", field=name)
        return value[0] if value else None
    return value


def _year(value: object, name: str, today: date) -> int:
    text = clean_text(value, name, 10) or ""
    if not _YEAR.fullmatch(text):
        raise ValidationError(f"{text[:20]!r} is not a year (e.g. {today.year})", field=name)
    year = int(text)
    if year < 1:  # "0000": no such year in the calendar, and date() would raise
        raise ValidationError(f"{text!r} is not a year of the calendar", field=name)
    plausible_day(date(year, 1, 1), name, today)
    return year


def _quarter(value: object, name: str, today: date) -> tuple[int, int]:
    text = clean_text(value, name, 10) or ""
    match = _QUARTER.fullmatch(text)
    if not match:
        raise ValidationError(
            f"{text[:20]!r} is not a quarter (e.g. {today.year}-Q{(today.month - 1) // 3 + 1})",
            field=name,
        )
    year = int(match.group(1))
    if year < 1:  # "0000-Q1": no such year in the calendar, and date() would raise
        raise ValidationError(f"{text!r} is not a quarter of the calendar", field=name)
    plausible_day(date(year, 1, 1), name, today)
    return year, int(match.group(2))


def _day(value: object, name: str, today: date) -> date:
    text = clean_text(value, name, 10) or ""
    if not _DAY.fullmatch(text):
        raise ValidationError(f"{text[:20]!r} is not a date (YYYY-MM-DD)", field=name)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date of the calendar", field=name) from None
    return plausible_day(day, name, today)


@dataclass(frozen=True)
class CoverageFilter:
    """What the coverage view shows: a period, an axis of columns, a country, an officer."""

    period: Period = field(default_factory=Period.all_time)
    axis: Axis = Axis.KIND
    country: str = ""  # ISO code, upper case
    officer_id: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any], *, today: date) -> CoverageFilter:
        """The filter of a query string (``PARAMETERS``; others are left to the caller).

        Refuses, with ``ValidationError`` naming the parameter, every value it does not
        know: a repeated parameter, an unknown axis, period kind, country or officer, a
        malformed or implausible day, year or quarter, a period that ends before it starts.
        The period is ``period`` (default: ``year`` of today), or read from whichever of
        ``year``, ``quarter``, ``from``/``to`` is given; values of another kind are ignored.
        """
        raw = {name: _single(args, name) for name in PARAMETERS}
        raw = {name: value for name, value in raw.items() if value not in (None, "")}
        axis_text = (clean_text(raw.get("axis"), "axis", 20) or "kind").lower()
        try:
            axis = Axis(axis_text)
        except ValueError:
            choices = ", ".join(a.value for a in Axis)
            raise ValidationError(
                f"{axis_text[:20]!r} is not one of {choices}", field="axis"
            ) from None
        kind = (clean_text(raw.get("period"), "period", 20) or "").lower()
        if kind and kind not in PERIOD_KINDS:
            raise ValidationError(
                f"{kind[:20]!r} is not one of {', '.join(PERIOD_KINDS)}", field="period"
            )
        if not kind:
            if "from" in raw or "to" in raw:
                kind = "custom"
            elif "quarter" in raw:
                kind = "quarter"
            else:
                kind = "year"
        period: Period
        if kind == "all":
            period = Period.all_time()
        elif kind == "year":
            year = _year(raw["year"], "year", today) if "year" in raw else today.year
            period = Period.year(year)
        elif kind == "quarter":
            if "quarter" in raw:
                year, number = _quarter(raw["quarter"], "quarter", today)
            else:
                year, number = today.year, (today.month - 1) // 3 + 1
            period = Period.quarter(year, number)
        else:
            for name in ("from", "to"):
                if name not in raw:
                    raise ValidationError(
                        "a custom period needs its first and last day", field=name
                    )
            first = _day(raw["from"], "from", today)
            last = _day(raw["to"], "to", today)
            if last < first:
                raise ValidationError(
                    f"the period ends ({last:%d %b %Y}) before it starts ({first:%d %b %Y})",
                    field="to",
                )
            period = Period.custom(first, last)
        country = clean_country(raw.get("country"), "country") or ""
        officer = (
            clean_record_id(User, raw["officer"], "officer", "user") if "officer" in raw else None
        )
        return cls(period=period, axis=axis, country=country, officer_id=officer)

    def args(self, **override: Any) -> dict[str, Any]:
        """The query parameters of this filter (for links), ``override`` applied; empty
        values and the default axis left out."""
        values: dict[str, Any] = {"axis": "" if self.axis == Axis.KIND else self.axis.value}
        values["period"] = self.period.kind
        if self.period.kind == "year":
            values["year"] = self.period.key
        elif self.period.kind == "quarter":
            values["quarter"] = self.period.key
        elif self.period.kind in ("custom", "month"):
            values["period"] = "custom"
            values["from"] = self.period.starts_on.isoformat() if self.period.starts_on else ""
            values["to"] = self.period.ends_on.isoformat() if self.period.ends_on else ""
        values["country"] = self.country
        values["officer"] = self.officer_id
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}

    @property
    def is_kept(self) -> bool:
        """Answered from the kept figures: a kept period, no country, no officer."""
        return self.period.is_kept and not self.country and self.officer_id is None


@dataclass(frozen=True)
class Figures:
    outreach: int = 0
    orgs_direct: int = 0
    orgs_indirect: int = 0
    people: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.outreach + other.outreach,
            self.orgs_direct + other.orgs_direct,
            self.orgs_indirect + other.orgs_indirect,
            self.people + other.people,
        )

    @property
    def is_zero(self) -> bool:
        return not (self.outreach or self.orgs_direct or self.orgs_indirect or self.people)


ZERO = Figures()


@dataclass(frozen=True)
class Column:
    value: str
    label: str


@dataclass
class MatrixRow:
    item_id: int
    code: str
    text: str
    depth: int
    is_leaf: bool
    parent_id: int | None
    total: Figures
    cells: dict[str, Figures]  # column value -> figures (missing = all zero)

    def cell(self, value: str) -> Figures:
        return self.cells.get(value, ZERO)


@dataclass
class Matrix:
    filter: CoverageFilter
    columns: list[Column]
    rows: list[MatrixRow]
    source: str  # "kept" | "live"
