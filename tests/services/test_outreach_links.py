"""Outreach across the register: merges, erasure, subject access and the timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event

from crm.extensions import db as _db
from crm.models import Outreach, OutreachPerson, outreach_people
from crm.services import merge, outreach, privacy
from crm.services.timeline import record_timeline
from tests import factories

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
KEY = b"erasure-key-for-tests-0123456789"


def _links(person_id: int | None = None) -> set[tuple[int, int, int | None]]:
    """(outreach, person, organisation counted for) of every row, or one person's."""
    query = sa.select(
        outreach_people.c.outreach_id,
        outreach_people.c.person_id,
        outreach_people.c.organisation_id,
    )
    if person_id is not None:
        query = query.where(outreach_people.c.person_id == person_id)
    return {tuple(row) for row in _db.session.execute(query)}  # type: ignore[misc]


def _data(person_ids: list[int], organisation_ids: list[int] = ()) -> dict[str, object]:
    return {
        "occurred_at": NOW - timedelta(days=1),
        "channel": "call",
        "direction": "outbound",
        "subject": "Asked about the help desk",
        "outcome": "",
        "notes": "",
        "event_id": None,
        "person_ids": person_ids,
        "organisation_ids": list(organisation_ids),
        "subitem_ids": [factories.subitem("2.2").id],
        "material_ids": [],
    }


# --- Merges ----------------------------------------------------------------------------------


def test_a_merged_person_s_outreach_moves_with_the_organisation_they_counted_for(app, db):
    coordinator = factories.make_user("coordinator")
    old_firm = factories.make_organisation(name="Weber KG")
    new_firm = factories.make_organisation(name="Weber Werkzeugbau GmbH")
    survivor = factories.make_person("Klaus", "Weber", organisation=new_firm)
    other = factories.make_person("Klaus", "Weber", organisation=old_firm)
    alone = factories.make_outreach(people=[other])
    together = factories.make_outreach(people=[survivor, other])
    assert _links(other.id) == {
        (alone.id, other.id, old_firm.id),
        (together.id, other.id, old_firm.id),
    }
    [loaded] = alone.person_links  # a copy of the row the merge moves, held by the session

    merge.merge_people(survivor, other, coordinator)

    assert _links(other.id) == set()
    assert _links(survivor.id) == {
        (alone.id, survivor.id, old_firm.id),  # the day's organisation travels with the row
        (together.id, survivor.id, new_firm.id),  # the survivor's own row stays
    }
    assert loaded not in _db.session
    # The records read and edit as usual in the same session.
    assert [p.id for p in alone.people] == [survivor.id]
    outreach.update_outreach(alone, _data([survivor.id]), coordinator, alone.version, now=NOW)
    _db.session.flush()
    assert [link.person_id for link in alone.person_links] == [survivor.id]


def test_a_merged_organisation_s_counted_outreach_moves_to_the_survivor(app, db):
    coordinator = factories.make_user("coordinator")
    survivor = factories.make_organisation(name="Rossi S.p.A.", country_code="IT")
    other = factories.make_organisation(name="Rossi SpA", country_code="IT")
    giulia = factories.make_person("Giulia", "Bianchi", organisation=other)
    record = factories.make_outreach(people=[giulia])
    [link] = record.person_links
    assert link.organisation_id == other.id
    comparison = merge.compare(survivor, other)
    assert ("Outreach its people counted for", 0, 1) in comparison.counts

    moved = merge.merge_organisations(survivor, other, coordinator)

    assert moved["people's outreach"] == 1
    assert _links(giulia.id) == {(record.id, giulia.id, survivor.id)}
    assert link.organisation_id == survivor.id  # the loaded row follows the ORM update
    entries = record_timeline(_db.session.get(type(survivor), survivor.id), with_changes=False)
    assert [e.outreach_id for e in entries if e.kind == "outreach"] == [record.id]


# --- Erasure and subject access --------------------------------------------------------------


