"""Keeps the search index current from one place: a hook on every flush of every session.

Whatever writes the register through the ORM (the register services, merges, erasure, the
outreach log, imports, an API) passes through a flush, so no write path has to remember to
reindex. ``before_flush`` notes which people and organisations the flush touches in a way
the index reads: new ones; changes to a name, e-mail, acronym or sort key; deletes, soft
deletes, restores and erasures; positions added, moved or removed (their people, before and
after); and for an organisation whose words change, the people holding a position there.
``after_flush`` then rewrites the terms of all of them at once (``search_index.rewrite``:
one DELETE and one INSERT for the flush, not one pair per record). A flush that touches
none of that costs a loop over its objects and no statement; reads cost nothing.

Core UPDATEs (``sa.update`` on tables, or ORM updates by criteria) bypass the unit of work,
and the hook cannot see them. The paths that use them on what the index reads tell it
through one function, ``mark_changed(Model, ids)``, right after their UPDATE: erasure's
sweep of text columns and merges re-pointing positions. Bulk loads by Core inserts (the
demo) rebuild the index afterwards instead (``search_index.rebuild``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction

from crm.extensions import db
from crm.models import Organisation, Person, Position
from crm.services import search_index

# What the index reads of each record (search_index: terms and sort keys, live or not).
PERSON_WORDS = ("first_name", "last_name", "email", "sort_name", "deleted_at", "erased_at")
ORGANISATION_WORDS = ("name", "acronym", "email", "name_normalised", "deleted_at")
POSITION_HOLDS = ("person_id", "organisation_id", "person", "organisation")

_PENDING = "search_sync.pending"


@dataclass
class _Pending:
    """What one flush touches: ids known before it, positions whose holder it may change."""

    people: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)
    moved: list[Position] = field(default_factory=list)


def _changed(record: object, attributes: tuple[str, ...]) -> bool:
    state = sa.inspect(record)
    return any(state.attrs[name].history.has_changes() for name in attributes)


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    """Note the records whose words the flush changes, reading from the database what it is
    about to overwrite: the former holders of positions, the people of deleted organisations."""
    session.info.pop(_PENDING, None)  # left over from a flush that failed
    pending = _Pending()
    left: list[int] = []  # positions moved or removed: their holders in the database
    for record in session.dirty:
        if isinstance(record, Person):
            if _changed(record, PERSON_WORDS):
                pending.people.add(record.id)
        elif isinstance(record, Organisation):
            if _changed(record, ORGANISATION_WORDS):
                pending.organisations.add(record.id)
        elif isinstance(record, Position) and _changed(record, POSITION_HOLDS):
            left.append(record.id)
            pending.moved.append(record)
    for record in session.deleted:
        if isinstance(record, Person):
            pending.people.add(record.id)
        elif isinstance(record, Organisation):
            pending.organisations.add(record.id)
            pending.people |= search_index.people_of(session, [record.id])  # before they go
        elif isinstance(record, Position):
            left.append(record.id)
    if left:
        pending.people.update(
            session.scalars(sa.select(Position.person_id).where(Position.id.in_(left)))
        )
    if pending.people or pending.organisations or pending.moved:
        session.info[_PENDING] = pending


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Add what the flush created (ids exist now) and the new holders of moved positions,
    then rewrite all their terms at once."""
    pending: _Pending = session.info.pop(_PENDING, None) or _Pending()
    for record in session.new:  # still the objects this flush inserted
        if isinstance(record, Person):
            pending.people.add(record.id)
        elif isinstance(record, Organisation):
            pending.organisations.add(record.id)
        elif isinstance(record, Position):
            pending.moved.append(record)
    pending.people.update(p.person_id for p in pending.moved if p.person_id is not None)
    if pending.people or pending.organisations:
        _rewrite(session, pending.people, pending.organisations)


def _rewrite(session: Session, people: set[int], organisations: set[int]) -> None:
    """The organisations' terms and their people's (who carry their words), and the people's."""
    if organisations:
        people = people | search_index.people_of(session, organisations)
    search_index.rewrite(session, people, organisations)


def mark_changed(
    model: type[Person] | type[Organisation], ids: Iterable[int], session: Session | None = None
) -> None:
    """Index records a Core UPDATE changed, which the flush hook cannot see: pending ORM
    changes are flushed (and indexed) first, then these records' terms are rewritten, and
    for organisations those of their people too."""
    session = session or db.session()
    ids = set(ids)
    if not ids:
        return
    session.flush()
    if model is Person:
        _rewrite(session, ids, set())
    else:
        _rewrite(session, set(), ids)


def install() -> None:
    """Listen on every session (the app's and the tests', which are bound to a connection of
    their own); installing twice is harmless."""
    for name, listener in (("before_flush", _before_flush), ("after_flush", _after_flush)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
