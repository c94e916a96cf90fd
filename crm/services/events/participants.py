"""Who took part in an event: people and organisations of the register, with their role and
whether they were invited, registered or attended.

The rules are outreach's: nobody erased, merged away or deleted is added (who is already on
the event stays, and can still be changed or removed); a person takes part once, an
organisation on its own once. Every change is audited on the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    Attendance,
    AuditAction,
    Event,
    EventParticipant,
    Organisation,
    ParticipantRole,
    Person,
    User,
)
from crm.services import audit
from crm.services.checks import MAX_ID, clean_enum, clean_int
from crm.services.errors import ValidationError
from crm.services.events.records import AUDIT_ENTITY, label, may_change, require
from crm.services.outreach.records import person_name, refuse_gone


def participant_name(participant: EventParticipant) -> str:
    """How the audit and messages name a participant: the person (and the organisation
    they came for), or the organisation."""
    person, organisation = participant.person, participant.organisation
    if person is not None:
        name = person_name(person)
        return f"{name} ({organisation.name})" if organisation is not None else name
    assert organisation is not None
    return organisation.name


def _refuse_gone(record: Person | Organisation, field: str) -> None:
    refuse_gone(
        record,
        field,
        erased="cannot be added to an event",
        deleted="choose someone else",
    )


def _person(value: object) -> Person | None:
    person_id = clean_int(value, "person_id", 1, MAX_ID)
    if person_id is None:
        return None
    person = db.session.get(Person, person_id)
    if person is None:
        raise ValidationError(f"there is no person #{person_id}", field="person_id")
    _refuse_gone(person, "person_id")
    return person


def _organisation(value: object) -> Organisation | None:
    organisation_id = clean_int(value, "organisation_id", 1, MAX_ID)
    if organisation_id is None:
        return None
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationError(
            f"there is no organisation #{organisation_id}", field="organisation_id"
        )
    _refuse_gone(organisation, "organisation_id")
    return organisation


def _refuse_closed(event: Event) -> None:
    if event.deleted_at is not None:
        raise ValidationError(f"{label(event)} was deleted; an admin can restore it first")


def add_participant(
    actor: User,
    event: Event,
    *,
    person_id: object = None,
    organisation_id: object = None,
    role: object,
    attendance: object,
) -> EventParticipant:
    """Add a person (optionally for an organisation) or an organisation on its own."""
    _refuse_closed(event)
    require(may_change(actor, event), "change this event")
    person = _person(person_id)
    organisation = _organisation(organisation_id)
    if person is None and organisation is None:
        raise ValidationError("choose a person or an organisation", field="person_id")
    clean_role = clean_enum(ParticipantRole, role, "role", required=True)
    clean_attendance = clean_enum(Attendance, attendance, "attendance", required=True)
    taken = sa.select(EventParticipant.id).where(EventParticipant.event_id == event.id)
    if person is not None:
        taken = taken.where(EventParticipant.person_id == person.id)
        field, name = "person_id", person_name(person)
    else:
        assert organisation is not None
        taken = taken.where(
            EventParticipant.person_id.is_(None),
            EventParticipant.organisation_id == organisation.id,
        )
        field, name = "organisation_id", organisation.name
    if db.session.scalar(taken) is not None:
        raise ValidationError(f"{name} already takes part in “{event.title}”", field=field)
    participant = EventParticipant(
        event_id=event.id,
        person=person,
        organisation=organisation,
        role=clean_role,
        attendance=clean_attendance,
    )
    db.session.add(participant)
    db.session.flush()
    db.session.expire(event, ["participants"])
    audit.record(
        AuditAction.ADD_PARTICIPANT,
        AUDIT_ENTITY,
        event.id,
        actor,
        {
            "participant": [None, participant_name(participant)],
            "role": [None, clean_role.value],
            "attendance": [None, clean_attendance.value],
        },
        summary=f"added {participant_name(participant)} to “{event.title}”",
    )
    return participant


def update_participant(
    actor: User, participant: EventParticipant, data: Mapping[str, Any]
) -> EventParticipant:
    """Change a participant's role or attendance (``data``: role, attendance; an absent one
    stays)."""
    event = participant.event
    _refuse_closed(event)
    require(may_change(actor, event), "change this event")
    changes: dict[str, Any] = {}
    for name, enum_cls in (("role", ParticipantRole), ("attendance", Attendance)):
        if data.get(name) in (None, ""):
            continue
        value = clean_enum(enum_cls, data.get(name), name, required=True)
        if getattr(participant, name) != value:
            changes[name] = [getattr(participant, name).value, value.value]
            setattr(participant, name, value)
    if not changes:
        return participant
    db.session.flush()
    changes["participant"] = [participant_name(participant), participant_name(participant)]
    audit.record(
        AuditAction.UPDATE_PARTICIPANT,
        AUDIT_ENTITY,
        event.id,
        actor,
        changes,
        summary=f"changed {participant_name(participant)} at “{event.title}”",
    )
    return participant


def remove_participant(actor: User, participant: EventParticipant) -> None:
    """Take a participant off the event (outreach logged with them stays)."""
    event = participant.event
    _refuse_closed(event)
    require(may_change(actor, event), "change this event")
    name = participant_name(participant)
    db.session.delete(participant)
    db.session.flush()
    db.session.expire(event, ["participants"])
    audit.record(
        AuditAction.REMOVE_PARTICIPANT,
        AUDIT_ENTITY,
        event.id,
        actor,
        {"participant": [name, None]},
        summary=f"removed {name} from “{event.title}”",
    )