def test_erasure_keeps_the_outreach_link_and_its_organisation(app, db):
    admin = factories.make_user("admin")
    firm = factories.make_organisation(name="Kovács Gépgyár Kft.", country_code="HU")
    person = factories.make_person("Eszter", "Kovács", organisation=firm)
    record = factories.make_outreach(people=[person])
    record.subject = "Call with Eszter Kovács"
    _db.session.flush()
    export = privacy.subject_access_export(person, admin)
    [held] = export["outreach"]
    assert (held["id"], held["counted_for"]) == (record.id, "Kovács Gépgyár Kft.")

    privacy.erase_person(person, admin, KEY)

    assert _links(person.id) == {(record.id, person.id, firm.id)}  # counts survive
    stored = _db.session.get(Outreach, record.id)
    assert "Eszter" not in stored.subject
    assert outreach.stored_values(stored)["person_ids"] == ["an erased person"]
    entries = record_timeline(firm, with_changes=False)
    assert [e.outreach_id for e in entries if e.kind == "outreach"] == [record.id]


# --- Timelines -------------------------------------------------------------------------------


def test_an_organisation_s_timeline_shows_outreach_through_its_people_once(app, db):
    firm = factories.make_organisation(name="Fräsen & Drehen GmbH")
    elsewhere = factories.make_organisation(name="Elsewhere AG")
    anna = factories.make_person("Anna", "Schmidt", organisation=firm)
    luca = factories.make_person("Luca", "Bianchi", organisation=firm)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    own = factories.make_outreach(organisations=[firm], occurred_at=start, subject="Own")
    through = factories.make_outreach(
        people=[anna], occurred_at=start + timedelta(days=1), subject="Through Anna"
    )
    both = factories.make_outreach(
        people=[anna, luca],
        organisations=[firm],
        occurred_at=start + timedelta(days=2),
        subject="Both lists",
    )
    # Anna reached while she counted for another organisation is not the firm's.
    factories.make_outreach(
        people=[anna],
        occurred_at=start + timedelta(days=3),
        subject="For another",
        counted_for={anna.id: elsewhere},
    )
    deleted = factories.make_outreach(
        people=[luca], occurred_at=start + timedelta(days=4), subject="Deleted"
    )
    deleted.deleted_at = NOW
    _db.session.flush()

    entries = [e for e in record_timeline(firm, with_changes=False) if e.kind == "outreach"]

    assert [(e.title, e.outreach_id) for e in entries] == [
        ("Both lists", both.id),
        ("Through Anna", through.id),
        ("Own", own.id),
    ]
    anna_entries = record_timeline(anna, with_changes=False, kind="outreach")
    assert [e.title for e in anna_entries] == ["For another", "Both lists", "Through Anna"]
    narrowed = record_timeline(firm, with_changes=False, subitem="1.3b")
    assert len(narrowed) == 3


def test_a_deep_page_loads_only_its_own_entries(app, db):
    firm = factories.make_organisation(name="Präzision Nord GmbH")
    people = [factories.make_person("Jan", f"Petersen{n}", organisation=firm) for n in range(3)]
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    for n in range(30):
        factories.make_outreach(
            people=[people[n % 3]],
            organisations=[firm] if n % 2 else [],
            occurred_at=start + timedelta(days=n),
            subject=f"Visit {n}",
        )
    _db.session.commit()
    _db.session.expunge_all()

    record = _db.session.get(type(firm), firm.id)
    loaded: list[Outreach | OutreachPerson] = []

    def count(target: Outreach | OutreachPerson, _context: object) -> None:
        loaded.append(target)

    event.listen(Outreach, "load", count)
    event.listen(OutreachPerson, "load", count)
    try:
        page = record_timeline(record, with_changes=False, page=3, size=5)
    finally:
        event.remove(Outreach, "load", count)
        event.remove(OutreachPerson, "load", count)

    assert [e.title for e in page] == [f"Visit {n}" for n in range(19, 14, -1)]
    assert page.has_more
    # Only the page's five records were loaded as objects; the rest were (time, id) keys.
    assert sorted(getattr(o, "subject", "") for o in loaded) == sorted(e.title for e in page)
