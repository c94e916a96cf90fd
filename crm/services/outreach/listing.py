"""The outreach list: its filter, its query and its pages.

The list, its CSV and XLSX exports and any later report share one filtered ``select()``
(``outreach_query``), so an export holds exactly what the list shows.

A period is given in days of the viewer's time zone (``from``, ``to``, ``year``, ``quarter``);
the filter turns them into UTC bounds of ``occurred_at`` once, so the query compares stored
times with two constants and walks the time index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.clock import programme_zone
from crm.models import (
    Channel,
    CommitmentItem,
    Direction,
    Event,
    Material,
    Organisation,
    OrganisationKind,
    Outcome,
    Outreach,
    Person,
    User,
    outreach_facets,
    outreach_materials,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.permissions import can
from crm.services.checks import (
    clean_choice,
    clean_country,
    clean_enum_value,
    clean_flag,
    clean_int,
    clean_record_id,
    clean_text,
)
from crm.services.errors import ValidationError
from crm.services.framework import at_or_below, clean_item_code, clean_sub_item, item_ids
from crm.services.outreach import facets
from crm.services.pagination import MAX_PAGE, Page, capped_count, link_args, paginate
from crm.services.reference import item_rows

# The programme ran from 2015; a year outside these bounds is a typo, not a period.
FIRST_YEAR = 2000
LAST_YEAR = 2100
MAX_WORDS = 6
NAMES_SHOWN = 3  # organisations and people named per row; the rest are "and N more"
PAGE_SIZE = 25  # records per page: a row names a record's reach and sub-items, denser than a person

_records = Outreach.__table__
_organisations = Organisation.__table__
_live = _records.c.deleted_at.is_(None)
_deleted = _records.c.deleted_at.is_not(None)

SORTS: dict[str, tuple[Any, ...]] = {
    "newest": (_records.c.occurred_at.desc(), _records.c.id.desc()),
    "oldest": (_records.c.occurred_at, _records.c.id),
    "subject": (_records.c.subject, _records.c.id),
    "-subject": (_records.c.subject.desc(), _records.c.id.desc()),
    "channel": (_records.c.channel, _records.c.occurred_at.desc(), _records.c.id.desc()),
    "-channel": (_records.c.channel.desc(), _records.c.occurred_at.desc(), _records.c.id.desc()),
}
DEFAULT_SORT = "newest"

_TEXT_PARAMETERS = ("q",)
_QUARTER = re.compile(r"([0-9]{4})-?[Qq]([1-4])")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class OutreachFilter:
    """What the outreach list is narrowed to; every field optional. Built from the query
    string by ``from_args`` (or ``read``); ``args()`` gives it back for links."""

    date_from: date | None = None  # parameter "from"
    date_to: date | None = None  # parameter "to"
    year: int | None = None
    quarter: str = ""  # "2026-Q2"
    subitem: str = ""  # a leaf code
    commitment: str = ""  # a commitment or item code: all the sub-items below it
    channel: str = ""
    direction: str = ""
    outcome: str = ""
    officer: int | None = None  # who logged it
    officer_is_me: bool = False  # given as "officer=me": links keep saying so
    kind: str = ""  # stakeholder kind of an organisation reached
    country: str = ""  # country of an organisation reached
    material: int | None = None
    event: int | None = None
    q: str = ""  # words of the subject
    deleted: bool = False  # admins: deleted records instead of live ones
    sort: str = DEFAULT_SORT
    page: int = 1
    zone: ZoneInfo = field(default_factory=programme_zone)
    # Parameters whose values were refused (``read``): the form shows itself open with them.
    refused: list[str] = field(default_factory=list)
    # Computed by ``read``: the commitment items meant, and the period as UTC bounds.
    item_ids: tuple[int, ...] = ()  # the sub-items meant (leaves)
    item_id: int | None = None  # the one item the code names (None: several frameworks)
    starts_at: datetime | None = None
    ends_before: datetime | None = None

    @classmethod
    def from_args(
        cls,
        args: Mapping[str, Any],
        sorts: Collection[str] | None = None,
        *,
        me: int | None = None,
        zone: ZoneInfo | None = None,
        viewer: User | None = None,
    ) -> OutreachFilter:
        """The filter of the query string; the first value the list does not know raises
        ``ValidationError`` naming its parameter (the view answers 400), never a 500 and
        never a silently empty list. ``me``: the viewer's user id (``officer=me``);
        ``zone``: the viewer's time zone, in which the period's days are read; ``viewer``:
        the user the list is for (their id is ``me``; ``deleted`` needs the right to restore,
        ``officer=me`` the right to log outreach)."""
        result, errors = cls.read(args, sorts, me=me, zone=zone, viewer=viewer)
        if errors:
            raise errors[0]
        return result

    @classmethod
    def read(
        cls,
        args: Mapping[str, Any],
        sorts: Collection[str] | None = None,
        *,
        me: int | None = None,
        zone: ZoneInfo | None = None,
        viewer: User | None = None,
    ) -> tuple[OutreachFilter, list[ValidationError]]:
        """The filter of every good value, and the errors of the others (in the order of
        the form). Words typed stay in the filter even when refused, so the form shows
        them again."""
        if viewer is not None and me is None:
            me = viewer.id
        result = cls(zone=zone or programme_zone())
        errors: list[ValidationError] = []
        known_sorts = sorts if sorts is not None else SORTS
        readers: dict[str, tuple[str, Callable[[object], object]]] = {
            "from": ("date_from", lambda v: _day(v, "from")),
            "to": ("date_to", lambda v: _day(v, "to")),
            "year": ("year", lambda v: clean_int(v, "year", FIRST_YEAR, LAST_YEAR)),
            "quarter": ("quarter", lambda v: _quarter(v, "quarter")),
            "subitem": ("subitem", lambda v: clean_sub_item(v, "subitem")),
            "commitment": ("commitment", lambda v: clean_item_code(v, "commitment")),
            "channel": ("channel", lambda v: clean_enum_value(Channel, v, "channel")),
            "direction": ("direction", lambda v: clean_enum_value(Direction, v, "direction")),
            "outcome": ("outcome", lambda v: clean_enum_value(Outcome, v, "outcome")),
            "officer": ("officer", lambda v: _officer(v, me, viewer)),
            "kind": ("kind", lambda v: clean_enum_value(OrganisationKind, v, "kind")),
            "country": ("country", lambda v: clean_country(v, "country") or ""),
            "material": (
                "material",
                lambda v: clean_record_id(Material, v, "material", "material"),
            ),
            "event": ("event", lambda v: clean_record_id(Event, v, "event", "event")),
            "q": ("q", lambda v: clean_text(v, "q", 200) or ""),
            "deleted": ("deleted", lambda v: _deleted_flag(v, viewer)),
            "sort": ("sort", lambda v: clean_choice(v, known_sorts, "sort") or DEFAULT_SORT),
            "page": ("page", lambda v: clean_int(v, "page", 1, MAX_PAGE) or 1),
        }
        for name, (attribute, read) in readers.items():
            raw = _single(args, name)
            if raw in (None, ""):
                continue
            try:
                if isinstance(raw, list):
                    raise ValidationError(f"given {len(raw)} times; give one value", field=name)
                setattr(result, attribute, read(raw))
            except ValidationError as error:
                errors.append(error)
                if name in _TEXT_PARAMETERS and isinstance(raw, str):
                    setattr(result, attribute, raw[:200])
        if result.officer is not None and _single(args, "officer") == "me":
            result.officer_is_me = True
        if result.subitem and result.commitment:
            errors.append(
                ValidationError("choose a sub-item or a commitment, not both", field="commitment")
            )
            result.commitment = ""
        try:
            result._set_period()
        except ValidationError as error:
            errors.append(error)
        if result.subitem or result.commitment:
            code = result.subitem or result.commitment
            named = item_ids(code)
            result.item_id = named[0] if len(named) == 1 else None
            result.item_ids = tuple(sorted(at_or_below(item_rows(), code)[1]))
        result.refused = [error.field or "" for error in errors]
        return result, errors

    def _set_period(self) -> None:
        """The UTC bounds of the days asked for: every part of the period (from, to, year,
        quarter) narrows it; one that leaves no day at all is refused, naming it."""
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError(
                f"the period ends ({self.date_to:%d %b %Y}) before it starts "
                f"({self.date_from:%d %b %Y})",
                field="to",
            )
        first: date | None = self.date_from
        last: date | None = self.date_to  # inclusive
        for name, span in (
            ("year", _year_span(self.year)),
            ("quarter", _quarter_span(self.quarter)),
        ):
            if span is None:
                continue
            start, end = span
            if (first and first > end) or (last and last < start):
                raise ValidationError(
                    f"{name} {self.year if name == 'year' else self.quarter} lies outside the "
                    "rest of the period: the period would be empty",
                    field=name,
                )
            first = max(first, start) if first else start
            last = min(last, end) if last else end
        self.starts_at = _utc_midnight(first, self.zone) if first else None
        self.ends_before = _utc_midnight(last + timedelta(days=1), self.zone) if last else None

    def args(self, **override: Any) -> dict[str, Any]:
        """The query string of this filter (for links to other pages, sorts and exports)."""
        values: dict[str, Any] = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "year": self.year,
            "quarter": self.quarter,
            "subitem": self.subitem,
            "commitment": self.commitment,
            "channel": self.channel,
            "direction": self.direction,
            "outcome": self.outcome,
            "officer": "me" if self.officer_is_me else self.officer,
            "kind": self.kind,
            "country": self.country,
            "material": self.material,
            "event": self.event,
            "q": self.q,
            "deleted": "1" if self.deleted else "",
            "sort": self.sort,
            "page": self.page,
        }
        return link_args(values, override, DEFAULT_SORT)

    def _attributes(self) -> tuple[Any, ...]:
        """The filters that name one value of the records or of what they reached."""
        return (
            self.channel,
            self.direction,
            self.outcome,
            self.officer,
            self.kind,
            self.country,
            self.material,
            self.event,
        )

    def selection(self) -> tuple[Any, ...]:
        """What the filter selects, whatever the page, the order or the viewer's zone: the
        key under which the list's count is remembered (``pagination.paginate``)."""
        items = self.item_ids if self.subitem or self.commitment else None
        period = (self.starts_at, self.ends_before)
        return (*period, items, *self._attributes(), tuple(_words(self.q)), self.deleted)

    @property
    def narrowing(self) -> int:
        """How many filters of the folded part of the form are set (the badge on it)."""
        period = (self.date_from, self.date_to, self.year, self.quarter)
        values = (*period, self.subitem, self.commitment, *self._attributes(), self.deleted)
        return sum(1 for value in values if value)


