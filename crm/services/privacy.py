"""Data protection: lawful basis, consent, restriction, subject access and erasure.

Public functions:

- ``record_consent(person, purpose, status, source, given_at, actor) -> ConsentRecord``
- ``set_restriction(person, restricted, reason, actor) -> bool`` (False: nothing to change)
- ``set_lawful_basis(person, basis, source, actor) -> dict`` (the audited changes)
- ``subject_access_export(person) -> dict`` (JSON-serialisable) and
  ``subject_access_csv(person) -> bytes`` (a ZIP of one CSV per section)
- ``erasure_hash(email_normalised, key) -> str`` and ``erase_person(person, actor, key)``

Like every service these flush and never commit; role checks belong to the views.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import string
import zipfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import (
    AuditEntry,
    Base,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    EventParticipant,
    FollowUp,
    LawfulBasis,
    Organisation,
    Outreach,
    Person,
    Position,
    User,
    outreach_people,
    utcnow,
)
from crm.services import audit, search_sync
from crm.services.checks import clean_enum, clean_text
from crm.services.errors import ValidationError
from crm.services.exports import BOM, neutralise
from crm.services.text import iso_utc

SOURCE_MAX = 300
REASON_MAX = 300
# A consent "given now" in a form may carry a clock a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)
ERASED = "[erased]"
SUBJECT_ACCESS_FORMAT = 1


# --- Checks ----------------------------------------------------------------------------------


def _refuse_erased(person: Person) -> None:
    if person.erased_at is not None:
        raise ValidationError("this person was erased; nothing more can be recorded about them")


def _clean_given_at(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError("give the date and time the consent was given", field="given_at")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("the time needs a time zone", field="given_at")
    if value > utcnow() + CLOCK_SKEW:
        raise ValidationError("a consent cannot be given in the future", field="given_at")
    return value


# --- Consent, restriction, lawful basis ------------------------------------------------------


def record_consent(
    person: Person,
    purpose: ConsentPurpose | str,
    status: ConsentStatus | str,
    source: str,
    given_at: datetime,
    actor: User,
) -> ConsentRecord:
    """Append a consent given or withdrawn; the history of a person's consents is never edited."""
    _refuse_erased(person)
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
        "consent",
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
    _refuse_erased(person)
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError("give the reason (e.g. the person's request)", field="reason")
    if len(text) > REASON_MAX:
        raise ValidationError(f"the reason must have at most {REASON_MAX} characters", "reason")
    restricted = bool(restricted)
    if person.is_restricted == restricted:
        return False
    old = person.is_restricted
    person.is_restricted = restricted
    db.session.flush()
    audit.record(
        "restrict" if restricted else "lift-restriction",
        "person",
        person.id,
        actor,
        {"is_restricted": [old, restricted], "reason": [None, text]},
        summary=("restricted: " if restricted else "restriction lifted: ") + text,
    )
    return True


def set_lawful_basis(
    person: Person, basis: LawfulBasis | str, source: str, actor: User
) -> dict[str, list[object]]:
    """Record why we may hold the person's data and where that comes from."""
    _refuse_erased(person)
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
        audit.record("lawful-basis", "person", person.id, actor, changes)
    return changes


# --- Subject access --------------------------------------------------------------------------


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


