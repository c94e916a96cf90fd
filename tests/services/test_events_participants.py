"""Participants of an event: people and organisations of the register, once each, nobody gone
added, every change audited on the event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import Attendance, AuditAction, AuditEntry, EventParticipant, ParticipantRole
from crm.services import merge, privacy
from crm.services.errors import ValidationError
from crm.services.events import participants
from tests import factories

KEY = b"erasure-key-for-tests-0123456789"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture()
def world(app, db):
    organiser = factories.make_user("organiser")
    event = factories.make_event(title="BIEMH 2026")
    event.created_by_id = organiser.id
    firm = factories.make_organisation(name="Ona Electroerosión", country_code="ES")
    anna = factories.make_person("Anna", "Etxeberria", organisation=firm)
    _db.session.flush()
    return {"organiser": organiser, "event": event, "firm": firm, "anna": anna}


def _count() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(EventParticipant)) or 0


def _actions() -> list[AuditAction]:
    return list(_db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_add_change_and_remove(world) -> None:
    actor, event = world["organiser"], world["event"]
    person = participants.add_participant(
        actor, event, person_id=world["anna"].id, organisation_id=str(world["firm"].id),
        role="speaker", attendance="invited",
    )  # fmt: skip
    exhibitor = participants.add_participant(
        actor, event, organisation_id=world["firm"].id, role="exhibitor", attendance="registered"
    )
    assert person.role == ParticipantRole.SPEAKER and person.organisation_id == world["firm"].id
    assert {p.id for p in event.participants} == {person.id, exhibitor.id}
    participants.update_participant(actor, person, {"attendance": "attended", "role": ""})
    assert person.attendance == Attendance.ATTENDED and person.role == ParticipantRole.SPEAKER
    before = person.version
    participants.update_participant(actor, person, {"attendance": "attended"})
    assert person.version == before  # nothing changed, nothing written
    participants.remove_participant(actor, exhibitor)
    assert _count() == 1
    assert _actions() == [
        AuditAction.ADD_PARTICIPANT,
        AuditAction.ADD_PARTICIPANT,
        AuditAction.UPDATE_PARTICIPANT,
        AuditAction.REMOVE_PARTICIPANT,
    ]
    entry = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[2]
    assert entry.entity_type == "event" and entry.entity_id == event.id
    assert entry.changes["attendance"] == ["invited", "attended"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "person_id"),
        ({"person_id": "", "organisation_id": ""}, "person_id"),
        ({"person_id": str(2**31)}, "person_id"),
        ({"person_id": "99999999"}, "person_id"),
        ({"person_id": "1.5"}, "person_id"),
        ({"person_id": object()}, "person_id"),
        ({"organisation_id": "-1"}, "organisation_id"),
        ({"organisation_id": "99999999"}, "organisation_id"),
        ({"person": True, "role": "dancer"}, "role"),
        ({"person": True, "role": ""}, "role"),
        ({"person": True, "attendance": "maybe"}, "attendance"),
    ],
)
def test_bad_input_is_refused(world, kwargs, field) -> None:
    args = {"role": "attendee", "attendance": "registered", **kwargs}
    if args.pop("person", False):
        args["person_id"] = world["anna"].id
    with pytest.raises(ValidationError) as refused:
        participants.add_participant(world["organiser"], world["event"], **args)
    assert refused.value.field == field
    assert _count() == 0 and _actions() == []


def test_nobody_takes_part_twice(world) -> None:
    actor, event = world["organiser"], world["event"]
    participants.add_participant(
        actor, event, person_id=world["anna"].id, role="attendee", attendance="registered"
    )
    with pytest.raises(ValidationError) as refused:
        participants.add_participant(
            actor, event, person_id=world["anna"].id, role="speaker", attendance="invited"
        )
    assert refused.value.field == "person_id"
    participants.add_participant(
        actor, event, organisation_id=world["firm"].id, role="exhibitor", attendance="registered"
    )
    with pytest.raises(ValidationError) as refused:
        participants.add_participant(
            actor, event, organisation_id=world["firm"].id, role="exhibitor", attendance="invited"
        )
    assert refused.value.field == "organisation_id"
    assert _count() == 2


def test_erased_merged_and_deleted_records_are_refused(world) -> None:
    actor, event = world["organiser"], world["event"]
    privacy.erase_person(world["anna"], factories.make_user("admin"), KEY)
    survivor = factories.make_person("Ane", "Etxeberria")
    other = factories.make_person("Ane", "Etxeberria")
    merge.merge_people(survivor, other, factories.make_user("coordinator"))
    gone = factories.make_organisation(name="Closed S.L.", country_code="ES")
    gone.deleted_at = NOW
    _db.session.flush()
    for kwargs, field in (
        ({"person_id": world["anna"].id}, "person_id"),
        ({"person_id": other.id}, "person_id"),
        ({"organisation_id": gone.id}, "organisation_id"),
    ):
        with pytest.raises(ValidationError) as refused:
            participants.add_participant(
                actor, event, role="attendee", attendance="registered", **kwargs
            )
        assert refused.value.field == field
    assert _count() == 0


def test_only_those_who_may_change_the_event(world) -> None:
    officer = factories.make_user("officer")
    with pytest.raises(PermissionError):
        participants.add_participant(
            officer, world["event"], person_id=world["anna"].id, role="attendee",
            attendance="registered",
        )  # fmt: skip
    added = participants.add_participant(
        factories.make_user("coordinator"), world["event"], person_id=world["anna"].id,
        role="attendee", attendance="registered",
    )  # fmt: skip
    with pytest.raises(PermissionError):
        participants.remove_participant(officer, added)
    with pytest.raises(ValidationError) as refused:
        participants.update_participant(world["organiser"], added, {"role": "juggler"})
    assert refused.value.field == "role"