def _single(args: Mapping[str, Any], name: str) -> Any:
    """One value of a parameter. A parameter given twice (``?channel=a&channel=b``) is
    refused rather than one of them silently chosen: the list would not be what was asked."""
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        values = getlist(name)
        if len(values) > 1:
            return values  # not text: the reader refuses it, naming the parameter
        return values[0] if values else None
    return args.get(name)


def _day(value: object, name: str) -> date:
    text = clean_text(value, name, 10) or ""
    if not _DAY.fullmatch(text):
        raise ValidationError(f"{text[:20]!r} is not a date (YYYY-MM-DD)", field=name)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date of the calendar", field=name) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(
            f"{text!r} lies outside the years {FIRST_YEAR} to {LAST_YEAR}", field=name
        )
    return day


def _quarter(value: object, name: str) -> str:
    text = clean_text(value, name, 10) or ""
    match = _QUARTER.fullmatch(text)
    if not match or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise ValidationError(
            f"{text[:20]!r} is not a quarter between {FIRST_YEAR} and {LAST_YEAR} (e.g. 2026-Q2)",
            field=name,
        )
    return f"{match.group(1)}-Q{match.group(2)}"


def _year_span(year: int | None) -> tuple[date, date] | None:
    return (date(year, 1, 1), date(year, 12, 31)) if year else None


