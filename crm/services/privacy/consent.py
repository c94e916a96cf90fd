"""Why we may hold a person's data: lawful basis, consents given or withdrawn, restriction.

Like every service these flush and never commit; role checks belong to the views.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crm.extensions import db
from crm.models import (
    AuditAction,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    LawfulBasis,
    Person,
    User,
    utcnow,
)
from crm.services import audit
from crm.services.checks import clean_enum, clean_text
from crm.services.errors import ValidationError
from crm.services.records import refuse_erased
from crm.services.text import iso_utc

SOURCE_MAX = 300
REASON_MAX = 300
# A consent "given now" in a form may carry a clock a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


def _clean_given_at(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError("give the date and time the consent was given", field="given_at")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("the time needs a time zone", field="given_at")
    if value > utcnow() + CLOCK_SKEW:
        raise ValidationError("a consent cannot be given in the future", field="given_at")
    return value


def record_consent(
    person: Person,
    purpose: ConsentPurpose | str,
    status: ConsentStatus | str,
    source: str,
    given_at: datetime,
    actor: User,
) -> ConsentRecord:
    """Append a consent given or withdrawn; the history of a person's consents is never edited."""
    refuse_erased(person)
    purpose = clean_enum(ConsentPurpose, purpose, "purpose", required=True)
    status = clean_enum(ConsentStatus, status, "status", required=True)
    source = clean_text(source, "source", SOURCE_MAX, required=True)
    given_at = _clean_given_at(given_at)
    record = ConsentRecord(
        person_id=person.id,
        purpose=purpose,
        status=status,
        source=source,
        given_at=given_at,
        recorded_by_id=actor.id,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        AuditAction.CONSENT,
        "person",
        person.id,
        actor,
        {
            "consent": [
                None,
                {
                    "purpose": purpose.value,
                    "status": status.value,
                    "source": source,
                    "given_at": iso_utc(given_at),
                },
            ]
        },
        summary=f"consent {status.value}: {purpose.value}",
    )
    return record


def set_restriction(person: Person, restricted: bool, reason: str, actor: User) -> bool:
    """Restrict processing (GDPR art. 18) or lift it; the reason goes into the audit log.

    Returns False, writing nothing, when the person is already in that state.
    """
    refuse_erased(person)
    text = clean_text(reason, "reason", REASON_MAX, required=True)
    restricted = bool(restricted)
    if person.is_restricted == restricted:
        return False
    old = person.is_restricted
    person.is_restricted = restricted
    db.session.flush()
    audit.record(
        AuditAction.RESTRICT if restricted else AuditAction.LIFT_RESTRICTION,
        "person",
        person.id,
        actor,
        {"is_restricted": [old, restricted], "reason": [None, text]},
        summary=("restricted: " if restricted else "restriction lifted: ") + str(text),
    )
    return True


def set_lawful_basis(
    person: Person, basis: LawfulBasis | str, source: str, actor: User
) -> dict[str, list[object]]:
    """Record why we may hold the person's data and where that comes from."""
    refuse_erased(person)
    basis = clean_enum(LawfulBasis, basis, "lawful_basis", required=True)
    source = clean_text(source, "lawful_basis_source", SOURCE_MAX, required=True)
    changes: dict[str, list[object]] = {}
    if person.lawful_basis != basis:
        old = person.lawful_basis.value if person.lawful_basis else None
        changes["lawful_basis"] = [old, basis.value]
        person.lawful_basis = basis
    if person.lawful_basis_source != source:
        changes["lawful_basis_source"] = [person.lawful_basis_source, source]
        person.lawful_basis_source = source
    if changes:
        db.session.flush()
        audit.record(AuditAction.LAWFUL_BASIS, "person", person.id, actor, changes)
    return changes
