"""The lists of follow-ups: "My follow-ups" in four groups, the team's by assignee or by
sub-item, and those about one record (a person, an organisation, an outreach record, an
event).

Rows are plain values read in one statement per list (no ORM objects for the templates to
load more from), as the outreach list's are.

What "overdue" and "today" mean depends on who looks: a follow-up due on a day is overdue
once that day is over in the viewer's zone; one due at a time is overdue once that moment
has passed, wherever the viewer is. "This week" runs from tomorrow to the Sunday of the
current ISO week, in the viewer's zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.clock import programme_zone
from crm.extensions import db
from crm.models import (
    Event,
    FollowUp,
    FollowUpStatus,
    Organisation,
    Outreach,
    Person,
    User,
    follow_up_subitems,
    utcnow,
)
from crm.services.checks import MAX_ID, clean_enum_value, clean_record_id, clean_text
from crm.services.errors import ValidationError
from crm.services.followups.records import zone_of
from crm.services.framework import at_or_below, clean_sub_item
from crm.services.reference import item_rows

# Rows shown per group of "My follow-ups" beyond which the rest are counted, not listed:
# the overdue ones shown are the most recent, those further ahead the nearest.
OVERDUE_SHOWN = 200
LATER_SHOWN = 50
TEAM_SHOWN = 500  # rows of the team's view (the nearest first); the rest are counted
ABOUT_SHOWN = 100  # rows of the open ones and of the closed ones on a record's page
# Zones lie between UTC-12 and UTC+14: a day read in one zone and a moment read in another
# are never further apart than this (the bounds of the index ranges below).
ZONE_SPREAD = timedelta(hours=26)
KINDS = ("person", "organisation", "outreach", "event")  # what follow_ups_about knows
BY = ("assignee", "subitem")
NO_SUBITEM = "No sub-item"

_follow_ups = FollowUp.__table__
_users = User.__table__
_people = Person.__table__
_organisations = Organisation.__table__
_outreach = Outreach.__table__
_events = Event.__table__


@dataclass
class FollowUpRow:
    """One line of a list of follow-ups: plain values, read in the viewer's zone."""

    id: int
    title: str
    due_label: str  # the due day, or day and time, as the viewer reads it
    due_at: datetime  # UTC (a day: its start in due_zone)
    overdue: bool
    about: list[str]  # names of what it is about: person, organisation, outreach, event
    assignee: str
    assignee_id: int
    status: str
    due_date: date
    due_time: time | None
    due_zone: str
    person_id: int | None = None
    organisation_id: int | None = None
    outreach_id: int | None = None
    event_id: int | None = None
    subitems: list[str] = field(default_factory=list)  # codes, in the framework's order
    local_day: date | None = None  # the day it is due on for the viewer

    @property
    def is_open(self) -> bool:
        return self.status == FollowUpStatus.OPEN.value


@dataclass
class FollowUpGroups:
    """The open follow-ups of one user: overdue, today, this week (to Sunday) and later."""

    overdue: list[FollowUpRow] = field(default_factory=list)
    today: list[FollowUpRow] = field(default_factory=list)
    this_week: list[FollowUpRow] = field(default_factory=list)
    later: list[FollowUpRow] = field(default_factory=list)
    older_overdue: int = 0  # overdue ones older than those listed
    later_more: int = 0  # ones further ahead than those listed
    today_date: date | None = None  # "today" in the viewer's zone
    week_ends: date | None = None  # the Sunday "this week" runs to

    def __iter__(self) -> Iterator[tuple[str, str, list[FollowUpRow]]]:
        """(key, heading, rows) of each group, in the page's order."""
        yield "overdue", "Overdue", self.overdue
        yield "today", "Today", self.today
        yield "this_week", "This week", self.this_week
        yield "later", "Later", self.later

    @property
    def total(self) -> int:
        shown = len(self.overdue) + len(self.today) + len(self.this_week) + len(self.later)
        return shown + self.older_overdue + self.later_more

    @property
    def overdue_count(self) -> int:
        return len(self.overdue) + self.older_overdue


# --- Reading rows ----------------------------------------------------------------------------


