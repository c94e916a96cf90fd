"""The search index follows every flush: no write path has to remember to reindex."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from sqlalchemy import event

from crm.models import LawfulBasis, Organisation, Person, Position, PositionRole, SearchTerm, utcnow
from crm.services import search_index, search_sync
from crm.services.search import RegisterFilter, people_query
from crm.services.text import normalise_text, person_name_keys
from tests import factories


def _index(db) -> set[tuple[str, int, str, str]]:
    columns = (SearchTerm.entity, SearchTerm.entity_id, SearchTerm.term, SearchTerm.sort_key)
    return set(db.session.execute(sa.select(*columns)))


def _assert_index_is_a_rebuild(db) -> None:
    """The index as the hook left it is exactly what rebuilding it from scratch gives."""
    kept = _index(db)
    search_index.rebuild()
    assert kept == _index(db)


def _found(q: str) -> list[str]:
    from crm.extensions import db

    query = people_query(RegisterFilter.from_args({"q": q}))
    return sorted(p.full_name for p in db.session.scalars(query))


@contextmanager
def _statements_on_the_index(db) -> Iterator[Counter[str]]:
    """Counts the statements sent to search_terms (one per execute, however many rows)."""
    seen: Counter[str] = Counter()
    connection = db.session.connection()

    def count(conn, clause, *args) -> None:
        table = getattr(clause, "table", None)
        if getattr(table, "name", None) == "search_terms":
            seen[type(clause).__name__.lower()] += 1

    event.listen(connection, "before_execute", count)
    try:
        yield seen
    finally:
        event.remove(connection, "before_execute", count)


def _person(n: int, organisation: Organisation) -> Person:
    first, last = "Wojciech", f"Kamiński{n:03d}"
    return Person(
        first_name=first,
        last_name=last,
        **person_name_keys(first, last),
        email=f"w.kaminski{n}@fabryka.example",
        email_normalised=f"w.kaminski{n}@fabryka.example",
        country_code="PL",
        lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
        lawful_basis_source="Trade fair",
        positions=[Position(organisation=organisation, role=PositionRole.MANAGER)],
    )


def test_two_hundred_people_in_one_flush_then_a_rename_match_a_rebuild(app, db) -> None:
    factory = factories.make_organisation(name="Fabryka Obrabiarek Poznań")
    db.session.flush()
    with _statements_on_the_index(db) as seen:
        db.session.add_all(_person(n, factory) for n in range(200))
        db.session.flush()
    # One DELETE and one INSERT for the whole flush, not one pair per person.
    assert (seen["delete"], seen["insert"]) == (1, 1)
    assert len(_found("kaminski")) == 200
    assert len(_found("poznan wojciech")) == 200
    _assert_index_is_a_rebuild(db)

    with _statements_on_the_index(db) as seen:
        factory.name = "Zakłady Mechaniczne Gniezno"
        factory.name_normalised = normalise_text(factory.name)
        db.session.flush()
    assert (seen["delete"], seen["insert"]) == (1, 1)
    assert _found("poznan") == [] and len(_found("gniezno kaminski")) == 200
    _assert_index_is_a_rebuild(db)


def test_a_flush_without_indexed_changes_leaves_the_index_alone(app, db) -> None:
    organisation = factories.make_organisation()
    person = factories.make_person(organisation=organisation)
    db.session.flush()
    with _statements_on_the_index(db) as seen:
        person.phone = "+49 711 555 0100"
        person.notes = "Prefers calls in the morning"
        organisation.city = "Esslingen"
        person.positions[0].title = "Plant manager"
        person.positions[0].ends_on = date(2026, 6, 30)
        factories.make_outreach(organisations=[organisation])
        db.session.flush()
        _found("schafer")  # reading is never writing
    assert sum(seen.values()) == 0


def test_orm_writes_to_positions_and_deletions_keep_the_index(app, db) -> None:
    old = factories.make_organisation(name="Gamma Drehteile AG")
    new = factories.make_organisation(name="Delta Schleiftechnik KG")
    person = factories.make_person(first_name="Petra", last_name="Novák", organisation=old)
    db.session.flush()
    assert _found("drehteile") == ["Petra Novák"]

    person.positions[0].organisation = new  # a position moved to another organisation
    db.session.flush()
    assert _found("drehteile") == [] and _found("schleiftechnik") == ["Petra Novák"]
    _assert_index_is_a_rebuild(db)

    person.positions.append(Position(organisation=old, role=PositionRole.EMPLOYEE))
    db.session.flush()
    assert _found("drehteile") == ["Petra Novák"]
    person.positions.pop()  # a position removed from the person (an orphan, deleted)
    db.session.flush()
    assert _found("drehteile") == []
    db.session.add(Position(person=person, organisation=old, role=PositionRole.OTHER))
    db.session.flush()
    assert _found("drehteile") == ["Petra Novák"]
    db.session.delete(person.positions[-1])  # a position deleted
    db.session.flush()
    db.session.expire(person, ["positions"])
    assert _found("drehteile") == []
    _assert_index_is_a_rebuild(db)

    new.deleted_at = utcnow()  # a soft-deleted organisation finds nobody any more
    db.session.flush()
    assert _found("schleiftechnik") == []
    new.deleted_at = None
    db.session.flush()
    assert _found("schleiftechnik") == ["Petra Novák"]

    person.email = "p.novak@elsewhere.example"  # a new e-mail, through the ORM alone
    db.session.flush()
    assert _found("elsewhere") == ["Petra Novák"]
    person.deleted_at = utcnow()
    db.session.flush()
    assert _found("petra") == []
    _assert_index_is_a_rebuild(db)

    person.deleted_at = None
    db.session.flush()
    assert _found("petra") == ["Petra Novák"]
    db.session.delete(person)  # gone for good: no terms left behind
    db.session.flush()
    assert _found("petra") == []
    _assert_index_is_a_rebuild(db)


def test_core_updates_are_indexed_when_marked(app, db) -> None:
    organisation = factories.make_organisation(name="Werkzeugbau Rossi S.p.A.")
    person = factories.make_person(
        first_name="Giulia", last_name="Rossi", organisation=organisation
    )
    db.session.flush()
    # Core UPDATEs bypass the unit of work: the hook cannot see them by itself.
    db.session.execute(
        sa.update(Person.__table__)
        .where(Person.__table__.c.id == person.id)
        .values(last_name="Bianchi", **person_name_keys("Giulia", "Bianchi"))
    )
    db.session.execute(
        sa.update(Organisation.__table__)
        .where(Organisation.__table__.c.id == organisation.id)
        .values(acronym="WRB")
    )
    search_sync.mark_changed(Person, [person.id])
    search_sync.mark_changed(Organisation, [organisation.id])
    db.session.expire_all()
    assert _found("bianchi") == ["Giulia Bianchi"] and _found("rossi giulia") == ["Giulia Bianchi"]
    assert _found("wrb") == ["Giulia Bianchi"]
    _assert_index_is_a_rebuild(db)
