"""Subject access (GDPR art. 15 and 20): everything held on a person, as JSON or CSV files.

Each export is audited here, in the service, so that every caller (a page, a command, an API)
leaves the same trace; the views only send the file. Like every service this flushes and never
commits.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import (
    AuditAction,
    AuditEntry,
    ConsentRecord,
    EventParticipant,
    FollowUp,
    Organisation,
    Outreach,
    Person,
    Position,
    User,
    outreach_people,
    utcnow,
)
from crm.services import audit
from crm.services.exports import csv_chunks

SUBJECT_ACCESS_FORMAT = 1


def _user_name(user: User | None) -> str | None:
    return user.display_name if user is not None else None


# The columns of every section, fixed so that an empty section still has its header.
SECTIONS: dict[str, tuple[str, ...]] = {
    "positions": ("id", "organisation_id", "organisation", "title", "role", "starts_on", "ends_on"),
    "consent_records": (
        "id",
        "purpose",
        "status",
        "source",
        "given_at",
        "recorded_at",
        "recorded_by",
    ),
    "outreach": (
        "id",
        "occurred_at",
        "channel",
        "direction",
        "subject",
        "subitems",
        "organisations",
        "counted_for",
        "event",
        "outcome",
        "notes",
        "deleted_at",
    ),
    "event_participations": (
        "event_id",
        "event",
        "kind",
        "starts",
        "ends",
        "city",
        "country",
        "role",
        "attendance",
    ),
    "follow_ups": ("id", "title", "notes", "due_at", "status", "completed_at", "assignee"),
    "audit_entries": ("id", "at", "actor", "action", "changes", "summary"),
}


def subject_access_export(person: Person, actor: User) -> dict[str, Any]:
    """Everything held on a person (GDPR art. 15), JSON-serialisable; the export is audited."""
    data = _everything_held(person)
    _audit_export(person, actor, "json")
    return data


def _audit_export(person: Person, actor: User, fmt: str) -> None:
    audit.record(
        AuditAction.SUBJECT_ACCESS,
        "person",
        person.id,
        actor,
        summary=f"subject-access export ({fmt})",
    )
    db.session.flush()


def _everything_held(person: Person) -> dict[str, Any]:
    """Everything held on a person, JSON-serialisable.

    Other people reached by the same outreach are left out: they are someone else's data.
    Soft-deleted outreach is included, marked with ``deleted_at``, because it is still held.
    """
    person_id = person.id
    positions = db.session.scalars(
        sa.select(Position)
        .where(Position.person_id == person_id)
        .options(selectinload(Position.organisation))
        .order_by(Position.starts_on, Position.id)
    ).all()
    consents = db.session.scalars(
        sa.select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id)
        .order_by(ConsentRecord.given_at, ConsentRecord.id)
    ).all()
    recorders = _users({c.recorded_by_id for c in consents})
    # Each with the organisation the person counted for that day (theirs to know).
    outreach = db.session.execute(
        sa.select(Outreach, Organisation.name)
        .join(outreach_people, outreach_people.c.outreach_id == Outreach.id)
        .outerjoin(Organisation, Organisation.id == outreach_people.c.organisation_id)
        .where(outreach_people.c.person_id == person_id)
        .options(
            selectinload(Outreach.subitems),
            selectinload(Outreach.organisations),
            selectinload(Outreach.event),
        )
        .order_by(Outreach.occurred_at, Outreach.id)
    ).all()
    participations = db.session.scalars(
        sa.select(EventParticipant)
        .where(EventParticipant.person_id == person_id)
        .options(selectinload(EventParticipant.event))
        .order_by(EventParticipant.id)
    ).all()
    follow_ups = db.session.scalars(
        sa.select(FollowUp)
        .where(FollowUp.person_id == person_id)
        .options(selectinload(FollowUp.assignee))
        .order_by(FollowUp.due_at, FollowUp.id)
    ).all()
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "person", AuditEntry.entity_id == person_id)
        .options(selectinload(AuditEntry.actor))
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()

    def event_times(event: Any) -> tuple[Any, Any]:
        if event.is_all_day:
            return event.start_date, event.end_date
        return event.starts_at, event.ends_at

    data: dict[str, Any] = {
        "format": SUBJECT_ACCESS_FORMAT,
        "generated_at": utcnow(),
        "person": {
            "id": person.id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "phone": person.phone,
            "country": person.country_code,
            "language": person.language_code,
            "notes": person.notes,
            "lawful_basis": person.lawful_basis,
            "lawful_basis_source": person.lawful_basis_source,
            "is_restricted": person.is_restricted,
            "responsible_officer": _user_name(person.responsible_officer),
            "created_at": person.created_at,
            "updated_at": person.updated_at,
            "deleted_at": person.deleted_at,
            "erased_at": person.erased_at,
        },
        "tags": sorted(t.name for t in person.tags),
        "positions": [
            {
                "id": p.id,
                "organisation_id": p.organisation_id,
                "organisation": p.organisation.name,
                "title": p.title,
                "role": p.role,
                "starts_on": p.starts_on,
                "ends_on": p.ends_on,
            }
            for p in positions
        ],
        "consent_records": [
            {
                "id": c.id,
                "purpose": c.purpose,
                "status": c.status,
                "source": c.source,
                "given_at": c.given_at,
                "recorded_at": c.recorded_at,
                "recorded_by": (
                    _user_name(recorders.get(c.recorded_by_id))
                    if c.recorded_by_id is not None
                    else None  # the recording account was deleted
                ),
            }
            for c in consents
        ],
        "outreach": [
            {
                "id": o.id,
                "occurred_at": o.occurred_at,
                "channel": o.channel,
                "direction": o.direction,
                "subject": o.subject,
                "subitems": sorted(s.code for s in o.subitems),
                "organisations": sorted(org.name for org in o.organisations),
                "counted_for": counted_for,
                "event": o.event.title if o.event is not None else None,
                "outcome": o.outcome,
                "notes": o.notes,
                "deleted_at": o.deleted_at,
            }
            for o, counted_for in outreach
        ],
        "event_participations": [
            {
                "event_id": p.event_id,
                "event": p.event.title,
                "kind": p.event.kind,
                "starts": event_times(p.event)[0],
                "ends": event_times(p.event)[1],
                "city": p.event.city,
                "country": p.event.country_code,
                "role": p.role,
                "attendance": p.attendance,
            }
            for p in participations
        ],
        "follow_ups": [
            {
                "id": f.id,
                "title": f.title,
                "notes": f.notes,
                "due_at": f.due_at,
                "status": f.status,
                "completed_at": f.completed_at,
                "assignee": _user_name(f.assignee),
            }
            for f in follow_ups
        ],
        "audit_entries": [
            {
                "id": e.id,
                "at": e.at,
                "actor": _user_name(e.actor),
                "action": e.action,
                "changes": e.changes,
                "summary": e.summary,
            }
            for e in entries
        ],
    }
    return audit.plain_value(data)


def _users(ids: set[int | None]) -> dict[int, User]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


def _cell(value: object) -> object:
    """A section's value as one CSV cell: nested values as JSON, a list of plain values
    joined by ``; `` (each part is guarded by ``exports.csv_cell``, like the lists' exports)."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "; ".join("" if v is None else str(v) for v in value)
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv_file(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    return b"".join(csv_chunks(headers, [[[_cell(v) for v in row] for row in rows]]))


def subject_access_csv(person: Person, actor: User) -> bytes:
    """The subject-access export as a ZIP holding one CSV per section, plus the same as JSON.

    One file per section because the sections have nothing in common: one long CSV with a
    section column would need the union of all columns, mostly empty, and a data-protection
    officer could neither read it nor hand it to the person. Each file opens in a spreadsheet
    with its own header (UTF-8 with BOM, neutralised cells); ``person.csv`` is a two-column
    field/value list, as one record reads best vertically. The JSON copy is the complete,
    machine-readable form (GDPR art. 20 asks for one).
    """
    data = _everything_held(person)
    stamp = datetime.fromisoformat(data["generated_at"]).timetuple()[:6]
    files: dict[str, bytes] = {}
    details = {**data["person"], "tags": data["tags"]}
    files["person.csv"] = _csv_file(("field", "value"), list(details.items()))
    for section, headers in SECTIONS.items():
        rows = [[item.get(h) for h in headers] for item in data[section]]
        files[f"{section}.csv"] = _csv_file(headers, rows)
    files["subject-access.json"] = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, zipfile.ZIP_DEFLATED)
    _audit_export(person, actor, "zip")
    return output.getvalue()
