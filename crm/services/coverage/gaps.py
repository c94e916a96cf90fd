"""Where the programme is not reaching: what a coordinator should act on this week.

Four lists, each with what is needed to act (a link to the records or to the register):

- sub-items with no outreach in the last ``days`` days (default 30, today included), the
  latest record's day if there is one;
- targets running today whose figure is below what was expected by now (``targets``);
- countries where the register holds a live national association and none was reached
  directly (an organisation of the record, or the one a person counted for) this year;
- stakeholder kinds never reached (all time) for a sub-item.

Read for the home page of coordinators and admins and for their weekly digest, so each list
is read from what is kept for speed: the outreach list's facets (a sub-item's latest record
is the last key of its range), the kept coverage figures (all time, per kind), the national
associations of the register (a few dozen) with one EXISTS each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from crm import clock
from crm.extensions import db
from crm.models import (
    Country,
    Organisation,
    OrganisationKind,
    Outreach,
    outreach_facets,
    outreach_organisations,
    outreach_people,
)
from crm.services import reference
from crm.services.coverage import Axis, CoverageFilter, Period, coverage_matrix
from crm.services.coverage.targets import KIND_PLURALS, TargetProgress, behind_pace
from crm.services.outreach.facets import item_facet

DEFAULT_DAYS = 30
MAX_DAYS = 3660
# A list longer than this says how many more there are: the home page stays short.
SHOWN = 20


@dataclass(frozen=True)
class QuietSubitem:
    item_id: int
    code: str
    text: str
    last_on: date | None  # the day of its latest live record (programme zone); None: never

    @property
    def path(self) -> str:
        return f"/outreach?subitem={self.code}"


@dataclass(frozen=True)
class UnreachedCountry:
    code: str
    name: str
    associations: int  # live national associations of the register in the country

    @property
    def path(self) -> str:
        kind = OrganisationKind.NATIONAL_ASSOCIATION.value
        return f"/organisations?kind={kind}&country={self.code}"


@dataclass(frozen=True)
class UnreachedKinds:
    item_id: int
    code: str
    text: str
    kinds: tuple[OrganisationKind, ...]

    @property
    def words(self) -> str:
        return ", ".join(KIND_PLURALS[kind] for kind in self.kinds)

    @property
    def links(self) -> list[tuple[str, str]]:
        """(kind in words, the organisations of that kind this sub-item never reached)."""
        return [
            (KIND_PLURALS[kind], f"/organisations?kind={kind.value}&never_engaged={self.code}")
            for kind in self.kinds
        ]


@dataclass(frozen=True)
class Gaps:
    today: date
    days: int
    quiet: list[QuietSubitem] = field(default_factory=list)
    behind: list[TargetProgress] = field(default_factory=list)
    countries: list[UnreachedCountry] = field(default_factory=list)
    unreached_kinds: list[UnreachedKinds] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.quiet or self.behind or self.countries or self.unreached_kinds)

    @property
    def count(self) -> int:
        return len(self.quiet) + len(self.behind) + len(self.countries) + len(self.unreached_kinds)


def _leaves() -> list[tuple[int, str, str]]:
    rows = reference.framework_items()
    parents = {parent_id for _id, parent_id, _code, _text in rows}
    return [(item_id, code, text) for item_id, _p, code, text in rows if item_id not in parents]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), clock.programme_zone())


def quiet_subitems(today: date, days: int = DEFAULT_DAYS) -> list[QuietSubitem]:
    """Sub-items with no live outreach on the ``days`` days up to ``today`` (included),
    the longest quiet first (never reached before all others), then in framework order."""
    since = _midnight(today - timedelta(days=days - 1))
    leaves = _leaves()
    facets = {item_facet(item_id): item_id for item_id, _code, _text in leaves}
    latest: dict[int, datetime] = {}
    if facets:
        for facet, last in db.session.execute(
            sa.select(outreach_facets.c.facet, sa.func.max(outreach_facets.c.occurred_at))
            .where(outreach_facets.c.facet.in_(list(facets)))
            .group_by(outreach_facets.c.facet)
        ):
            if last is not None:
                latest[facets[facet]] = last
    zone = clock.programme_zone()
    quiet = []
    for order, (item_id, code, text) in enumerate(leaves):
        last = latest.get(item_id)
        if last is None or last < since:
            day = last.astimezone(zone).date() if last is not None else None
            quiet.append((day or date.min, order, QuietSubitem(item_id, code, text, day)))
    quiet.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in quiet]


def countries_without_associations_reached(today: date) -> list[UnreachedCountry]:
    """Countries whose live national associations none was reached directly this year
    (``today``'s, up to its end), by country name."""
    start, end = _midnight(date(today.year, 1, 1)), _midnight(date(today.year + 1, 1, 1))
    live = sa.and_(
        Outreach.deleted_at.is_(None), Outreach.occurred_at >= start, Outreach.occurred_at < end
    )
    by_link = (
        sa.select(outreach_organisations.c.outreach_id)
        .join(Outreach, Outreach.id == outreach_organisations.c.outreach_id)
        .where(outreach_organisations.c.organisation_id == Organisation.id, live)
        .exists()
    )
    by_person = (
        sa.select(outreach_people.c.outreach_id)
        .join(Outreach, Outreach.id == outreach_people.c.outreach_id)
        .where(outreach_people.c.organisation_id == Organisation.id, live)
        .exists()
    )
    associations = sa.and_(
        Organisation.kind == OrganisationKind.NATIONAL_ASSOCIATION,
        Organisation.deleted_at.is_(None),
        Organisation.merged_into_id.is_(None),
        Organisation.country_code.is_not(None),
    )
    reached = sa.or_(by_link, by_person)
    rows = db.session.execute(
        sa.select(
            Organisation.country_code,
            sa.func.count(Organisation.id),
            sa.func.max(sa.case((reached, 1), else_=0)),
        )
        .where(associations)
        .group_by(Organisation.country_code)
    ).all()
    names: dict[str, str] = {
        code: name for code, name in db.session.execute(sa.select(Country.code, Country.name))
    }
    found = [
        UnreachedCountry(code, names.get(code, code), count)
        for code, count, any_reached in rows
        if not any_reached
    ]
    return sorted(found, key=lambda c: (c.name, c.code))


def kinds_never_reached() -> list[UnreachedKinds]:
    """Per sub-item, the stakeholder kinds no live record ever reached directly (the kept
    figures of all time, per kind), in framework order; sub-items that reached every kind
    are left out."""
    matrix = coverage_matrix(CoverageFilter(period=Period.all_time(), axis=Axis.KIND))
    found = []
    for row in matrix.rows:
        if not row.is_leaf:
            continue
        missing = tuple(
            kind
            for kind in OrganisationKind
            if row.cells.get(kind.value) is None or row.cells[kind.value].outreach == 0
        )
        if missing:
            found.append(UnreachedKinds(row.item_id, row.code, row.text, missing))
    return found


def gaps(today: date, days: int = DEFAULT_DAYS) -> Gaps:
    return Gaps(
        today=today,
        days=days,
        quiet=quiet_subitems(today, days),
        behind=behind_pace(today),
        countries=countries_without_associations_reached(today),
        unreached_kinds=kinds_never_reached(),
    )


def home_gaps(today: date | None = None, days: int = DEFAULT_DAYS) -> Gaps:
    """The gaps of the home page of coordinators and admins (``today``: the programme's)."""
    return gaps(today or clock.local_today(), days)


def clean_days(value: object, field: str = "days") -> int:
    """The ``days`` parameter of the home page: 1 to ten years, default 30."""
    from crm.services.checks import clean_int

    days = clean_int(value, field, 1, MAX_DAYS)
    return DEFAULT_DAYS if days is None else days