def _quarter_span(quarter: str) -> tuple[date, date] | None:
    if not quarter:
        return None
    year, number = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * number - 2, 1)
    following = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, following - timedelta(days=1)


def _utc_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC time at which ``day`` begins in ``zone``."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def _officer(value: object, me: int | None, viewer: User | None) -> int | None:
    if value == "me":
        if me is None:
            raise ValidationError("'me' names nobody: sign in first", field="officer")
        if viewer is not None and not can(viewer, "outreach.log"):
            raise ValidationError(
                "'me': you do not log outreach; choose who logged it", field="officer"
            )
        return me
    return clean_record_id(User, value, "officer", "user")


def _deleted_flag(value: object, viewer: User | None) -> bool:
    """Deleted records are for those who may restore them; asking for them otherwise is
    refused rather than answered with the live ones."""
    wanted = clean_flag(value, "deleted")
    if wanted and viewer is not None and not can(viewer, "outreach.restore"):
        raise ValidationError(
            "only administrators see deleted outreach; leave this out", field="deleted"
        )
    return wanted


def _words(q: str) -> list[str]:
    return [word for word in q.casefold().split() if word][:MAX_WORDS]


def _reached(f: OutreachFilter) -> sa.ColumnElement[bool] | None:
    """Records that reached an organisation of the kind and country asked for: directly, or
    through a person who counted for it on that day (``outreach_people.organisation_id``).

    Each record's few links are joined to their organisations; ``organisation_id IN (the
    organisations of a country)`` instead made SQLite seek every one of 5,000 German
    enterprises for each record (5 s for a page)."""
    if not (f.kind or f.country):
        return None
    wanted = []
    if f.kind:
        wanted.append(_organisations.c.kind == f.kind)
    if f.country:
        wanted.append(_organisations.c.country_code == f.country)
    direct = (
        sa.select(sa.literal(1))
        .select_from(outreach_organisations)
        .join(_organisations, _organisations.c.id == outreach_organisations.c.organisation_id)
        .where(outreach_organisations.c.outreach_id == _records.c.id, *wanted)
    )
    through_people = (
        sa.select(sa.literal(1))
        .select_from(outreach_people)
        .join(_organisations, _organisations.c.id == outreach_people.c.organisation_id)
        .where(outreach_people.c.outreach_id == _records.c.id, *wanted)
    )
    return sa.or_(direct.exists(), through_people.exists())