def subject_access_export(person: Person) -> dict[str, Any]:
    """Everything held on a person (GDPR art. 15), JSON-serialisable.

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
    outreach = db.session.scalars(
        sa.select(Outreach)
        .join(outreach_people, outreach_people.c.outreach_id == Outreach.id)
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
                "recorded_by": _user_name(recorders.get(c.recorded_by_id)),
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
                "event": o.event.title if o.event is not None else None,
                "outcome": o.outcome,
                "notes": o.notes,
                "deleted_at": o.deleted_at,
            }
            for o in outreach
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


def _cell(value: object) -> str:
    if isinstance(value, dict):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True))
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return neutralise("; ".join("" if v is None else str(v) for v in value))
        return neutralise(json.dumps(value, ensure_ascii=False))
    return neutralise(value)


def _csv_file(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8")


def subject_access_csv(person: Person) -> bytes:
    """The subject-access export as a ZIP holding one CSV per section, plus the same as JSON.

    One file per section because the sections have nothing in common: one long CSV with a
    section column would need the union of all columns, mostly empty, and a data-protection
    officer could neither read it nor hand it to the person. Each file opens in a spreadsheet
    with its own header (UTF-8 with BOM, neutralised cells); ``person.csv`` is a two-column
    field/value list, as one record reads best vertically. The JSON copy is the complete,
    machine-readable form (GDPR art. 20 asks for one).
    """
    data = subject_access_export(person)
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
    return output.getvalue()


# --- Erasure ---------------------------------------------------------------------------------

# Fields of the person whose values are personal data wherever the audit log recorded them.
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "name_normalised",
        "full_name",
        "email",
        "email_normalised",
        "phone",
        "notes",
        "lawful_basis_source",
    }
)
# Accounts are not register records: a colleague who is also in the register keeps the
# account they sign in with (an admin deactivates it separately if asked to). Search terms
# are derived from the people and organisations tables, and rewritten from them once swept.
SKIPPED_TABLES = frozenset({"users", "search_terms"})
# Columns naming *other* records: a namesake or a firm named after its founder keeps its
# name. The e-mail and phone are still scrubbed there, as they identify the person alone.
NAME_COLUMNS = frozenset(
    {
        ("people", "first_name"),
        ("people", "last_name"),
        ("people", "name_normalised"),
        ("people", "sort_name"),
        ("organisations", "name"),
        ("organisations", "name_normalised"),
        ("organisations", "acronym"),
    }
)
# Shorter strings (a two-letter name) would match too much to be replaced safely.
MIN_NEEDLE = 3


def erasure_hash(email_normalised: str, key: bytes) -> str:
    """Keyed hash of an erased person's e-mail, so an import can recognise them.

    Keyed (HMAC-SHA256), because a plain hash of an e-mail is reversed by hashing a list
    of addresses. The key must stay the same for as long as erased people should be recognised.
    """
    if not key:
        raise ValueError("the erasure key is empty")
    value = email_normalised.strip().lower().encode("utf-8")
    return hmac.new(key, value, hashlib.sha256).hexdigest()


def erased_with_email(email: str | None, key: bytes) -> Person | None:
    """The erased person who had this e-mail, if any: adding them again must be a decision
    (a new lawful basis), never an accident of an import or a form."""
    if not email or not key:
        return None
    digest = erasure_hash(email, key)
    return db.session.scalars(
        sa.select(Person).where(Person.erased_email_hash == digest).limit(1)
    ).first()


def _ascii_lower(value: str) -> str:
    return value.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _needle_pattern(needle: str) -> re.Pattern[str]:
    """Case-insensitive, and not inside a longer word (``Li Wu`` stays in ``Kali Wulf``)."""
    before = r"(?<!\w)" if re.match(r"\w", needle[0]) else ""
    after = r"(?!\w)" if re.match(r"\w", needle[-1]) else ""
    return re.compile(before + re.escape(needle) + after, re.IGNORECASE)


class _Scrubber:
    """Replaces a person's name, e-mail and phone in text and in JSON values."""

    def __init__(self, names: list[str], identifiers: list[str]) -> None:
        def usable(values: list[str]) -> list[str]:
            cleaned = {" ".join(v.split()) for v in values if v}
            # Longest first, so "Jürgen Müller" goes before a shorter overlapping needle.
            return sorted((v for v in cleaned if len(v) >= MIN_NEEDLE), key=len, reverse=True)

        self.names = usable(names)
        self.identifiers = usable(identifiers)
        self._patterns = {n: _needle_pattern(n) for n in self.names + self.identifiers}

    def needles(self, with_names: bool) -> list[str]:
        return (self.names if with_names else []) + self.identifiers

    def like_variants(self, with_names: bool, json_text: bool) -> set[str]:
        """Lower-case substrings, one of which ``lower(column)`` contains in every row that
        holds a needle. SQLite's ``lower()`` folds ASCII only, so the usual spellings of each
        needle are searched for with only their ASCII letters lowered (``hans mÜller``); JSON
        text escapes non-ASCII letters (``\\u00fc``), so their escaped forms too."""
        variants = set()
        for needle in self.needles(with_names):
            variants.add(needle.lower())
            for form in (needle, needle.upper(), needle.title(), needle.lower()):
                variants.add(_ascii_lower(form))
                if json_text:
                    variants.add(_ascii_lower(json.dumps(form)[1:-1]))
        return variants

    def text(self, value: str, with_names: bool = True) -> str:
        for needle in self.needles(with_names):
            value = self._patterns[needle].sub(ERASED, value)
        return value

    def whole(self, value: str, with_names: bool = True) -> bool:
        stripped = value.strip()
        return any(self._patterns[n].fullmatch(stripped) for n in self.needles(with_names))

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value


