"""Erasure (GDPR art. 17): anonymise a person so that the counts in reports survive.

What erasure touches, and nothing else:

- the person's own record (and duplicates merged into it): name, e-mail, phone, notes and
  the lawful-basis source go; keyed hashes of every e-mail they ever had stay;
- rows that belong to them (consents, follow-ups and their reminders, positions) and the
  audit entries about them: every name, name part, e-mail and phone they ever had;
- free text anywhere (``FREE_TEXT``): their full names, e-mails and phones, never a lone
  first or last name;
- contact fields of organisations that are exactly their e-mail or phone, and tags that name
  them.

Reference data (countries, languages, the framework, materials) and other records'
structured fields (names, cities, websites) are never touched. Like every service this
flushes and never commits.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    AuditAction,
    AuditEntry,
    Base,
    ConsentRecord,
    ErasedEmailHash,
    FollowUp,
    Organisation,
    Person,
    Position,
    Reminder,
    Tag,
    User,
    organisation_tags,
    person_tags,
    utcnow,
)
from crm.models.base import table_of
from crm.services import audit, search_sync
from crm.services.errors import ValidationError
from crm.services.privacy.scrub import ERASED, Scrubber, name_forms, phone_forms
from crm.services.text import iso_utc, normalise_text

# Columns of free text, where the person's full names, e-mails and phones are scrubbed
# wherever they appear. Every other text column is a structured field or reference data.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "audit_log": ("summary", "changes"),
    "consent_records": ("source",),
    "events": ("title", "organiser_name", "description"),
    "follow_ups": ("title", "notes"),
    "organisation_links": ("notes",),
    "organisations": ("notes",),
    "outreach_records": ("subject", "notes"),
    "people": ("notes", "lawful_basis_source"),
    "positions": ("title",),
    "reminders": ("last_error",),
    "scheduler_runs": ("error",),  # an SMTP server's refusal may name a mailbox
    "targets": ("description",),
}
# Contact fields of other records: emptied when they hold exactly one of the person's
# e-mails or phones (a firm that gave her address as its own), else left as they are.
CONTACT_FIELDS: dict[str, tuple[str, ...]] = {"organisations": ("email", "phone")}
# Text columns erasure never rewrites, and why; with the two lists above they cover every
# text column (a test checks it), so a new column needs a decision.
LEFT_ALONE: dict[str, tuple[str, ...]] = {
    # Reference data and the framework: the same for everyone.
    "countries": ("code", "name"),
    "languages": ("code", "name"),
    "frameworks": ("key", "name", "source"),
    "commitment_items": ("code", "text"),
    "materials": ("key", "title", "language_code", "url", "description"),
    # Other records' structured fields: a namesake, a firm named after its founder, a city
    # called Georgia keep their names. The person's own row is anonymised separately.
    "organisations": ("name", "name_normalised", "acronym", "country_code", "city", "website")
    + ("language_code",),
    "people": ("first_name", "last_name", "name_normalised", "sort_name", "email")
    + ("email_normalised", "phone", "country_code", "language_code"),
    # uid: random calendar identifier (event-<hex>@mts-crm), no text of anyone's.
    "events": ("timezone", "venue", "city", "country_code", "online_url", "uid"),
    "audit_log": ("entity_type",),  # its action is an enum
    # Accounts are not register records: a colleague who is also in the register keeps the
    # account they sign in with (an admin deactivates it separately if asked to).
    "users": ("email", "full_name", "password_hash", "session_token", "calendar_token")
    + ("timezone", "feed_token_hash"),
    "login_failures": ("email", "ip_address"),
    "user_sessions": ("id",),  # random session ids of accounts
    # Derived from the people and organisations tables, rewritten from them.
    "search_terms": ("entity", "term", "sort_key"),
    # Ids, country codes and kinds of outreach records (crm.services.outreach.facets): no text.
    "outreach_facets": ("facet",),
    # Kept coverage figures (crm.services.coverage.kept): period keys, item and member ids,
    # kinds, country codes and size classes, no text (an erased person still counts).
    "coverage_figures": ("period_key", "axis", "value"),
    "coverage_records": ("month_key", "snapshot"),
    "coverage_reach": ("member_type", "month_key", "kind", "country", "size"),
    "coverage_indirect": ("period_key", "kind", "country", "size"),
    # Tags that name the person are renamed or dropped by ``_erase_tags``.
    "tags": ("name",),
    # The outbox and the scheduler: ids, dates, host names and process ids, time zone names.
    "reminders": ("key", "claimed_by", "message_id"),
    "scheduler_runs": ("job", "runner"),
    "follow_ups": ("due_zone",),
    # Keyed hashes: what erasure leaves so that erased people are recognised.
    "erased_email_hashes": ("email_hash",),
}
# Fields of the person whose values are personal data wherever the audit log recorded them.
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "name_normalised",
        "sort_name",
        "full_name",
        "email",
        "email_normalised",
        "phone",
        "notes",
        "lawful_basis_source",
    }
)


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
    """The erased person who had this e-mail (now or before), if any: adding them again must
    be a decision (a new lawful basis), never an accident of an import or a form."""
    if not email or not email.strip() or not key:
        return None
    digest = erasure_hash(email, key)
    return db.session.scalars(
        sa.select(Person)
        .join(ErasedEmailHash, ErasedEmailHash.person_id == Person.id)
        .where(ErasedEmailHash.email_hash == digest)
        .order_by(Person.erased_at.desc(), Person.id)
        .limit(1)
    ).first()


# --- Who the person was ----------------------------------------------------------------------


@dataclass
class Identity:
    """Every name, e-mail and phone one record ever had, from its fields and its audit history."""

    full_names: set[tuple[str, str]] = field(default_factory=set)
    lone_names: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    def add_name(self, first: str | None, last: str | None) -> None:
        first, last = " ".join((first or "").split()), " ".join((last or "").split())
        if first and last:
            self.full_names.add((first, last))
        elif first or last:
            self.lone_names.add(first or last)

    def everywhere(self) -> list[str]:
        """Needles for free text anywhere: whole names and identifiers."""
        needles = [*self.emails]
        for first, last in self.full_names:
            needles += name_forms(first, last)
            needles += name_forms(normalise_text(first), normalise_text(last))
        for phone in self.phones:
            needles += phone_forms(phone)
        return needles

    def about_them(self) -> list[str]:
        """Needles for text about the person: also every part of every name they had."""
        parts = set(self.lone_names)
        for first, last in self.full_names:
            parts.update(first.split() + last.split())
        parts.update(normalise_text(p) for p in list(parts))
        return self.everywhere() + sorted(p for p in parts if p)


def _identity(person: Person) -> Identity:
    """Walk the audit history back from today's values: each change of a name field gives the
    name the record had before it (renames are recorded as ``{field: [old, new]}``)."""
    identity = Identity()
    first, last = person.first_name, person.last_name
    identity.add_name(first, last)
    for value in (person.email_normalised, person.email):
        if value:
            identity.emails.add(value.strip().lower())
    if person.phone:
        identity.phones.add(person.phone)
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.entity_type == "person", AuditEntry.entity_id == person.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    for entry in entries:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        for name in ("email", "email_normalised"):
            for value in _pair(changes.get(name)):
                identity.emails.add(value.strip().lower())
        for value in _pair(changes.get("phone")):
            identity.phones.add(value)
        for value in _pair(changes.get("full_name")):
            identity.lone_names.add(value)
        if entry.action == "create":
            continue  # nothing before the record was created
        old_first, old_last = changes.get("first_name"), changes.get("last_name")
        if old_first is None and old_last is None:
            continue
        if isinstance(old_first, list) and old_first:
            first = old_first[0] if isinstance(old_first[0], str) else ""
        if isinstance(old_last, list) and old_last:
            last = old_last[0] if isinstance(old_last[0], str) else ""
        identity.add_name(first, last)
    return identity


def _pair(value: object) -> list[str]:
    """The non-empty strings of an audited ``[old, new]``."""
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v.strip() and v != ERASED]


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
                AuditEntry.action == AuditAction.MERGE,
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


# --- Rewriting rows --------------------------------------------------------------------------


def _rewrite(
    table: sa.Table,
    columns: tuple[str, ...],
    scrubber: Scrubber,
    where: sa.ColumnElement[bool] | None = None,
    contact: bool = False,
) -> list[Any]:
    """Scrub the columns of the rows that hold a needle; returns the ids of the rows changed.

    Candidates are found in SQL (a LIKE per spelling of each needle's longest word, or every
    row of ``where``), the replacement is done here, where case folding is Unicode-aware on
    both databases. Rows are written with Core UPDATEs (consent records are append-only for
    the ORM; erasure is the one exception the law makes); a versioned record gets its
    version bumped, so a form opened before the erasure cannot save the old text back.
    ``contact``: a value that is one needle and nothing else becomes NULL.
    """
    if not scrubber:
        return []
    cols = [table.c[name] for name in columns]
    conditions = []
    for column in cols:
        is_json = isinstance(column.type, sa.JSON)
        lowered = sa.func.lower(sa.cast(column, sa.Text) if is_json else column)
        for variant in scrubber.like_variants(is_json):
            conditions.append(lowered.contains(variant, autoescape=True))
    query = sa.select(table.c.id, *cols).where(sa.or_(*conditions))
    if where is not None:
        query = query.where(where)
    changed = []
    for row in db.session.execute(query).all():
        values: dict[str, Any] = {}
        for column in cols:
            old = row._mapping[column]
            if old is None:
                continue
            if isinstance(column.type, sa.JSON):
                new = scrubber.json(old)
            elif contact:
                new = None if scrubber.whole(old) else old
            else:
                new = scrubber.text(old)
            if new != old:
                values[column.name] = new
        if not values:
            continue
        if "version" in table.c:
            values["version"] = table.c.version + 1
        db.session.execute(sa.update(table).where(table.c.id == row.id).values(values))
        changed.append(row.id)
    return changed


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


def _erase_audit_about(ids: list[int], scrubber: Scrubber) -> None:
    log = table_of(AuditEntry)
    entries = db.session.execute(
        sa.select(log.c.id, log.c.changes, log.c.summary).where(
            log.c.entity_type == "person", log.c.entity_id.in_(ids)
        )
    ).all()
    for entry_id, changes, summary in entries:
        new_changes = scrubber.json(_redact_personal_fields(changes or {}))
        new_summary = scrubber.text(summary or "")
        if (new_changes, new_summary) != (changes, summary):
            db.session.execute(
                sa.update(log)
                .where(log.c.id == entry_id)
                .values(changes=new_changes, summary=new_summary)
            )


def _erase_own_rows(ids: list[int], scrubber: Scrubber) -> None:
    """Rows that belong to the person: every name part they had goes, not only whole names."""
    follow_ups = sa.select(FollowUp.id).where(FollowUp.person_id.in_(ids))
    own = [
        (table_of(ConsentRecord), ("source",), ConsentRecord.person_id.in_(ids)),
        (table_of(FollowUp), ("title", "notes"), FollowUp.person_id.in_(ids)),
        (table_of(Reminder), ("last_error",), Reminder.follow_up_id.in_(follow_ups)),
        (table_of(Position), ("title",), Position.person_id.in_(ids)),
    ]
    for table, columns, where in own:
        _rewrite(table, columns, scrubber, where)
    _erase_audit_about(ids, scrubber)


def _erase_tags(scrubber: Scrubber) -> None:
    """Tags that name the person: a tag that was only the name goes, others are renamed, and
    one whose new name is taken joins the tag of that name (tag names are unique)."""
    variants = scrubber.like_variants(json_text=False)
    candidates = db.session.scalars(
        sa.select(Tag).where(
            sa.or_(*(sa.func.lower(Tag.name).contains(v, autoescape=True) for v in variants))
        )
    ).all()
    naming = [t for t in candidates if scrubber.names(t.name)]
    if not naming:
        return
    ids = [t.id for t in naming]
    taken = {
        name: tag_id
        for tag_id, name in db.session.execute(
            sa.select(Tag.id, Tag.name).where(Tag.id.not_in(ids))
        ).all()
    }
    for tag in naming:
        new_name = " ".join(scrubber.text(tag.name).split())
        if new_name in ("", ERASED):
            db.session.execute(sa.delete(table_of(Tag)).where(Tag.id == tag.id))
        elif new_name in taken:
            for links, key in ((organisation_tags, "organisation_id"), (person_tags, "person_id")):
                already = sa.select(links.c[key]).where(links.c.tag_id == taken[new_name])
                db.session.execute(
                    sa.update(links)
                    .where(links.c.tag_id == tag.id, links.c[key].not_in(already))
                    .values(tag_id=taken[new_name])
                )
            db.session.execute(sa.delete(table_of(Tag)).where(Tag.id == tag.id))
        else:
            db.session.execute(
                sa.update(table_of(Tag)).where(Tag.id == tag.id).values(name=new_name)
            )
            taken[new_name] = tag.id


def _anonymise(person: Person, identity: Identity, key: bytes) -> None:
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
    for digest in sorted({erasure_hash(email, key) for email in identity.emails}):
        db.session.add(ErasedEmailHash(person_id=person.id, email_hash=digest))


def erase_person(person: Person, actor: User, key: bytes) -> None:
    """Anonymise a person (GDPR art. 17) so that counts in reports survive.

    Their positions, outreach links, event participations, consents and follow-ups stay, so
    that coverage counts do not change; what goes is described in this module's docstring.
    Duplicate records merged into the person are erased with them. Erasure is whole or not
    at all: if the database refuses any part, nothing is changed and a ValidationError says so.
    """
    if person.erased_at is not None:
        raise ValidationError("this person has already been erased")
    if not key:
        raise ValidationError("no erasure key is configured", field="key")
    try:
        with db.session.begin_nested():
            _erase(person, actor, key)
    except sa.exc.DBAPIError as error:
        db.session.expire_all()
        reason = str(error.orig).strip().splitlines()[0][:200] if error.orig else "refused"
        raise ValidationError(
            f"the database refused the erasure ({reason}); nothing was changed"
        ) from error


def _erase(person: Person, actor: User, key: bytes) -> None:
    records = [person, *_merged_into(person)]
    identities = {record.id: _identity(record) for record in records}
    everywhere: list[str] = []
    about_them: list[str] = []
    for identity in identities.values():
        everywhere += identity.everywhere()
        about_them += identity.about_them()
    ids = [record.id for record in records]
    for record in records:
        _anonymise(record, identities[record.id], key)
    db.session.flush()

    _erase_own_rows(ids, Scrubber(about_them))
    scrubber = Scrubber(everywhere)
    for table_name, columns in FREE_TEXT.items():
        _rewrite(Base.metadata.tables[table_name], columns, scrubber)
    changed_organisations = set()
    for table_name, columns in CONTACT_FIELDS.items():
        changed = _rewrite(Base.metadata.tables[table_name], columns, scrubber, contact=True)
        if table_name == "organisations":
            changed_organisations.update(changed)
    _erase_tags(scrubber)
    db.session.expire_all()  # the Core UPDATEs bypassed the objects the session holds
    # An organisation that gave the person's e-mail as its own is found by its words no more.
    search_sync.mark_changed(Organisation, changed_organisations)

    for record in records:
        changes: dict[str, Any] = {"erased_at": [None, iso_utc(record.erased_at)]}  # type: ignore[arg-type]
        if record is person and len(records) > 1:
            changes["merged_records"] = [None, sorted(r.id for r in records[1:])]
        summary = f"erased person #{record.id}: personal data anonymised"
        if record is not person:
            summary += f" with person #{person.id}, into which it had been merged"
        audit.record(AuditAction.ERASE, "person", record.id, actor, changes, summary=summary)
    db.session.flush()