def _facet(f: OutreachFilter) -> tuple[str | None, set[str]]:
    """The facet whose range of ``outreach_facets`` holds every record the filter can match
    (the narrowest the filter names), and the filters it answers exactly. Deleted records
    have no facets."""
    if f.deleted:
        return None, set()
    # Kind and country together mean one organisation of both: no facet says that exactly.
    both = bool(f.kind and f.country)
    if f.item_id is not None and f.subitem and f.country:
        return facets.item_country_facet(f.item_id, f.country), (
            {"items"} if both else {"items", "reached"}
        )
    if f.item_id is not None:
        return facets.item_facet(f.item_id), {"items"}
    if f.country:
        return facets.country_facet(f.country), set() if both else {"reached"}
    if f.kind:
        return facets.kind_facet(f.kind), {"reached"}
    return None, set()


_facets = outreach_facets


def _conditions(f: OutreachFilter, answered: set[str]) -> list[sa.ColumnElement[bool]]:
    """What records must satisfy beyond their facet and period."""
    conditions: list[sa.ColumnElement[bool]] = []
    if (f.subitem or f.commitment) and "items" not in answered:
        conditions.append(
            sa.exists().where(
                outreach_subitems.c.outreach_id == _records.c.id,
                outreach_subitems.c.commitment_item_id.in_(f.item_ids or (-1,)),
            )
        )
    if f.channel:
        conditions.append(_records.c.channel == f.channel)
    if f.direction:
        conditions.append(_records.c.direction == f.direction)
    if f.outcome:
        conditions.append(_records.c.outcome == f.outcome)
    if f.officer is not None:
        conditions.append(_records.c.logged_by_id == f.officer)
    reached = _reached(f)
    if reached is not None and "reached" not in answered:
        conditions.append(reached)
    if f.material is not None:
        conditions.append(
            sa.exists().where(
                outreach_materials.c.outreach_id == _records.c.id,
                outreach_materials.c.material_id == f.material,
            )
        )
    if f.event is not None:
        conditions.append(_records.c.event_id == f.event)
    for word in _words(f.q):
        conditions.append(sa.func.lower(_records.c.subject).contains(word, autoescape=True))
    return conditions


def _period(column: sa.ColumnElement[datetime], f: OutreachFilter) -> list[Any]:
    bounds = []
    if f.starts_at is not None:
        bounds.append(column >= f.starts_at)
    if f.ends_before is not None:
        bounds.append(column < f.ends_before)
    return bounds


def outreach_query(f: OutreachFilter) -> sa.Select[Any]:
    """The records the filter asks for, in the list's order: a ``select()`` of Outreach.

    A filter on sub-items, commitments, countries or kinds reads its facet's range of
    ``outreach_facets`` (records in time order) and tests the records of that range against
    the rest; any other reads the time index of live records."""
    facets.sync()  # a transaction that wrote outreach reads its own facets
    facet, answered = _facet(f)
    query = sa.select(Outreach)
    newest = SORTS["newest"]
    oldest = SORTS["oldest"]
    if facet is not None:
        query = query.join(_facets, _facets.c.outreach_id == _records.c.id).where(
            _facets.c.facet == facet, *_period(_facets.c.occurred_at, f)
        )
        # The facet's key holds the records in time order: sort by it, not by the records'.
        newest = (_facets.c.occurred_at.desc(), _facets.c.outreach_id.desc())
        oldest = (_facets.c.occurred_at, _facets.c.outreach_id)
    else:
        query = query.where(_deleted if f.deleted else _live, *_period(_records.c.occurred_at, f))
    query = query.where(*_conditions(f, answered))
    if f.sort == "oldest":
        return query.order_by(*oldest)
    if f.sort in SORTS and f.sort != "newest":
        return query.order_by(*SORTS[f.sort])
    return query.order_by(*newest)