def _redact_personal_fields(value: Any) -> Any:
    """In audit changes about the person, every value of a personal field becomes [erased]."""
    if isinstance(value, dict):
        return {
            k: _redacted(v) if k in PERSONAL_FIELDS else _redact_personal_fields(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_personal_fields(v) for v in value]
    return value


def _redacted(value: Any) -> Any:
    if isinstance(value, list):  # [old, new]: keep the shape, and the empties as they were
        return [_redacted(v) for v in value]
    return value if value in (None, "") else ERASED


def _text_columns(table: sa.Table) -> list[tuple[sa.Column[Any], bool]]:
    """The table's columns that can hold free text: strings, texts and JSON (flagged True)."""
    found = []
    for column in table.columns:
        if column.primary_key or column.foreign_keys:
            continue
        if isinstance(column.type, sa.JSON):
            found.append((column, True))
        elif isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum):
            found.append((column, False))
    return found


def _sweep_table(table: sa.Table, scrubber: _Scrubber) -> list[tuple[Any, ...]]:
    """Scrub every text column of one table; returns the primary keys of the rows changed.

    Candidates are found in SQL (a LIKE per spelling), the replacement is done here, where
    case folding is Unicode-aware on both databases. Rows are written with Core UPDATEs; a
    versioned record gets its version bumped, so a form opened before the erasure cannot save
    the old text back (its save then meets the usual conflict).
    """
    columns = _text_columns(table)
    if not columns:
        return []
    conditions = []
    for column, is_json in columns:
        with_names = (table.name, column.name) not in NAME_COLUMNS
        expression = sa.cast(column, sa.Text) if is_json else column
        lowered = sa.func.lower(expression)
        for variant in scrubber.like_variants(with_names, is_json):
            conditions.append(lowered.contains(variant, autoescape=True))
    if not conditions:
        return []
    keys = list(table.primary_key.columns)
    rows = db.session.execute(
        sa.select(*keys, *(c for c, _ in columns)).where(sa.or_(*conditions))
    ).all()
    changed = []
    for row in rows:
        values: dict[str, Any] = {}
        for column, is_json in columns:
            old = row._mapping[column]
            if old is None:
                continue
            if is_json:
                new = scrubber.json(old)
            else:
                with_names = (table.name, column.name) not in NAME_COLUMNS
                if column.nullable and scrubber.whole(old, with_names):
                    new = None  # e.g. an organisation's e-mail that was the person's own
                else:
                    new = scrubber.text(old, with_names)
            if new != old:
                values[column.name] = new
        if not values:
            continue
        if "version" in table.c:
            values["version"] = table.c.version + 1
        db.session.execute(
            sa.update(table).where(*(key == row._mapping[key] for key in keys)).values(values)
        )
        changed.append(tuple(row._mapping[key] for key in keys))
    return changed


def _merged_into(person: Person) -> list[Person]:
    """Records merged into the person (and into those, and so on), not yet erased.

    A merge soft-deletes the duplicate with its name and e-mail still on it; it is the same
    human being, so it is erased with the record it was merged into.
    """
    seen, frontier = {person.id}, [person.id]
    while frontier:
        merges = db.session.scalars(
            sa.select(AuditEntry.changes).where(
                AuditEntry.entity_type == "person",
                AuditEntry.entity_id.in_(frontier),
                AuditEntry.action == "merge",
            )
        )
        frontier = []
        for changes in merges:
            merged = (changes or {}).get("merged_from")
            other_id = merged[-1] if isinstance(merged, list) and merged else None
            if isinstance(other_id, int) and other_id not in seen:
                seen.add(other_id)
                frontier.append(other_id)
    seen.discard(person.id)
    if not seen:
        return []
    return list(
        db.session.scalars(sa.select(Person).where(Person.id.in_(seen), Person.erased_at.is_(None)))
    )


