"""The facets of the outreach list (``outreach_facets``), kept current from one place.

A filtered page of a million records cannot count its matches by testing each record
against three filters (sub-item, country, year: 28 s on SQLite at scale 100). Instead every
live record has one row per facet it has, keyed (facet, occurred_at, outreach_id), so the
records of one facet in one period are one range of the primary key, in the list's order:
the page and its capped count read that range alone. Facets:

- ``i:ID``: a sub-item of the record, or an item or commitment above one (a commitment's
  records once, however many of its sub-items they serve);
- ``c:CC`` and ``k:KIND``: a country and a stakeholder kind reached, through an organisation
  of the record or the one a person of the record counted for that day;
- ``i:ID c:CC``: a sub-item with a country reached (the list's most used pair).

Deleted records have no facets (the admins' list of them filters the plain way).

Whatever changes what a facet reads (an outreach record, its links, an organisation's
country, kind or merge, a merge of people) passes through a flush of the session, after
which the facets of the records it touched are rewritten from the tables. The records are noted in
``session.info`` too, and rewritten once more before the transaction commits (and before the
list reads, within a transaction that wrote): link rows that Core statements wrote after
their record's flush are seen as well. Bulk loads by Core inserts (the demo) call
``rebuild``, as ``crm reindex`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from crm.extensions import db
from crm.models import (
    CommitmentItem,
    Organisation,
    Outreach,
    Person,
    outreach_facets,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)

BATCH = 5_000
_PENDING = "outreach_facets.pending"
ORGANISATION_FACETS = ("country_code", "kind", "merged_into_id")
# A merge of people drops, by a Core DELETE, the other's link on records the survivor is on
# too, and with it the organisation the other counted for: its flush names the records.
PERSON_FACETS = ("merged_into_id",)
_records = Outreach.__table__


def item_facet(item_id: int) -> str:
    return f"i:{item_id}"


def country_facet(code: str) -> str:
    return f"c:{code}"


def kind_facet(kind: str) -> str:
    return f"k:{kind}"


def item_country_facet(item_id: int, code: str) -> str:
    return f"i:{item_id} c:{code}"


_items = CommitmentItem.__table__
_organisations = Organisation.__table__


def _facet_selects(ids: Any) -> list[sa.Select[Any]]:
    """The facet rows (facet, occurred_at, outreach_id) of live records, one statement per
    kind of facet, all computed by the database. ``ids``: a condition on a record id
    column (``lambda column: column.in_(...)``), or None for every record."""

    def live(column: sa.ColumnElement[int]) -> list[sa.ColumnElement[bool]]:
        return [_records.c.deleted_at.is_(None), *([ids(column)] if ids else [])]

    # Each item with every item above it (a sub-item stands for its item and commitment).
    up = sa.select(_items.c.id.label("leaf_id"), _items.c.id.label("item_id")).cte(
        "up", recursive=True
    )
    above = _items.alias("above")
    up = up.union_all(
        sa.select(up.c.leaf_id, above.c.parent_id)
        .join(above, above.c.id == up.c.item_id)
        .where(above.c.parent_id.is_not(None))
    )
    # The organisations each record reached: its own, and those its people counted for.
    reached = sa.union(
        sa.select(
            outreach_organisations.c.outreach_id.label("outreach_id"),
            outreach_organisations.c.organisation_id.label("organisation_id"),
        ).where(*([ids(outreach_organisations.c.outreach_id)] if ids else [])),
        sa.select(outreach_people.c.outreach_id, outreach_people.c.organisation_id).where(
            outreach_people.c.organisation_id.is_not(None),
            *([ids(outreach_people.c.outreach_id)] if ids else []),
        ),
    ).subquery("reached")
    at = (_records.c.occurred_at, _records.c.id)
    items = (
        sa.select(sa.literal("i:") + sa.cast(up.c.item_id, sa.String), *at)
        .join_from(_records, outreach_subitems, outreach_subitems.c.outreach_id == _records.c.id)
        .join(up, up.c.leaf_id == outreach_subitems.c.commitment_item_id)
        .where(*live(_records.c.id))
    )
    countries = (
        sa.select(sa.literal("c:") + _organisations.c.country_code, *at)
        .join_from(_records, reached, reached.c.outreach_id == _records.c.id)
        .join(_organisations, _organisations.c.id == reached.c.organisation_id)
        .where(_organisations.c.country_code.is_not(None), *live(_records.c.id))
    )
    kinds = (
        sa.select(sa.literal("k:") + _organisations.c.kind, *at)
        .join_from(_records, reached, reached.c.outreach_id == _records.c.id)
        .join(_organisations, _organisations.c.id == reached.c.organisation_id)
        .where(*live(_records.c.id))
    )
    pairs = (
        sa.select(
            sa.literal("i:")
            + sa.cast(outreach_subitems.c.commitment_item_id, sa.String)
            + sa.literal(" c:")
            + _organisations.c.country_code,
            *at,
        )
        .join_from(_records, outreach_subitems, outreach_subitems.c.outreach_id == _records.c.id)
        .join(reached, reached.c.outreach_id == _records.c.id)
        .join(_organisations, _organisations.c.id == reached.c.organisation_id)
        .where(_organisations.c.country_code.is_not(None), *live(_records.c.id))
    )
    return [query.distinct() for query in (items, countries, kinds, pairs)]


def _insert(session: Session, ids: Any) -> int:
    written = 0
    for query in _facet_selects(ids):
        insert = sa.insert(outreach_facets).from_select(
            ["facet", "occurred_at", "outreach_id"], query
        )
        result = cast(sa.CursorResult[Any], session.execute(insert))
        written += result.rowcount or 0
    return written


def _chunks(ids: Iterable[int], size: int = BATCH) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def rewrite(session: Session, outreach_ids: Iterable[int]) -> None:
    """The facets of these records, anew from the tables (none for deleted or gone ones)."""
    for chunk in _chunks(outreach_ids):
        session.execute(sa.delete(outreach_facets).where(outreach_facets.c.outreach_id.in_(chunk)))
        _insert(session, lambda column, chunk=chunk: column.in_(chunk))


def rebuild() -> int:
    """Every live record's facets anew (after bulk loads); returns the rows written."""
    session = db.session()
    session.execute(sa.delete(outreach_facets))
    return _insert(session, None)


