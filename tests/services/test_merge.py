"""Merging keeps everything both records had, and the audit log says so."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from crm.models import (
    AuditEntry,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    EventParticipant,
    FollowUp,
    LinkType,
    OrganisationLink,
    Position,
    PositionRole,
    outreach_organisations,
    outreach_people,
)
from crm.models.followups import due_fields
from crm.services import merge
from crm.services.errors import ValidationError
from tests import factories


def _linked(db, table, column, record_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(table).where(table.c[column] == record_id)
    )


def test_merging_people_keeps_everything_of_both(app, db) -> None:
    coordinator = factories.make_user("coordinator")
    vdw = factories.make_organisation(name="VDW", kind="national-association")
    survivor = factories.make_person(
        first_name="Klaus", last_name="Weber", organisation=vdw, email="k.weber@vdw.example"
    )
    other = factories.make_person(
        first_name="Klaus",
        last_name="Weber",
        email=None,
        organisation=factories.make_organisation(name="Weber KG"),
    )
    other.email = other.email_normalised = None
    other.phone = "+49 69 756081-0"
    for person in (survivor, other):
        factories.make_outreach(("1.3a",), people=[person])
    factories.make_outreach(("1.1",), people=[survivor, other])
    event = factories.make_event()
    db.session.add(EventParticipant(event_id=event.id, person_id=other.id))
    db.session.add(
        FollowUp(
            title="Send the training offer",
            assignee_id=coordinator.id,
            **due_fields(datetime.now(UTC)),
            person_id=other.id,
        )
    )
    db.session.add(
        ConsentRecord(
            person_id=other.id,
            purpose=ConsentPurpose.NEWSLETTER,
            status=ConsentStatus.GRANTED,
            source="METAV sign-up sheet",
            given_at=datetime.now(UTC),
        )
    )
    db.session.flush()

    moved = merge.merge_people(survivor, other, coordinator)

    assert _linked(db, outreach_people, "person_id", survivor.id) == 3  # 1 + 1 + shared once
    assert _linked(db, outreach_people, "person_id", other.id) == 0
    assert moved["consent records"] == 1 and moved["follow-ups"] == 1
    organisations = {
        p.organisation.name
        for p in db.session.scalars(sa.select(Position).where(Position.person_id == survivor.id))
    }
    assert organisations == {"VDW", "Weber KG"}
    assert db.session.scalar(sa.select(EventParticipant.person_id)) == survivor.id
    assert survivor.phone == "+49 69 756081-0"  # empty field filled from the duplicate
    assert other.deleted_at is not None
    actions = {(e.action, e.entity_id) for e in db.session.scalars(sa.select(AuditEntry))}
    assert ("merge", survivor.id) in actions and ("merged-into", other.id) in actions


def test_merging_organisations_keeps_people_outreach_and_links(app, db) -> None:
    admin = factories.make_user("admin")
    ucimu = factories.make_organisation(
        name="UCIMU", kind="national-association", country_code="IT"
    )
    survivor = factories.make_organisation(name="Rossi S.p.A.", country_code="IT")
    other = factories.make_organisation(name="Rossi SpA", country_code="IT")
    factories.make_person(organisation=other, role=PositionRole.EMPLOYEE)
    factories.make_outreach(organisations=[other])
    factories.make_outreach(organisations=[survivor, other])
    db.session.add_all(
        [
            OrganisationLink(
                source_id=survivor.id, target_id=ucimu.id, link_type=LinkType.MEMBER_OF
            ),
            OrganisationLink(
                source_id=other.id,
                target_id=ucimu.id,
                link_type=LinkType.MEMBER_OF,
                starts_on=date(2020, 1, 1),
            ),
            OrganisationLink(
                source_id=other.id, target_id=survivor.id, link_type=LinkType.SUBSIDIARY_OF
            ),
        ]
    )
    db.session.flush()

    merge.merge_organisations(survivor, other, admin)

    assert _linked(db, outreach_organisations, "organisation_id", survivor.id) == 2
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Position.organisation_id == survivor.id))
        == 1
    )
    links = db.session.scalars(sa.select(OrganisationLink)).all()
    assert [(link.source_id, link.target_id) for link in links] == [(survivor.id, ucimu.id)]
    assert other.deleted_at is not None


def test_pairs_over_the_whole_register(app, db) -> None:
    factories.make_organisation(name="Officine Meccaniche Rossi S.p.A.", country_code="IT")
    factories.make_organisation(name="officine meccaniche rossi SpA", country_code="IT")
    factories.make_organisation(name="Officine Meccaniche Rossi", country_code="FR")
    shared = factories.make_organisation(name="Agoria", country_code="BE")
    factories.make_person("Pieter", "Janssens", organisation=shared)
    factories.make_person("Pieter", "Janssens", organisation=shared)
    pairs = merge.duplicate_organisations().pairs
    assert [(p.first.country_code, p.second.country_code) for p in pairs] == [("IT", "IT")]
    (pair,) = merge.duplicate_people().pairs
    assert pair.reason == "same name at the same organisation"


@pytest.mark.parametrize("case", ["self", "deleted"])
def test_refused_merges_change_nothing(app, db, case) -> None:
    admin = factories.make_user("admin")
    first, second = factories.make_person(), factories.make_person()
    if case == "deleted":
        second.deleted_at = datetime.now(UTC)
    with pytest.raises(ValidationError):
        merge.merge_people(first, first if case == "self" else second, admin)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert all(p.deleted_at is None for p in (first,))


def test_merges_note_the_record_merged_into(app, db) -> None:
    admin = factories.make_user("admin")
    first, second, third = (factories.make_person("Pieter", "Janssens") for _ in range(3))
    merge.merge_people(second, third, admin)
    merge.merge_people(first, second, admin)
    assert (third.merged_into_id, second.merged_into_id, first.merged_into_id) == (
        second.id,
        first.id,
        None,
    )
    assert merge.merged_survivor(third) == first
    organisations = [factories.make_organisation(name="Agoria", country_code="BE") for _ in "ab"]
    merge.merge_organisations(organisations[0], organisations[1], admin)
    assert organisations[1].merged_into_id == organisations[0].id


def test_a_pair_marked_not_a_duplicate_is_not_listed_again(app, db) -> None:
    coordinator = factories.make_user("coordinator")
    shared = factories.make_organisation(name="Agoria", country_code="BE")
    first = factories.make_person("Pieter", "Janssens", organisation=shared)
    second = factories.make_person("Pieter", "Janssens", organisation=shared)
    assert len(merge.duplicate_people().pairs) == 1
    merge.mark_not_duplicate(second, first, coordinator)
    assert merge.duplicate_people().pairs == []
    with pytest.raises(ValidationError, match="already"):
        merge.mark_not_duplicate(first, second, coordinator)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "not-duplicate")
    ).all()
    assert {e.entity_id for e in entries} == {first.id, second.id}
    twins = [factories.make_organisation(name="Rossi SpA", country_code="IT") for _ in "ab"]
    merge.mark_not_duplicate(twins[0], twins[1], coordinator)
    assert merge.duplicate_organisations().pairs == []
    with pytest.raises(ValidationError):
        merge.mark_not_duplicate(first, twins[0], coordinator)


def test_duplicate_pairs_come_in_pages(app, db) -> None:
    for n in range(5):
        for _ in range(2):
            factories.make_organisation(name=f"Twin Works {n}", country_code="PT")
    first = merge.duplicate_organisations(page=1, per_page=2)
    last = merge.duplicate_organisations(page=3, per_page=2)
    assert (len(first.pairs), first.has_next, first.total) == (2, True, 5)
    assert (len(last.pairs), last.has_next) == (1, False)
    seen = [
        p.first.name for page in (1, 2, 3) for p in merge.duplicate_organisations(page, 2).pairs
    ]
    assert seen == [f"Twin Works {n}" for n in range(5)]