def _display_name(users: sa.FromClause) -> sa.ColumnElement[str]:
    """``User.display_name`` in SQL: the full name, else the e-mail address."""
    return sa.func.coalesce(sa.func.nullif(users.c.full_name, ""), users.c.email)


def _row_query() -> sa.Select[Any]:
    """The columns of a row, what it is about by name; deleted and erased records are not
    named (their names are for those who may see deleted records; an erased person has
    none left)."""
    people, organisations = _people.alias("about_person"), _organisations.alias("about_org")
    outreach, events = _outreach.alias("about_outreach"), _events.alias("about_event")
    return sa.select(
        _follow_ups.c.id,
        _follow_ups.c.title,
        _follow_ups.c.due_at,
        _follow_ups.c.due_date,
        _follow_ups.c.due_time,
        _follow_ups.c.due_zone,
        _follow_ups.c.status,
        _follow_ups.c.assignee_id,
        _follow_ups.c.person_id,
        _follow_ups.c.organisation_id,
        _follow_ups.c.outreach_id,
        _follow_ups.c.event_id,
        _display_name(_users).label("assignee"),
        sa.case(
            (
                sa.and_(people.c.deleted_at.is_(None), people.c.erased_at.is_(None)),
                people.c.first_name + " " + people.c.last_name,
            ),
        ).label("person"),
        sa.case(
            (organisations.c.deleted_at.is_(None), organisations.c.name),
        ).label("organisation"),
        sa.case((outreach.c.deleted_at.is_(None), outreach.c.subject)).label("outreach"),
        sa.case((events.c.deleted_at.is_(None), events.c.title)).label("event"),
    ).select_from(
        _follow_ups.join(_users, _users.c.id == _follow_ups.c.assignee_id)
        .outerjoin(people, people.c.id == _follow_ups.c.person_id)
        .outerjoin(organisations, organisations.c.id == _follow_ups.c.organisation_id)
        .outerjoin(outreach, outreach.c.id == _follow_ups.c.outreach_id)
        .outerjoin(events, events.c.id == _follow_ups.c.event_id)
    )


def _codes(ids: list[int]) -> dict[int, list[str]]:
    """The sub-item codes of each follow-up, in the framework's order."""
    if not ids:
        return {}
    order = {item_id: (n, code) for n, (item_id, _parent, code) in enumerate(item_rows())}
    found: dict[int, list[tuple[int, str]]] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for follow_up_id, item_id in db.session.execute(
            sa.select(
                follow_up_subitems.c.follow_up_id, follow_up_subitems.c.commitment_item_id
            ).where(follow_up_subitems.c.follow_up_id.in_(chunk))
        ):
            if item_id in order:
                found.setdefault(follow_up_id, []).append(order[item_id])
    return {key: [code for _n, code in sorted(items)] for key, items in found.items()}


def due_label(due_at: datetime, due_time: time | None, due_date: date, zone: ZoneInfo) -> str:
    """When a follow-up is due, as a viewer in ``zone`` reads it: the day itself for one due
    on a day; the day and time in their zone for one due at a time."""
    if due_time is None:
        return f"{due_date:%a %d %b %Y}"
    return f"{due_at.astimezone(zone):%a %d %b %Y %H:%M}"


def _rows(
    results: Iterable[Any], zone: ZoneInfo, now: datetime, with_codes: bool = False
) -> list[FollowUpRow]:
    today = now.astimezone(zone).date()
    rows = []
    for r in results:
        status = str(r.status.value if hasattr(r.status, "value") else r.status)
        is_open = status == FollowUpStatus.OPEN.value
        if r.due_time is None:
            local_day = r.due_date
            overdue = is_open and today > r.due_date
        else:
            local_day = r.due_at.astimezone(zone).date()
            overdue = is_open and now > r.due_at
        about = [name for name in (r.person, r.organisation, r.outreach, r.event) if name]
        rows.append(
            FollowUpRow(
                id=r.id,
                title=r.title,
                due_label=due_label(r.due_at, r.due_time, r.due_date, zone),
                due_at=r.due_at,
                overdue=overdue,
                about=about,
                assignee=r.assignee,
                assignee_id=r.assignee_id,
                status=status,
                due_date=r.due_date,
                due_time=r.due_time,
                due_zone=r.due_zone,
                person_id=r.person_id,
                organisation_id=r.organisation_id,
                outreach_id=r.outreach_id,
                event_id=r.event_id,
                local_day=local_day,
            )
        )
    if with_codes:
        codes = _codes([row.id for row in rows])
        for row in rows:
            row.subitems = codes.get(row.id, [])
    return rows


