"""The coverage figures computed from the tables (what any filter can ask for).

One scope (a period, an officer, a country) is a handful of common table expressions over
the live records: their items (a sub-item stands for itself and every item above it), the
organisations they reached directly (their own and those their people counted for, not
soft-deleted), their people (not soft-deleted; erased people count). Every figure is a
``count(DISTINCT ...)`` over them: the semantics of the contract, section 1, in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    CommitmentItem,
    LinkType,
    Organisation,
    OrganisationLink,
    Outreach,
    Person,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.services.coverage.model import Axis, CoverageFilter, Figures, Period
from crm.services.coverage.tree import tree

_records = Outreach.__table__
_orgs = Organisation.__table__
_people = Person.__table__
_links = OrganisationLink.__table__
_items = CommitmentItem.__table__
INDIRECT_LINKS = (LinkType.AFFILIATE_OF.value, LinkType.MEMBER_OF.value)
ALL = "all"  # the axis of a row's total cell (value "")


def axis_column(table: Any, axis: Axis) -> sa.ColumnElement[Any]:
    return {
        Axis.KIND: table.c.kind,
        Axis.COUNTRY: table.c.country_code,
        Axis.SIZE: table.c.size_class,
    }[axis]


@dataclass
class Scope:
    """The common table expressions of one scope, restricted to some items."""

    period: Period
    country: str
    items: sa.CTE  # (outreach_id, item_id)
    direct: sa.CTE  # (outreach_id, organisation_id)
    people: sa.CTE  # (outreach_id, person_id, organisation_id or NULL)
    reached: sa.CTE  # (item_id, organisation_id): the organisations reached directly per item


def scope(f: CoverageFilter, item_ids: Iterable[int] | None = None) -> Scope:
    """The scope of a filter for these items (None: every item of the framework)."""
    t = tree()
    wanted = set(t.items) if item_ids is None else set(item_ids)
    depth = max((len(t.up(leaf)) for leaf in t.items), default=1)
    start, end = f.period.bounds()
    conditions: list[sa.ColumnElement[bool]] = [_records.c.deleted_at.is_(None)]
    if start is not None:
        conditions.append(_records.c.occurred_at >= start)
    if end is not None:
        conditions.append(_records.c.occurred_at < end)
    if f.officer_id is not None:
        conditions.append(_records.c.logged_by_id == f.officer_id)
    records = sa.select(_records.c.id.label("outreach_id")).where(*conditions).cte("scope_records")
    # Each record's sub-items and the items above them, by joins on the items' primary key
    # (a list of (leaf, item) pairs to join with has no index on SQLite).
    levels = []
    item = _items.alias("level0")
    base = (
        sa.select(records.c.outreach_id)
        .select_from(records)
        .join(outreach_subitems, outreach_subitems.c.outreach_id == records.c.outreach_id)
        .join(item, item.c.id == outreach_subitems.c.commitment_item_id)
    )
    for level in range(depth):
        query = base
        column = item
        for step in range(level):
            column_above = _items.alias(f"up{level}_{step}")
            query = query.join(column_above, column_above.c.id == column.c.parent_id)
            column = column_above
        levels.append(
            query.with_only_columns(records.c.outreach_id, column.c.id.label("item_id")).where(
                column.c.id.in_(sorted(wanted))
            )
        )
    items = sa.union(*levels).cte("scope_items")
    # "IN (the scope's records)": SQLite then seeks each record's links by the key, instead
    # of scanning every link and looking its record up.
    in_scope = sa.select(records.c.outreach_id)
    linked = sa.union(
        sa.select(
            outreach_organisations.c.outreach_id.label("outreach_id"),
            outreach_organisations.c.organisation_id.label("organisation_id"),
        ).where(outreach_organisations.c.outreach_id.in_(in_scope)),
        sa.select(outreach_people.c.outreach_id, outreach_people.c.organisation_id).where(
            outreach_people.c.outreach_id.in_(in_scope),
            outreach_people.c.organisation_id.is_not(None),
        ),
    ).subquery("linked")
    org_ok: list[sa.ColumnElement[bool]] = [_orgs.c.deleted_at.is_(None)]
    if f.country:
        org_ok.append(_orgs.c.country_code == f.country)
    direct = (
        sa.select(linked.c.outreach_id, linked.c.organisation_id)
        .join(_orgs, _orgs.c.id == linked.c.organisation_id)
        .where(*org_ok)
        .cte("scope_direct")
    )
    counted = _orgs.alias("counted")
    counted_ok = sa.and_(
        counted.c.id == outreach_people.c.organisation_id, counted.c.deleted_at.is_(None)
    )
    people_query = (
        sa.select(
            outreach_people.c.outreach_id,
            outreach_people.c.person_id,
            counted.c.id.label("organisation_id"),
        )
        .join(_people, _people.c.id == outreach_people.c.person_id)
        .where(outreach_people.c.outreach_id.in_(in_scope), _people.c.deleted_at.is_(None))
    )
    if f.country:
        people_query = people_query.join(counted, counted_ok).where(
            counted.c.country_code == f.country
        )
    else:
        people_query = people_query.outerjoin(counted, counted_ok)
    people = people_query.cte("scope_people")
    reached = (
        sa.select(items.c.item_id, direct.c.organisation_id)
        .join(direct, direct.c.outreach_id == items.c.outreach_id)
        .distinct()
        .cte("scope_reached")
    )
    return Scope(f.period, f.country, items, direct, people, reached)


def _link_in_force(period: Period, links: Any = _links) -> list[sa.ColumnElement[bool]]:
    conditions = [links.c.link_type.in_(INDIRECT_LINKS)]
    if period.kind != "all":
        conditions += [
            sa.or_(links.c.starts_on.is_(None), links.c.starts_on <= period.ends_on),
            sa.or_(links.c.ends_on.is_(None), links.c.ends_on >= period.starts_on),
        ]
    return conditions


def indirect_reach(s: Scope) -> sa.Subquery:
    """(item_id, organisation_id, via_id): organisations reached indirectly per item, each
    with the smallest id of the organisations reached directly it was reached through."""
    again = s.reached.alias("again")
    source = _orgs.alias("source")
    conditions = [*_link_in_force(s.period), source.c.deleted_at.is_(None)]
    if s.country:
        conditions.append(source.c.country_code == s.country)
    already = (
        sa.select(sa.literal(1))
        .select_from(again)
        .where(
            again.c.item_id == s.reached.c.item_id, again.c.organisation_id == _links.c.source_id
        )
        .exists()
    )
    return (
        sa.select(
            s.reached.c.item_id,
            _links.c.source_id.label("organisation_id"),
            sa.func.min(s.reached.c.organisation_id).label("via_id"),
        )
        .select_from(s.reached)
        .join(_links, _links.c.target_id == s.reached.c.organisation_id)
        .join(source, source.c.id == _links.c.source_id)
        .where(*conditions, ~already)
        .group_by(s.reached.c.item_id, _links.c.source_id)
        .subquery("indirect")
    )


Key = tuple[int, str, str]  # (item id, axis or "all", value or "")


def figures(
    f: CoverageFilter, axes: Iterable[Axis] = (), item_ids: Iterable[int] | None = None
) -> dict[Key, Figures]:
    """The total cell of each item, and its cells on each of ``axes``; zero ones left out."""
    s = scope(f, item_ids)
    found: dict[Key, list[int]] = {}

    def add(rows: Iterable[Any], axis: str, slot: int) -> None:
        for row in rows:
            value = "" if axis == ALL else str(getattr(row[1], "value", row[1]))
            found.setdefault((row[0], axis, value), [0, 0, 0, 0])[slot] = row[-1]

    distinct = sa.func.count(sa.distinct(s.items.c.outreach_id))
    totals = sa.select(s.items.c.item_id, distinct).group_by(s.items.c.item_id)
    if s.country:
        totals = totals.where(s.items.c.outreach_id.in_(sa.select(s.direct.c.outreach_id)))
    add(db.session.execute(totals), ALL, 0)
    add(
        db.session.execute(
            sa.select(s.reached.c.item_id, sa.func.count()).group_by(s.reached.c.item_id)
        ),
        ALL,
        1,
    )
    ind = indirect_reach(s)
    add(
        db.session.execute(sa.select(ind.c.item_id, sa.func.count()).group_by(ind.c.item_id)),
        ALL,
        2,
    )
    persons = sa.func.count(sa.distinct(s.people.c.person_id))
    add(
        db.session.execute(
            sa.select(s.items.c.item_id, persons)
            .join(s.people, s.people.c.outreach_id == s.items.c.outreach_id)
            .group_by(s.items.c.item_id)
        ),
        ALL,
        3,
    )
    for axis in axes:
        value = axis_column(_orgs, axis)
        add(
            db.session.execute(
                sa.select(s.items.c.item_id, value, distinct)
                .join(s.direct, s.direct.c.outreach_id == s.items.c.outreach_id)
                .join(_orgs, _orgs.c.id == s.direct.c.organisation_id)
                .where(value.is_not(None))
                .group_by(s.items.c.item_id, value)
            ),
            axis.value,
            0,
        )
        add(
            db.session.execute(
                sa.select(s.reached.c.item_id, value, sa.func.count())
                .join(_orgs, _orgs.c.id == s.reached.c.organisation_id)
                .where(value.is_not(None))
                .group_by(s.reached.c.item_id, value)
            ),
            axis.value,
            1,
        )
        add(
            db.session.execute(
                sa.select(ind.c.item_id, value, sa.func.count())
                .join(_orgs, _orgs.c.id == ind.c.organisation_id)
                .where(value.is_not(None))
                .group_by(ind.c.item_id, value)
            ),
            axis.value,
            2,
        )
        add(
            db.session.execute(
                sa.select(s.items.c.item_id, value, persons)
                .join(s.people, s.people.c.outreach_id == s.items.c.outreach_id)
                .join(_orgs, _orgs.c.id == s.people.c.organisation_id)
                .where(value.is_not(None))
                .group_by(s.items.c.item_id, value)
            ),
            axis.value,
            3,
        )
    return {key: Figures(*counts) for key, counts in found.items() if any(counts)}


def recount(period: Period) -> dict[Key, Figures]:
    """Every figure of a period on every axis, from the tables alone."""
    return figures(CoverageFilter(period=period), tuple(Axis))


Behind = sa.Select[*tuple[Any, ...]]


# --- The records behind a cell -----------------------------------------------------------


def _column_records(s: Scope, axis: Axis, column: str | None) -> sa.Select[Any] | None:
    """The records of the scope that reached directly an organisation in the column (None:
    every record, or with a country those that reached one of it)."""
    if column is None:
        return sa.select(s.direct.c.outreach_id) if s.country else None
    value = axis_column(_orgs, axis)
    return (
        sa.select(s.direct.c.outreach_id)
        .join(_orgs, _orgs.c.id == s.direct.c.organisation_id)
        .where(value == column)
    )


def outreach_behind(f: CoverageFilter, item_id: int, column: str | None) -> Behind:
    """The live records counted in a cell, newest first."""
    s = scope(f, [item_id])
    query = sa.select(Outreach).where(Outreach.id.in_(sa.select(s.items.c.outreach_id)))
    narrowed = _column_records(s, f.axis, column)
    if narrowed is not None:
        query = query.where(Outreach.id.in_(narrowed))
    return query.order_by(Outreach.occurred_at.desc(), Outreach.id.desc())


def organisations_behind(
    f: CoverageFilter, item_id: int, column: str | None, *, indirect: bool = False
) -> Behind:
    """Organisations counted in a cell: reached directly with their number of records, or
    indirectly with the organisation (id) they were reached through; by name."""
    s = scope(f, [item_id])
    narrow = [] if column is None else [axis_column(_orgs, f.axis) == column]
    if indirect:
        ind = indirect_reach(s)
        return (
            sa.select(Organisation, ind.c.via_id)
            .join(ind, ind.c.organisation_id == Organisation.id)
            .where(*narrow)
            .order_by(Organisation.name_normalised, Organisation.id)
        )
    records = sa.func.count(sa.distinct(s.items.c.outreach_id)).label("records")
    return (
        sa.select(Organisation, records)
        .join(s.direct, s.direct.c.organisation_id == Organisation.id)
        .join(s.items, s.items.c.outreach_id == s.direct.c.outreach_id)
        .where(*narrow)
        .group_by(Organisation.id)
        .order_by(Organisation.name_normalised, Organisation.id)
    )


def people_behind(f: CoverageFilter, item_id: int, column: str | None) -> Behind:
    """People counted in a cell, with their number of records, by name."""
    s = scope(f, [item_id])
    records = sa.func.count(sa.distinct(s.items.c.outreach_id)).label("records")
    query = (
        sa.select(Person, records)
        .join(s.people, s.people.c.person_id == Person.id)
        .join(s.items, s.items.c.outreach_id == s.people.c.outreach_id)
    )
    if column is not None:
        query = query.join(_orgs, _orgs.c.id == s.people.c.organisation_id).where(
            axis_column(_orgs, f.axis) == column
        )
    return query.group_by(Person.id).order_by(Person.sort_name, Person.id)
