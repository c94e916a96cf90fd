"""The kept coverage figures (``coverage_figures``), current after every write.

The home page and the coverage view for a year, a quarter or all time read one row per cell
instead of counting a million records. Distinct counts do not add up, so a write cannot just
add to them: what moves them is kept beside them (``crm.models.coverage``):

- each live record's contribution as it was last counted (``coverage_records``): a rewrite
  subtracts it and adds the new one, which moves the outreach counts;
- per organisation or person reached, month, sub-item (and for people the organisation
  counted for), how many live records reached them so (``coverage_reach``): an organisation
  or a person enters a cell when its rows there go from none to some, and leaves it when
  they go back, which moves the counts of organisations reached directly and of people;
- the organisations reached indirectly per period and item (``coverage_indirect``): an
  organisation whose reach, links, deletion or values changed, or that links to one whose
  reach changed, is placed anew, which moves the indirect counts.

Whatever changes what the figures read passes through a flush of the session: outreach
records and their links, organisations (kind, country, size class, deletion, merge), people
(deletion, merge), organisation links. After each flush the records touched are rewritten;
they and the organisations are noted in ``session.info`` and rewritten once more before the
transaction commits, so that links written by Core statements after their record's flush
(the merges) are seen too. A rewrite that changes nothing writes nothing. Bulk loads call
``rebuild``, as ``crm reindex`` and the migration that made the tables do.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from crm.clock import local_date
from crm.extensions import db
from crm.models import (
    CommitmentItem,
    Organisation,
    OrganisationLink,
    Outreach,
    Person,
    coverage_figures,
    coverage_indirect,
    coverage_reach,
    coverage_records,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.services.coverage.live import ALL, INDIRECT_LINKS
from crm.services.coverage.model import Period
from crm.services.coverage.tree import build, tree, using

BATCH = 2_000
_PENDING = "coverage.pending"
_STALE = "coverage.stale"  # a statement outside a flush wrote a table the figures read
ORGANISATION_FIELDS = ("kind", "country_code", "size_class", "deleted_at", "merged_into_id")
PERSON_FIELDS = ("deleted_at", "merged_into_id")
_records = Outreach.__table__
_orgs = Organisation.__table__
_people = Person.__table__
_links = OrganisationLink.__table__

Cell = tuple[str, int, str, str]  # (period key, item id, axis, value)
ReachKey = tuple[str, int, str, int, int, str, str, str]
# (member type, member id, month, leaf id, organisation id, kind, country, size)
Snapshot = dict[
    str, Any
]  # {"l": [leaf], "o": [[id, kind, country, size]], "p": [[person, org, kind, country, size]]}
OUTREACH, DIRECT, INDIRECT, PEOPLE = range(4)


def _value(value: object) -> str:
    return "" if value is None else str(getattr(value, "value", value))


@cache
def period_keys(month_key: str) -> tuple[str, ...]:
    """The kept periods a month belongs to."""
    year, month = int(month_key[:4]), int(month_key[5:7])
    return (month_key, f"{year}-Q{(month - 1) // 3 + 1}", f"{year}", "all")


@cache
def _period(key: str) -> Period:
    return Period.from_key(key)


def month_key(moment: Any) -> str:
    day = local_date(moment)
    return f"{day.year}-{day.month:02d}"


def _value_cells(kind: str, country: str, size: str) -> list[tuple[str, str]]:
    cells = [("kind", kind), ("country", country)]
    if size:
        cells.append(("size", size))
    return cells


# --- What a record contributes ------------------------------------------------------------


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


@cache
def _snapshot_queries(span: bool) -> tuple[Any, Any, Any, Any]:
    """The four statements that read records' contributions, built once (their compiled
    forms are cached too): for the ids of ``:ids`` (expanding) or, ``span``, ``:lo``..``:hi``."""

    def among(column: Any) -> Any:
        if span:
            return column.between(sa.bindparam("lo"), sa.bindparam("hi"))
        return column.in_(sa.bindparam("ids", expanding=True))

    records = sa.select(_records.c.id, _records.c.occurred_at).where(
        among(_records.c.id), _records.c.deleted_at.is_(None)
    )
    leaves = sa.select(
        outreach_subitems.c.outreach_id, outreach_subitems.c.commitment_item_id
    ).where(among(outreach_subitems.c.outreach_id))
    linked = sa.union(
        sa.select(
            outreach_organisations.c.outreach_id.label("outreach_id"),
            outreach_organisations.c.organisation_id.label("organisation_id"),
        ).where(among(outreach_organisations.c.outreach_id)),
        sa.select(outreach_people.c.outreach_id, outreach_people.c.organisation_id).where(
            among(outreach_people.c.outreach_id),
            outreach_people.c.organisation_id.is_not(None),
        ),
    ).subquery()
    organisations = (
        sa.select(
            linked.c.outreach_id, _orgs.c.id, _orgs.c.kind, _orgs.c.country_code, _orgs.c.size_class
        )
        .join(_orgs, _orgs.c.id == linked.c.organisation_id)
        .where(_orgs.c.deleted_at.is_(None))
    )
    counted = _orgs.alias("counted")
    people = (
        sa.select(
            outreach_people.c.outreach_id,
            outreach_people.c.person_id,
            counted.c.id,
            counted.c.kind,
            counted.c.country_code,
            counted.c.size_class,
        )
        .join(_people, _people.c.id == outreach_people.c.person_id)
        .outerjoin(
            counted,
            sa.and_(
                counted.c.id == outreach_people.c.organisation_id, counted.c.deleted_at.is_(None)
            ),
        )
        .where(among(outreach_people.c.outreach_id), _people.c.deleted_at.is_(None))
    )
    return records, leaves, organisations, people


def current_snapshots(
    session: Session, ids: list[int], span: tuple[int, int] | None = None
) -> dict[int, tuple[str, Snapshot]]:
    """What each live record among ``ids`` (or with an id in ``span``, both ends included:
    a rebuild reads ranges of the link tables' keys) contributes now, read from the tables."""
    found: dict[int, tuple[str, Snapshot]] = {}
    records, leaves, organisations, people = _snapshot_queries(span is not None)
    params: dict[str, Any] = {"lo": span[0], "hi": span[1]} if span else {"ids": list(ids)}
    for record_id, occurred_at in session.execute(records, params):
        found[record_id] = (month_key(occurred_at), {"l": [], "o": [], "p": []})
    if not found:
        return found
    for record_id, item_id in session.execute(leaves, params):
        if record_id in found:
            found[record_id][1]["l"].append(item_id)
    for record_id, org_id, kind, country, size in session.execute(organisations, params):
        if record_id in found:
            found[record_id][1]["o"].append([org_id, _value(kind), _value(country), _value(size)])
    for record_id, person_id, org_id, kind, country, size in session.execute(people, params):
        if record_id in found:
            found[record_id][1]["p"].append(
                [person_id, org_id or 0, _value(kind), _value(country), _value(size)]
            )
    for _month, snapshot in found.values():
        for part in snapshot.values():
            part.sort()
    return found


def stored_snapshots(session: Session, ids: list[int]) -> dict[int, tuple[str, Snapshot]]:
    rows = session.execute(
        sa.select(
            coverage_records.c.outreach_id,
            coverage_records.c.month_key,
            coverage_records.c.snapshot,
        ).where(coverage_records.c.outreach_id.in_(ids))
    )
    return {record_id: (month, snapshot) for record_id, month, snapshot in rows}


def record_cells(month: str, snapshot: Snapshot) -> set[Cell]:
    """The cells a record counts in (its outreach count)."""
    t = tree()
    items = {item for leaf in snapshot["l"] for item in t.up(leaf)}
    values = {(ALL, "")}
    for _org, kind, country, size in snapshot["o"]:
        values.update(_value_cells(kind, country, size))
    return {
        (period, item, axis, value)
        for period in period_keys(month)
        for item in items
        for axis, value in values
    }


def reach_keys(month: str, snapshot: Snapshot) -> list[ReachKey]:
    keys: list[ReachKey] = []
    for leaf in snapshot["l"]:
        for org, kind, country, size in snapshot["o"]:
            keys.append(("o", org, month, leaf, org, kind, country, size))
        for person, org, kind, country, size in snapshot["p"]:
            keys.append(("p", person, month, leaf, org, kind, country, size))
    return keys


_MEMO_LIMIT = 200_000


def _memo(t: Any) -> dict[object, object]:
    if len(t.memo) > _MEMO_LIMIT:
        t.memo.clear()
    return t.memo


def _cells_of_row(
    t: Any, month: str, leaf: int, org: bool, kind: str, country: str, size: str
) -> frozenset[Cell]:
    key = ("cells", month, leaf, org, kind, country, size)
    found = t.memo.get(key)
    if found is None:
        values = [(ALL, "")] + (_value_cells(kind, country, size) if org else [])
        found = frozenset(
            (period, item, axis, value)
            for period in period_keys(month)
            for item in t.up(leaf)
            for axis, value in values
        )
        t.memo[key] = found
    return found


def _scopes_of_row(t: Any, month: str, leaf: int) -> frozenset[tuple[str, int]]:
    key = ("scopes", month, leaf)
    found = t.memo.get(key)
    if found is None:
        found = frozenset((period, item) for period in period_keys(month) for item in t.up(leaf))
        t.memo[key] = found
    return found


def member_cells(rows: Iterable[ReachKey]) -> set[Cell]:
    """The cells an organisation or a person is counted in, from their reach rows (each
    row's cells read once per framework tree, then joined)."""
    t = tree()
    _memo(t)
    cells: set[Cell] = set()
    for _type, _member, month, leaf, org, kind, country, size in rows:
        cells.update(_cells_of_row(t, month, leaf, bool(org), kind, country, size))
    return cells


def _scopes(rows: Iterable[ReachKey]) -> set[tuple[str, int]]:
    t = tree()
    _memo(t)
    found: set[tuple[str, int]] = set()
    for row in rows:
        found.update(_scopes_of_row(t, row[2], row[3]))
    return found


# --- Writing figures ----------------------------------------------------------------------

Deltas = dict[Cell, list[int]]


def _add(deltas: Deltas, cells: Iterable[Cell], slot: int, amount: int) -> None:
    for cell in cells:
        deltas.setdefault(cell, [0, 0, 0, 0])[slot] += amount


def _dialect(session: Session) -> str:
    """The dialect's name, for a session or a bare connection (the migration's)."""
    dialect = getattr(session, "dialect", None) or session.get_bind().dialect
    return str(dialect.name)


def _apply_figures(session: Session, deltas: Deltas) -> None:
    rows = [
        {
            "period_key": cell[0],
            "item_id": cell[1],
            "axis": cell[2],
            "value": cell[3],
            "outreach": d[0],
            "orgs_direct": d[1],
            "orgs_indirect": d[2],
            "people": d[3],
        }
        for cell, d in deltas.items()
        if any(d)
    ]
    if not rows:
        return
    dialect = _dialect(session)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(coverage_figures)
    figures = ("outreach", "orgs_direct", "orgs_indirect", "people")
    statement = insert.on_conflict_do_update(
        index_elements=["period_key", "item_id", "axis", "value"],
        set_={name: coverage_figures.c[name] + insert.excluded[name] for name in figures},
    )
    for start in range(0, len(rows), 5_000):
        session.execute(statement, rows[start : start + 5_000])
    # Only a cell that lost something can have come down to nothing: those, by key.
    emptied = [
        {"p": row["period_key"], "i": row["item_id"], "a": row["axis"], "v": row["value"]}
        for row in rows
        if any(int(row[name]) < 0 for name in figures)  # type: ignore[call-overload]
    ]
    if emptied:
        c = coverage_figures.c
        session.execute(
            sa.delete(coverage_figures).where(
                c.period_key == sa.bindparam("p"),
                c.item_id == sa.bindparam("i"),
                c.axis == sa.bindparam("a"),
                c.value == sa.bindparam("v"),
                *(c[name] == 0 for name in figures),
            ),
            emptied,
        )


def _load_reach(
    session: Session, members: set[tuple[str, int]], leaves: set[int] | None = None
) -> dict[tuple[str, int], Counter[ReachKey]]:
    """The reach rows of these members (of these sub-items only, ``leaves``)."""
    found: dict[tuple[str, int], Counter[ReachKey]] = defaultdict(Counter)
    by_type: dict[str, list[int]] = defaultdict(list)
    for member_type, member_id in members:
        by_type[member_type].append(member_id)
    c = coverage_reach.c
    for member_type, ids in by_type.items():
        for chunk in _chunks(ids):
            for row in session.execute(
                sa.select(
                    c.member_type,
                    c.member_id,
                    c.month_key,
                    c.leaf_id,
                    c.organisation_id,
                    c.kind,
                    c.country,
                    c.size,
                    c.records,
                ).where(
                    c.member_type == member_type,
                    c.member_id.in_(chunk),
                    *([] if leaves is None else [c.leaf_id.in_(sorted(leaves))]),
                )
            ):
                key: ReachKey = tuple(row[:8])
                found[(row[0], row[1])][key] = row[8]
    return found


def _write_reach(
    session: Session, before: dict[tuple[str, int], Counter[ReachKey]], delta: Counter[ReachKey]
) -> None:
    names = (
        "member_type",
        "member_id",
        "month_key",
        "leaf_id",
        "organisation_id",
        "kind",
        "country",
        "size",
    )
    inserts, updates, deletes = [], [], []
    for key, change in delta.items():
        if not change:
            continue
        had = before.get((key[0], key[1]), Counter()).get(key, 0)
        now = had + change
        row = dict(zip(names, key, strict=True))
        if now <= 0:
            deletes.append({f"k_{n}": v for n, v in row.items()})
        elif had:
            updates.append({**{f"k_{n}": v for n, v in row.items()}, "n": now})
        else:
            inserts.append({**row, "records": now})
    c = coverage_reach.c
    match = [c[n] == sa.bindparam(f"k_{n}") for n in names]
    if deletes:
        session.execute(sa.delete(coverage_reach).where(*match), deletes)
    if updates:
        session.execute(
            sa.update(coverage_reach).where(*match).values(records=sa.bindparam("n")), updates
        )
    if inserts:
        session.execute(sa.insert(coverage_reach), inserts)


# --- Indirect reach -----------------------------------------------------------------------


def _sources_of(session: Session, targets: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(targets):
        found.update(
            session.scalars(
                sa.select(_links.c.source_id).where(
                    _links.c.target_id.in_(chunk), _links.c.link_type.in_(INDIRECT_LINKS)
                )
            )
        )
    return found


def _sources_by_target(session: Session, targets: set[int]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for chunk in _chunks(targets):
        found.extend(
            (source, target)
            for source, target in session.execute(
                sa.select(_links.c.source_id, _links.c.target_id).where(
                    _links.c.target_id.in_(chunk), _links.c.link_type.in_(INDIRECT_LINKS)
                )
            )
        )
    return found


def place_indirect(
    session: Session,
    organisations: set[int],
    deltas: Deltas,
    *,
    fresh: bool = False,
    only: dict[int, set[tuple[str, int]]] | None = None,
) -> None:
    """Place these organisations anew among the ones reached indirectly, per period and
    item; ``fresh``: none is placed yet (a rebuild); ``only``: in these (period, item)
    scopes alone, per organisation (the ones where its own reach or its targets' moved:
    elsewhere nothing it depends on changed)."""
    for chunk in _chunks(organisations, 1_000):
        within: set[tuple[str, int]] | None = None
        leaves: set[int] | None = None
        if only is not None:
            within = {scope for org in chunk for scope in only.get(org, ())}
            t = tree()
            leaves = {leaf for _p, item in within for leaf in t.leaves_below(item)}
        facts = {
            row.id: row
            for row in session.execute(
                sa.select(
                    _orgs.c.id,
                    _orgs.c.deleted_at,
                    _orgs.c.kind,
                    _orgs.c.country_code,
                    _orgs.c.size_class,
                ).where(_orgs.c.id.in_(chunk))
            )
        }
        links: dict[int, list[tuple[int, Any, Any]]] = defaultdict(list)
        for source, target, starts_on, ends_on in session.execute(
            sa.select(
                _links.c.source_id, _links.c.target_id, _links.c.starts_on, _links.c.ends_on
            ).where(_links.c.source_id.in_(chunk), _links.c.link_type.in_(INDIRECT_LINKS))
        ):
            links[source].append((target, starts_on, ends_on))
        targets = {target for found in links.values() for target, _s, _e in found}
        # In scopes of these items only the reach rows of sub-items below them count.
        reach = _load_reach(session, {("o", o) for o in targets | set(chunk)}, leaves)
        scopes = {member: _scopes(rows) for (_t, member), rows in reach.items()}
        stored: dict[int, dict[tuple[str, int], tuple[str, str, str]]] = defaultdict(dict)
        if not fresh:
            c = coverage_indirect.c
            for org, period, item, kind, country, size in session.execute(
                sa.select(
                    c.organisation_id, c.period_key, c.item_id, c.kind, c.country, c.size
                ).where(c.organisation_id.in_(chunk))
            ):
                stored[org][(period, item)] = (kind, country, size)
        removed: list[dict[str, Any]] = []
        added: list[dict[str, Any]] = []
        for org in chunk:
            row = facts.get(org)
            wanted: dict[tuple[str, int], tuple[str, str, str]] = {}
            if row is not None and row.deleted_at is None:
                values = (_value(row.kind), _value(row.country_code), _value(row.size_class))
                own = scopes.get(org, set())
                mine = None if only is None else only.get(org, set())
                for target, starts_on, ends_on in links.get(org, []):
                    theirs = scopes.get(target, set())
                    for period, item in theirs if mine is None else mine & theirs:
                        if (period, item) not in own and _period(period).holds(starts_on, ends_on):
                            wanted[(period, item)] = values
            had = stored.get(org, {})
            if only is not None:
                mine = only.get(org, set())
                had = {place: values for place, values in had.items() if place in mine}
            for place, values in had.items():
                if wanted.get(place) != values:
                    removed.append({"o": org, "p": place[0], "i": place[1]})
                    cells = [(place[0], place[1], ALL, "")]
                    cells += [(place[0], place[1], a, v) for a, v in _value_cells(*values)]
                    _add(deltas, cells, INDIRECT, -1)
            for place, values in wanted.items():
                if had.get(place) != values:
                    added.append(
                        {
                            "organisation_id": org,
                            "period_key": place[0],
                            "item_id": place[1],
                            "kind": values[0],
                            "country": values[1],
                            "size": values[2],
                        }
                    )
                    cells = [(place[0], place[1], ALL, "")]
                    cells += [(place[0], place[1], a, v) for a, v in _value_cells(*values)]
                    _add(deltas, cells, INDIRECT, 1)
        c = coverage_indirect.c
        if removed:
            session.execute(
                sa.delete(coverage_indirect).where(
                    c.organisation_id == sa.bindparam("o"),
                    c.period_key == sa.bindparam("p"),
                    c.item_id == sa.bindparam("i"),
                ),
                removed,
            )
        for start in range(0, len(added), 5_000):
            session.execute(sa.insert(coverage_indirect), added[start : start + 5_000])


# --- Rewriting records --------------------------------------------------------------------


def rewrite(
    session: Session, outreach_ids: Iterable[int], organisations: Iterable[int] = ()
) -> None:
    """Count these records anew (none for deleted or gone ones), and place anew among the
    organisations reached indirectly these ones and every one whose reach moved."""
    deltas: Deltas = {}
    moved: set[int] = set(organisations)  # placed anew everywhere, with their sources
    shifted: dict[int, set[tuple[str, int]]] = defaultdict(set)  # scopes whose reach moved
    for chunk in _chunks(outreach_ids):
        old = stored_snapshots(session, chunk)
        new = current_snapshots(session, chunk)
        reach: Counter[ReachKey] = Counter()
        changed: list[int] = []
        for record_id in chunk:
            before, after = old.get(record_id), new.get(record_id)
            if before == after:
                continue
            changed.append(record_id)
            if before is not None:
                _add(deltas, record_cells(*before), OUTREACH, -1)
                reach.subtract(reach_keys(*before))
            if after is not None:
                _add(deltas, record_cells(*after), OUTREACH, 1)
                reach.update(reach_keys(*after))
        if not changed:
            continue
        by_member: dict[tuple[str, int], list[tuple[ReachKey, int]]] = defaultdict(list)
        for key, n in reach.items():
            if n:
                by_member[(key[0], key[1])].append((key, n))
        loaded = _load_reach(session, set(by_member))
        for member, changes in by_member.items():
            rows_before = loaded.get(member, Counter())
            if all((rows_before[key] > 0) == (rows_before[key] + n > 0) for key, n in changes):
                continue  # the same rows reach it, only more or fewer times: no cell moves
            rows_after = Counter(rows_before)
            for key, n in changes:
                rows_after[key] += n
            cells_before = member_cells(k for k, n in rows_before.items() if n > 0)
            cells_after = member_cells(k for k, n in rows_after.items() if n > 0)
            slot = DIRECT if member[0] == "o" else PEOPLE
            _add(deltas, cells_after - cells_before, slot, 1)
            _add(deltas, cells_before - cells_after, slot, -1)
            if member[0] == "o":
                scopes_before = _scopes(k for k, n in rows_before.items() if n > 0)
                scopes_after = _scopes(k for k, n in rows_after.items() if n > 0)
                shifted[member[1]].update(scopes_before ^ scopes_after)
        _write_reach(session, loaded, reach)
        session.execute(
            sa.delete(coverage_records).where(coverage_records.c.outreach_id.in_(changed))
        )
        rows = [
            {
                "outreach_id": record_id,
                "month_key": new[record_id][0],
                "snapshot": new[record_id][1],
            }
            for record_id in changed
            if record_id in new
        ]
        if rows:
            session.execute(sa.insert(coverage_records), rows)
    everywhere = moved | _sources_of(session, moved) if moved else set()
    if everywhere:
        place_indirect(session, everywhere, deltas)
    # An organisation whose own reach entered or left some scopes is placed anew there, and
    # so is each organisation linked to it: nowhere else can either placement have moved.
    only: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for org, scopes in shifted.items():
        if scopes:
            only[org] |= scopes
    if only:
        for source, target in _sources_by_target(session, set(only)):
            only[source] |= shifted[target]
    for org in everywhere:
        only.pop(org, None)
    only = {org: scopes for org, scopes in only.items() if scopes}
    if only:
        place_indirect(session, set(only), deltas, only=only)
    _apply_figures(session, deltas)


# --- Rebuilding everything ----------------------------------------------------------------


_REACH_ORGS = """
    INSERT INTO coverage_reach (member_type, member_id, month_key, leaf_id, organisation_id,
        kind, country, size, records)
    SELECT 'o', o.id, r.month_key, s.commitment_item_id, o.id, o.kind, o.country_code,
        COALESCE(o.size_class, ''), COUNT(*)
    FROM coverage_records AS r
    JOIN outreach_subitems AS s ON s.outreach_id = r.outreach_id
    JOIN (
        SELECT outreach_id, organisation_id FROM outreach_organisations
        UNION
        SELECT outreach_id, organisation_id FROM outreach_people
        WHERE organisation_id IS NOT NULL
    ) AS d ON d.outreach_id = r.outreach_id
    JOIN organisations AS o ON o.id = d.organisation_id AND o.deleted_at IS NULL
    GROUP BY o.id, r.month_key, s.commitment_item_id, o.kind, o.country_code, o.size_class
"""
_REACH_PEOPLE = """
    INSERT INTO coverage_reach (member_type, member_id, month_key, leaf_id, organisation_id,
        kind, country, size, records)
    SELECT 'p', op.person_id, r.month_key, s.commitment_item_id, COALESCE(o.id, 0),
        COALESCE(o.kind, ''), COALESCE(o.country_code, ''), COALESCE(o.size_class, ''),
        COUNT(*)
    FROM coverage_records AS r
    JOIN outreach_subitems AS s ON s.outreach_id = r.outreach_id
    JOIN outreach_people AS op ON op.outreach_id = r.outreach_id
    JOIN people AS p ON p.id = op.person_id AND p.deleted_at IS NULL
    LEFT JOIN organisations AS o ON o.id = op.organisation_id AND o.deleted_at IS NULL
    GROUP BY op.person_id, r.month_key, s.commitment_item_id, o.id, o.kind, o.country_code,
        o.size_class
"""


def _row_cells(
    month: str, leaf: int, org: int, kind: str, country: str, size: str
) -> frozenset[Cell]:
    return frozenset(member_cells([("", 0, month, leaf, org, kind, country, size)]))


def _member_figures(session: Session, deltas: Deltas) -> None:
    """The direct and people figures of every cell, from the reach rows read in key order
    (a member's rows together): each member counts once in each cell of the union of its
    rows' cells (cached per row shape, so the union is done by ``set.update``)."""
    cached = lru_cache(maxsize=100_000)(_row_cells)
    counts: dict[str, Counter[Cell]] = {"o": Counter(), "p": Counter()}
    c = coverage_reach.c
    query = sa.select(
        c.member_type, c.member_id, c.month_key, c.leaf_id, c.organisation_id, c.kind,
        c.country, c.size,
    ).order_by(c.member_type, c.member_id)  # fmt: skip
    current: tuple[str, int] | None = None
    cells: set[Cell] = set()
    for member_type, member_id, month, leaf, org, kind, country, size in session.execute(
        query.execution_options(yield_per=20_000)
    ):
        if (member_type, member_id) != current:
            if current is not None:
                counts[current[0]].update(cells)
            current, cells = (member_type, member_id), set()
        cells.update(cached(month, leaf, bool(org), kind, country, size))
    if current is not None:
        counts[current[0]].update(cells)
    for member_type, slot in (("o", DIRECT), ("p", PEOPLE)):
        for cell, n in counts[member_type].items():
            deltas.setdefault(cell, [0, 0, 0, 0])[slot] += n


def _snapshot_cells(
    month: str, leaves: tuple[int, ...], values: frozenset[tuple[str, str, str]]
) -> frozenset[Cell]:
    orgs = [[0, kind, country, size] for kind, country, size in values]
    return frozenset(record_cells(month, {"l": list(leaves), "o": orgs, "p": []}))


def rebuild(session: Session | sa.Connection | None = None) -> int:
    """Every kept figure anew from the tables (after bulk loads); returns the figure rows.
    ``session``: the app's by default; the migration that made the tables passes its
    connection."""
    if session is None:
        with using(tree()):  # read once, not for every row
            return _rebuild(db.session())
    items = CommitmentItem.__table__.c
    rows = session.execute(
        sa.select(items.id, items.parent_id, items.code, items.text).order_by(
            items.framework_id, items.sort_order, items.id
        )
    )
    with using(build(rows)):
        return _rebuild(session)  # type: ignore[arg-type]


def _rebuild(session: Session) -> int:
    for table in (coverage_figures, coverage_indirect, coverage_reach, coverage_records):
        session.execute(sa.delete(table))
    outreach: Counter[Cell] = Counter()
    cells_of = lru_cache(maxsize=100_000)(_snapshot_cells)
    last = 0
    top = session.scalar(sa.select(sa.func.max(_records.c.id))) or 0
    span = BATCH * 10
    while last < top:
        snapshots = current_snapshots(session, [], (last + 1, last + span))
        last += span
        if not snapshots:
            continue
        session.execute(
            sa.insert(coverage_records),
            [
                {"outreach_id": record_id, "month_key": month, "snapshot": snapshot}
                for record_id, (month, snapshot) in snapshots.items()
            ],
        )
        for month, snapshot in snapshots.values():
            values = frozenset((o[1], o[2], o[3]) for o in snapshot["o"])
            outreach.update(cells_of(month, tuple(sorted(set(snapshot["l"]))), values))
    session.execute(sa.text(_REACH_ORGS))
    session.execute(sa.text(_REACH_PEOPLE))
    deltas: Deltas = {}
    for cell, n in outreach.items():
        deltas.setdefault(cell, [0, 0, 0, 0])[OUTREACH] = n
    _member_figures(session, deltas)
    sources = set(
        session.scalars(
            sa.select(_links.c.source_id).where(_links.c.link_type.in_(INDIRECT_LINKS)).distinct()
        )
    )
    place_indirect(session, sources, deltas, fresh=True)
    _apply_figures(session, deltas)
    return session.scalar(sa.select(sa.func.count()).select_from(coverage_figures)) or 0


# --- Keeping them current ------------------------------------------------------------------

_LINK_TABLES = (outreach_people, outreach_organisations, outreach_subitems)


def _changed(record: object, attributes: tuple[str, ...]) -> bool:
    state = sa.inspect(record)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _values_of(record: object, name: str) -> set[int]:
    history = sa.inspect(record).attrs[name].history
    return {
        value
        for value in (*history.added, *history.unchanged, *history.deleted)
        if isinstance(value, int)
    }


def _is_link(record: object) -> bool:
    mapper = sa.inspect(type(record), raiseerr=False)
    return mapper is not None and getattr(mapper, "local_table", None) in _LINK_TABLES


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Count anew the records this flush touched, those that reached an organisation whose
    figures it changed and those of people deleted or merged; place anew the organisations
    changed and the sources of links changed. Note them all for the commit as well."""
    records: set[int] = set()
    organisations: set[int] = set()
    people: set[int] = set()
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Outreach) and record.id is not None:
            records.add(record.id)
        elif _is_link(record):
            records.update(_values_of(record, "outreach_id"))
        elif isinstance(record, OrganisationLink):
            organisations.update(_values_of(record, "source_id"))
        elif isinstance(record, Organisation) and record.id is not None:
            if record in session.new:
                continue  # nothing reached it yet, and no link names it yet
            if record in session.deleted or _changed(record, ORGANISATION_FIELDS):
                organisations.add(record.id)
                if record.merged_into_id is not None:
                    organisations.add(record.merged_into_id)
        elif isinstance(record, Person) and record.id is not None and record not in session.new:
            if record in session.deleted or _changed(record, PERSON_FIELDS):
                people.add(record.id)
                if record.merged_into_id is not None:
                    people.add(record.merged_into_id)
    if not (records or organisations or people):
        return
    pending = session.info.setdefault(_PENDING, (set(), set(), set()))
    pending[0].update(records)
    pending[1].update(organisations)
    pending[2].update(people)
    _sync(session, records, organisations, people)


def _sync(session: Session, records: set[int], organisations: set[int], people: set[int]) -> None:
    records = set(records)
    if organisations or people:
        for chunk in _chunks(organisations | {0}):
            records.update(
                session.scalars(
                    sa.union(
                        sa.select(outreach_organisations.c.outreach_id).where(
                            outreach_organisations.c.organisation_id.in_(chunk)
                        ),
                        sa.select(outreach_people.c.outreach_id).where(
                            outreach_people.c.organisation_id.in_(chunk)
                        ),
                    )
                )
            )
        for chunk in _chunks(people | {0}):
            records.update(
                session.scalars(
                    sa.select(outreach_people.c.outreach_id).where(
                        outreach_people.c.person_id.in_(chunk)
                    )
                )
            )
    rewrite(session, records, organisations)


# The tables the figures read: a statement of the session's that writes one of them (not a
# flush) may have changed what a record noted earlier contributes.
_READ_TABLES = frozenset(
    str(getattr(table, "name", ""))
    for table in (
        _records, _orgs, _people, _links, CommitmentItem.__table__, *_LINK_TABLES
    )
)  # fmt: skip


def _after_orm_execute(state: Any) -> None:
    """Note a statement run through ``session.execute`` that writes a table the figures read
    (a merge's Core UPDATE of links, say): the commit must count the noted records again.
    Text statements other than reads are taken as writes."""
    statement = state.statement
    if state.is_select or _STALE in state.session.info:
        return
    if getattr(statement, "is_dml", False):
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) not in _READ_TABLES:
            return
    elif getattr(statement, "is_text", False):
        if str(statement).lstrip().split(None, 1)[:1] in (
            ["SELECT"],
            ["select"],
            ["WITH"],
            ["with"],
        ):
            return
    else:
        return
    state.session.info[_STALE] = True


def sync(session: Session | None = None) -> None:
    """Count once more what this transaction wrote, for links that Core statements wrote
    after their record's flush (nothing to do, and no statement, in a transaction that
    wrote nothing the figures read; and only a flush when none of its statements outside a
    flush wrote a table the figures read: each flush counted what it wrote already)."""
    session = session or db.session()
    if _PENDING not in session.info:
        session.info.pop(_STALE, None)  # nothing noted that it could have changed
        return
    session.flush()
    records, organisations, people = session.info.pop(_PENDING, (set(), set(), set()))
    if session.info.pop(_STALE, None) is None:
        return
    _sync(session, records, organisations, people)


def _before_commit(session: Session) -> None:
    sync(session)


def _after_soft_rollback(session: Session, previous: Any) -> None:
    if previous.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_STALE, None)


def install() -> None:
    """Listen on every session (the app's and the tests'); installing twice is harmless."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
        ("do_orm_execute", _after_orm_execute),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