# --- Keeping them current ---------------------------------------------------------------------


def _changed(record: object, attributes: tuple[str, ...]) -> bool:
    state = sa.inspect(record)
    return any(state.attrs[name].history.has_changes() for name in attributes)


_LINK_TABLES = (outreach_people, outreach_organisations, outreach_subitems)


def _is_link(record: object) -> bool:
    mapper = sa.inspect(type(record), raiseerr=False)
    return mapper is not None and getattr(mapper, "local_table", None) in _LINK_TABLES


def _link_records(record: object) -> set[int]:
    history = sa.inspect(record).attrs["outreach_id"].history
    return {
        value
        for value in (*history.added, *history.unchanged, *history.deleted)
        if isinstance(value, int)
    }


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Rewrite the facets of the records this flush touched, of the records that reached an
    organisation whose facets it changed, and of the records of people merged; note them for
    the commit as well."""
    records: set[int] = set()
    organisations: set[int] = set()
    people: set[int] = set()
    for record in (*session.new, *session.dirty, *session.deleted):
        if isinstance(record, Outreach) and record.id is not None:
            records.add(record.id)
        elif _is_link(record):
            # A link mapped as a class of its own (a person with the organisation they
            # counted for): its record, before and after the change.
            records.update(_link_records(record))
        elif isinstance(record, Organisation) and record.id is not None:
            if record in session.new:
                continue  # nothing reached it yet
            if record in session.deleted or _changed(record, ORGANISATION_FACETS):
                organisations.add(record.id)
                if record.merged_into_id is not None:
                    organisations.add(record.merged_into_id)
        elif isinstance(record, Person) and record.id is not None and record not in session.new:
            if record in session.deleted or _changed(record, PERSON_FACETS):
                people.add(record.id)
                if record.merged_into_id is not None:
                    people.add(record.merged_into_id)
    if organisations or people:
        linked = sa.union(
            sa.select(outreach_organisations.c.outreach_id).where(
                outreach_organisations.c.organisation_id.in_(organisations)
            ),
            sa.select(outreach_people.c.outreach_id).where(
                outreach_people.c.organisation_id.in_(organisations)
                | outreach_people.c.person_id.in_(people)
            ),
        )
        records |= set(session.scalars(linked))
    if records:
        rewrite(session, records)
        session.info.setdefault(_PENDING, set()).update(records)


def sync(session: Session | None = None) -> None:
    """Rewrite once more the facets of the records this transaction wrote, for links that
    Core statements wrote after their record's flush (nothing to do, and no statement, in a
    transaction that wrote no outreach: every read)."""
    session = session or db.session()
    if _PENDING not in session.info:
        return
    session.flush()
    rewrite(session, session.info.pop(_PENDING, set()))


def _before_commit(session: Session) -> None:
    sync(session)


def _after_soft_rollback(session: Session, previous: Any) -> None:
    """A rolled-back transaction's changes are gone, and so is what it noted."""
    if previous.parent is None:
        session.info.pop(_PENDING, None)


def install() -> None:
    """Listen on every session (the app's and the tests'); installing twice is harmless."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("before_commit", _before_commit),
        ("after_soft_rollback", _after_soft_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