def _needles(person: Person) -> tuple[list[str], list[str]]:
    """The person's names (full name in three orders, accent-free form) and identifiers."""
    first, last = " ".join(person.first_name.split()), " ".join(person.last_name.split())
    names = [f"{first} {last}", f"{last} {first}", f"{last}, {first}"] if first and last else []
    if not names and (first or last):
        names = [first or last]
    if person.name_normalised:
        names.append(person.name_normalised)  # the accent-free spelling, "jurgen muller"
    identifiers = [person.email or "", person.email_normalised or "", person.phone or ""]
    if person.phone:
        compact = re.sub(r"[^\d+]", "", person.phone)
        if sum(ch.isdigit() for ch in compact) >= 6:
            identifiers.append(compact)
    return names, identifiers


def _anonymise(person: Person, key: bytes) -> None:
    email = person.email_normalised or (person.email or "").strip().lower()
    person.first_name = ""
    person.last_name = ""
    person.name_normalised = ""
    person.sort_name = ""
    person.email = None
    person.email_normalised = None
    person.phone = None
    person.notes = ""
    person.lawful_basis_source = ""
    person.erased_at = utcnow()
    person.erased_email_hash = erasure_hash(email, key) if email else None


def erase_person(person: Person, actor: User, key: bytes) -> None:
    """Anonymise a person (GDPR art. 17) so that counts in reports survive.

    The person's own record loses name, e-mail, phone, notes and the lawful-basis source; a
    keyed hash of the e-mail stays so that an import cannot silently bring them back. Their
    positions, outreach links, event participations, consents and follow-ups stay, so that
    coverage counts do not change. Then every text column of every table (accounts aside) is
    swept for their full name, e-mail and phone, which become "[erased]": notes and subjects
    of outreach, follow-ups, consent sources, audit summaries and changes, and the rest. In
    audit entries about the person, every value of a personal field becomes "[erased]".
    Duplicate records merged into the person are erased with them.
    """
    if person.erased_at is not None:
        raise ValidationError("this person has already been erased")
    if not key:
        raise ValidationError("no erasure key is configured", field="key")
    records = [person, *_merged_into(person)]
    names: list[str] = []
    identifiers: list[str] = []
    for record in records:
        record_names, record_identifiers = _needles(record)
        names += record_names
        identifiers += record_identifiers
    scrubber = _Scrubber(names, identifiers)
    for record in records:
        _anonymise(record, key)
    db.session.flush()

    audit_log = AuditEntry.__table__
    about_them = db.session.execute(
        sa.select(audit_log.c.id, audit_log.c.changes).where(
            audit_log.c.entity_type == "person",
            audit_log.c.entity_id.in_([r.id for r in records]),
        )
    ).all()
    for entry_id, changes in about_them:
        redacted = _redact_personal_fields(changes or {})
        if redacted != changes:
            db.session.execute(
                sa.update(audit_log).where(audit_log.c.id == entry_id).values(changes=redacted)
            )

    # Consent records are append-only, and the ORM listeners refuse to update them. Erasure is
    # the one exception the law makes: the record of *that* a consent was given stays (purpose,
    # status, dates), only the person's identifiers inside its free-text source go. A Core
    # UPDATE, which the listeners do not see, does that, here and nowhere else.
    changed = {
        table.name: _sweep_table(table, scrubber)
        for table in Base.metadata.sorted_tables
        if table.name not in SKIPPED_TABLES
    }
    db.session.expire_all()  # the Core UPDATEs bypassed the objects the session holds
    # An organisation that gave the person's e-mail as its own is found by its words no more.
    for model in (Organisation, Person):
        search_sync.mark_changed(model, [id_ for (id_,) in changed.get(model.__tablename__, [])])

    for record in records:
        changes: dict[str, Any] = {"erased_at": [None, iso_utc(record.erased_at)]}  # type: ignore[arg-type]
        if record is person and len(records) > 1:
            changes["merged_records"] = [None, sorted(r.id for r in records[1:])]
        summary = f"erased person #{record.id}: personal data anonymised"
        if record is not person:
            summary += f" with person #{person.id}, into which it had been merged"
        audit.record("erase", "person", record.id, actor, changes, summary=summary)
    db.session.flush()