def _count(query: sa.Select[Any]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment ``day`` begins in ``zone``."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


# --- My follow-ups ---------------------------------------------------------------------------


def my_follow_ups(
    user: User, *, now: datetime | None = None, zone: ZoneInfo | None = None
) -> FollowUpGroups:
    """The open follow-ups assigned to ``user`` in four groups, read in their zone (or
    ``zone``): overdue (oldest first), today, this week (to Sunday) and later (nearest
    first).

    Three ranges of the (assignee, status, due_at) index: what is surely overdue (due more
    than a day's spread of zones before today began), the days around this week, which are
    sorted into groups one by one, and what is surely later."""
    now = (now or utcnow()).astimezone(UTC)
    zone = zone or ZoneInfo(zone_of(user))
    today = now.astimezone(zone).date()
    sunday = today + timedelta(days=6 - today.weekday())
    surely_overdue = _start_of(today, zone) - ZONE_SPREAD
    surely_later = _start_of(sunday + timedelta(days=1), zone) + ZONE_SPREAD
    mine = _row_query().where(
        _follow_ups.c.assignee_id == user.id,
        _follow_ups.c.status == FollowUpStatus.OPEN.value,
    )
    order = (_follow_ups.c.due_at, _follow_ups.c.id)
    groups = FollowUpGroups(today_date=today, week_ends=sunday)

    old = mine.where(_follow_ups.c.due_at < surely_overdue)
    # The most recent of the old ones, shown oldest first: the hidden ones are the oldest.
    shown_old = _rows(
        reversed(
            db.session.execute(
                old.order_by(*(column.desc() for column in order)).limit(OVERDUE_SHOWN)
            ).all()
        ),
        zone,
        now,
    )
    if len(shown_old) == OVERDUE_SHOWN:
        groups.older_overdue = _count(old) - OVERDUE_SHOWN
    groups.overdue.extend(shown_old)

    near = mine.where(
        _follow_ups.c.due_at >= surely_overdue, _follow_ups.c.due_at < surely_later
    ).order_by(*order)
    for row in _rows(db.session.execute(near), zone, now):
        assert row.local_day is not None
        if row.overdue:
            groups.overdue.append(row)
        elif row.local_day <= today:
            groups.today.append(row)
        elif row.local_day <= sunday:
            groups.this_week.append(row)
        else:
            groups.later.append(row)

    far = mine.where(_follow_ups.c.due_at >= surely_later)
    room = max(LATER_SHOWN - len(groups.later), 0)
    far_rows = _rows(db.session.execute(far.order_by(*order).limit(room)), zone, now)
    if len(far_rows) == room:
        groups.later_more = _count(far) - room
    groups.later.extend(far_rows)
    return groups


@cache
def _overdue_statement(capped: bool) -> sa.Select[Any]:
    """The count of one user's overdue follow-ups, built once: the navigation asks it on
    every page, and building and keying a new statement each time cost more than running
    it (0.45 against 0.2 ms, in process at scale 10)."""
    fu = _follow_ups.c
    mine = (
        fu.assignee_id == sa.bindparam("user_id"),
        fu.status == FollowUpStatus.OPEN.value,
        fu.due_at < sa.bindparam("bound"),  # the index's bound
        sa.or_(
            sa.and_(fu.due_time.is_not(None), fu.due_at < sa.bindparam("now")),
            sa.and_(fu.due_time.is_(None), fu.due_date < sa.bindparam("today")),
        ),
    )
    if not capped:
        return sa.select(sa.func.count()).where(*mine)
    first = sa.select(fu.id).where(*mine).limit(sa.bindparam("cap")).subquery()
    return sa.select(sa.func.count()).select_from(first)


def overdue_count(
    user: User,
    *,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
    cap: int | None = None,
) -> int:
    """How many of ``user``'s open follow-ups are overdue (the navigation's badge): one
    count over a range of the (assignee, status, due_at) index. ``cap``: count no further
    (the badge says "99+"), so a user with thousands overdue costs every page no more than
    one with a hundred."""
    now = (now or utcnow()).astimezone(UTC)
    zone = zone or ZoneInfo(zone_of(user))
    today = now.astimezone(zone).date()
    values: dict[str, Any] = {
        "user_id": user.id,
        "bound": _start_of(today, zone) + ZONE_SPREAD,
        "now": now,
        "today": today,
    }
    if cap is not None:
        values["cap"] = cap
    return db.session.scalar(_overdue_statement(cap is not None), values) or 0


# --- The team's follow-ups -------------------------------------------------------------------


@dataclass
class TeamFilter:
    """What the team's view shows: grouped ``by`` assignee or sub-item, narrowed to one
    assignee, one sub-item, one status (open by default). Built from the query string by
    ``from_args``; ``args()`` gives it back for links."""

    by: str = "assignee"
    assignee: int | None = None
    subitem: str = ""  # a leaf code
    status: str = FollowUpStatus.OPEN.value
    zone: ZoneInfo = field(default_factory=programme_zone)
    item_ids: tuple[int, ...] = ()  # computed: the sub-items the code names

    @classmethod
    def from_args(cls, args: Mapping[str, Any], *, zone: ZoneInfo | None = None) -> TeamFilter:
        """The filter of the query string. A value it does not know (an unknown grouping or
        status, a user that does not exist, an id too large for the database, a parameter
        given twice) raises ``ValidationError`` naming its parameter, never anything else:
        the view answers 400."""
        result = cls(zone=zone or programme_zone())
        readers = {
            "by": lambda v: _by(v),
            "assignee": lambda v: clean_record_id(User, v, "assignee", "user"),
            "subitem": lambda v: clean_sub_item(v, "subitem"),
            "status": lambda v: clean_enum_value(FollowUpStatus, v, "status") or result.status,
        }
        for name, read in readers.items():
            raw = _single(args, name)
            if raw in (None, ""):
                continue
            if isinstance(raw, list):
                raise ValidationError(f"given {len(raw)} times; give one value", field=name)
            setattr(result, name, read(raw))
        if result.subitem:
            result.item_ids = tuple(sorted(at_or_below(item_rows(), result.subitem)[1]))
        return result

    def args(self, **override: Any) -> dict[str, Any]:
        """The query string of this filter (defaults left out)."""
        values: dict[str, Any] = {
            "by": self.by if self.by != "assignee" else "",
            "assignee": self.assignee,
            "subitem": self.subitem,
            "status": self.status if self.status != FollowUpStatus.OPEN.value else "",
            **override,
        }
        return {name: value for name, value in values.items() if value not in ("", None)}


def _single(args: Mapping[str, Any], name: str) -> Any:
    """One value of a parameter; a list when it was given several times (refused)."""
    getlist = getattr(args, "getlist", None)
    if getlist is not None:
        values = getlist(name)
        if len(values) > 1:
            return list(values)
        return values[0] if values else None
    return args.get(name)


def _by(value: object) -> str:
    text = clean_text(value, "by", 20) or ""
    if text not in BY:
        raise ValidationError(
            f"{text!r} is not a grouping of the team's follow-ups (assignee or subitem)",
            field="by",
        )
    return text


@dataclass
class TeamGroup:
    key: str  # the assignee's id, or the sub-item's code ("" for none)
    label: str
    rows: list[FollowUpRow]

    @property
    def overdue(self) -> int:
        return sum(1 for row in self.rows if row.overdue)


@dataclass
class TeamView:
    groups: list[TeamGroup]
    shown: int  # follow-ups listed (one under several sub-items counts once)
    more: int = 0  # follow-ups the filter matches beyond those listed


def team_follow_ups(f: TeamFilter, *, now: datetime | None = None) -> TeamView:
    """The team's follow-ups the filter asks for, grouped by assignee (by name) or by
    sub-item (in the framework's order; one serving several sub-items is under each, those
    serving none last). Open ones nearest first; done or cancelled ones newest first."""
    now = (now or utcnow()).astimezone(UTC)
    query = _row_query().where(_follow_ups.c.status == f.status)
    if f.assignee is not None:
        query = query.where(_follow_ups.c.assignee_id == f.assignee)
    if f.subitem:
        query = query.where(
            sa.exists().where(
                follow_up_subitems.c.follow_up_id == _follow_ups.c.id,
                follow_up_subitems.c.commitment_item_id.in_(f.item_ids or (-1,)),
            )
        )
    if f.status == FollowUpStatus.OPEN.value:
        ordered = query.order_by(_follow_ups.c.due_at, _follow_ups.c.id)
    else:
        ordered = query.order_by(_follow_ups.c.due_at.desc(), _follow_ups.c.id.desc())
    rows = _rows(
        db.session.execute(ordered.limit(TEAM_SHOWN)), f.zone, now, with_codes=f.by == "subitem"
    )
    more = _count(query) - TEAM_SHOWN if len(rows) == TEAM_SHOWN else 0
    if f.by == "subitem":
        groups = _by_subitem(rows, f)
    else:
        groups = _by_assignee(rows)
    return TeamView(groups=groups, shown=len(rows), more=more)


def _by_assignee(rows: list[FollowUpRow]) -> list[TeamGroup]:
    groups: dict[int, TeamGroup] = {}
    for row in rows:
        group = groups.get(row.assignee_id)
        if group is None:
            group = groups[row.assignee_id] = TeamGroup(str(row.assignee_id), row.assignee, [])
        group.rows.append(row)
    return sorted(groups.values(), key=lambda g: (g.label.casefold(), g.key))


def _by_subitem(rows: list[FollowUpRow], f: TeamFilter) -> list[TeamGroup]:
    wanted = {code for _id, _parent, code in item_rows() if _id in f.item_ids}
    order = {code: n for n, (_id, _parent, code) in enumerate(item_rows())}
    groups: dict[str, TeamGroup] = {}
    for row in rows:
        codes = [c for c in row.subitems if not f.subitem or c in wanted] or [""]
        for code in codes:
            group = groups.get(code)
            if group is None:
                group = groups[code] = TeamGroup(code, code or NO_SUBITEM, [])
            group.rows.append(row)
    return sorted(groups.values(), key=lambda g: (g.key == "", order.get(g.key, 0), g.key))


# --- Follow-ups about one record -------------------------------------------------------------


def follow_ups_about(
    kind: str,
    record_id: int,
    *,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> list[FollowUpRow]:
    """The follow-ups about a person, an organisation, an outreach record or an event (for
    their pages): the open ones nearest first, then the done and cancelled ones newest
    first, at most ``ABOUT_SHOWN`` of each."""
    columns = {
        "person": _follow_ups.c.person_id,
        "organisation": _follow_ups.c.organisation_id,
        "outreach": _follow_ups.c.outreach_id,
        "event": _follow_ups.c.event_id,
    }
    if kind not in columns:
        raise ValidationError(
            f"{str(kind)[:20]!r} is not a kind of record with follow-ups ({', '.join(KINDS)})",
            field="kind",
        )
    if not 1 <= record_id <= MAX_ID:
        return []  # no record has such an id (and the database would refuse to compare it)
    now = (now or utcnow()).astimezone(UTC)
    zone = zone or programme_zone()
    about = _row_query().where(columns[kind] == record_id)
    is_open = _follow_ups.c.status == FollowUpStatus.OPEN.value
    open_rows = about.where(is_open).order_by(_follow_ups.c.due_at, _follow_ups.c.id)
    closed = about.where(~is_open).order_by(_follow_ups.c.due_at.desc(), _follow_ups.c.id.desc())
    results = [
        *db.session.execute(open_rows.limit(ABOUT_SHOWN)),
        *db.session.execute(closed.limit(ABOUT_SHOWN)),
    ]
    return _rows(results, zone, now, with_codes=True)