def _count(f: OutreachFilter) -> sa.Select[int] | None:
    """The capped count from the facet's range alone, when nothing but the facet and the
    period narrows the list (no table lookups: 10,001 entries of one index)."""
    facet, answered = _facet(f)
    if facet is None or _conditions(f, answered):
        return None
    in_range = (
        sa.select(_facets.c.outreach_id)
        .where(_facets.c.facet == facet, *_period(_facets.c.occurred_at, f))
        .order_by(_facets.c.occurred_at.desc(), _facets.c.outreach_id.desc())
    )
    return capped_count(in_range, in_order=True)


@dataclass
class OutreachRow:
    """One line of the outreach list: plain values, no ORM objects to build and track."""

    id: int
    occurred_at: datetime
    subject: str
    channel: str
    logged_by: str
    codes: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    more: int = 0  # organisations and people reached beyond those named

    @property
    def reached(self) -> str:
        return "; ".join(self.organisations + self.people)

    @property
    def channel_label(self) -> str:
        try:
            return Channel(self.channel).label
        except ValueError:
            return self.channel


_users = User.__table__
_items = CommitmentItem.__table__
_people = Person.__table__
# Stored text never holds control characters (checks.forbidden_character): this one
# separates the names a row's aggregates join.
SEPARATOR = "\x1f"


def _joined(column: sa.ColumnElement[str], link: sa.Table, *joins: Any) -> sa.ScalarSelect[Any]:
    """The values of ``column`` for one row's links, joined by ``SEPARATOR``, computed by
    the database for the page's rows only (one statement for the page, not one per link
    table with the page's ids bound)."""
    query = sa.select(sa.func.aggregate_strings(column, SEPARATOR)).select_from(link)
    for target, on, *where in joins:
        query = query.join(target, on).where(*where)
    return query.where(link.c.outreach_id == _records.c.id).scalar_subquery()


# Deleted organisations and people, and erased people, are not named: their names are for
# those who may see deleted records, and an erased person has none left.
_ROW_COLUMNS = (
    _records.c.id,
    _records.c.occurred_at,
    _records.c.subject,
    _records.c.channel,
    sa.select(sa.func.coalesce(_users.c.full_name, _users.c.email))
    .where(_users.c.id == _records.c.logged_by_id)
    .scalar_subquery()
    .label("logged_by"),
    _joined(
        _items.c.code,
        outreach_subitems,
        (_items, _items.c.id == outreach_subitems.c.commitment_item_id),
    ).label("codes"),
    _joined(
        _organisations.c.name,
        outreach_organisations,
        (
            _organisations,
            _organisations.c.id == outreach_organisations.c.organisation_id,
            _organisations.c.deleted_at.is_(None),
        ),
    ).label("organisations"),
    _joined(
        _people.c.first_name + " " + _people.c.last_name,
        outreach_people,
        (
            _people,
            _people.c.id == outreach_people.c.person_id,
            _people.c.deleted_at.is_(None),
            _people.c.erased_at.is_(None),
        ),
    ).label("people"),
)


def _split(joined: str | None) -> list[str]:
    return sorted(part.strip() for part in joined.split(SEPARATOR)) if joined else []


def outreach_page(f: OutreachFilter) -> Page:
    """A page of the list, each record with its sub-item codes and the first few
    organisations and people it reached, in one statement with the count capped as every
    list's (``pagination``)."""
    query = outreach_query(f).with_only_columns(*_ROW_COLUMNS, maintain_column_froms=True)
    page = paginate(
        query,
        f.page,
        size=PAGE_SIZE,
        rows=True,
        count_in_order=_in_index_order(f),
        count=_count(f),
        count_key=("outreach", f.selection()),
    )
    rows = []
    for r in page.items:
        row = OutreachRow(r.id, r.occurred_at, r.subject, r.channel, r.logged_by or "")
        row.codes = _split(r.codes)
        organisations, people = _split(r.organisations), _split(r.people)
        row.organisations = organisations[:NAMES_SHOWN]
        row.people = people[: max(0, NAMES_SHOWN - len(row.organisations))]
        row.more = len(organisations) + len(people) - len(row.organisations) - len(row.people)
        rows.append(row)
    page.items = rows
    return page


def _in_index_order(f: OutreachFilter) -> bool:
    """Newest or oldest first: the time index holds the records in the list's order, and
    walking it is the cheapest count."""
    return f.sort in ("newest", "oldest")
