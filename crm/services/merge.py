"""Duplicates over the whole register, and merging two records into one.

A merge keeps everything both records had: the survivor takes over the other's positions,
outreach, events, follow-ups, consents, links and tags, fills its own empty fields from the
other, and the other record is soft-deleted (an admin can still look at it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    AuditAction,
    ConsentRecord,
    Event,
    EventParticipant,
    FollowUp,
    Organisation,
    OrganisationLink,
    Outreach,
    OutreachPerson,
    Person,
    Position,
    User,
    organisation_tags,
    outreach_organisations,
    outreach_people,
    person_tags,
    utcnow,
)
from crm.models.base import rows_matched, table_of
from crm.models.register import DuplicateDecision, DuplicateKind
from crm.services import audit, register, search_sync
from crm.services.errors import ValidationError
from crm.services.records import get_record, get_records, refuse_erased
from crm.services.register import organisation_key

PERSON_FILL = (
    "email",
    "email_normalised",
    "phone",
    "country_code",
    "language_code",
    "responsible_officer_id",
)
ORGANISATION_FILL = (
    "acronym",
    "city",
    "website",
    "email",
    "phone",
    "language_code",
    "headcount",
    "turnover_eur",
    "size_class",
    "value_chain_role",
    "policy_body_type",
    "policy_level",
    "other_category",
    "responsible_officer_id",
)


PAGE_SIZE = 50  # pairs per page of the duplicates list
MAX_CHAIN = 100  # merges followed from a merged record to the one that holds it now


@dataclass
class Pair:
    first: Person | Organisation
    second: Person | Organisation
    reason: str


@dataclass
class PairPage:
    """One page of likely duplicate pairs, in a stable order (by name, then ids)."""

    pairs: list[Pair]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _decided(kind: DuplicateKind) -> set[tuple[int, int]]:
    """Pairs a user marked "not a duplicate", in id order."""
    rows = db.session.execute(
        sa.select(DuplicateDecision.first_id, DuplicateDecision.second_id).where(
            DuplicateDecision.kind == kind
        )
    )
    return {(first, second) for first, second in rows}


def _page_of(
    model: type[Person] | type[Organisation],
    found: list[tuple[str, int, int, str]],
    page: int,
    per_page: int,
) -> PairPage:
    """Load the records of one page of ``(sort key, first id, second id, reason)``."""
    found.sort()
    chosen = found[(page - 1) * per_page : page * per_page]
    ids = {i for _, first, second, _ in chosen for i in (first, second)}
    loaded = {r.id: r for r in get_records(model, ids)}
    pairs = [Pair(loaded[first], loaded[second], why) for _, first, second, why in chosen]
    return PairPage(pairs, page, per_page, len(found))


def duplicate_people(page: int = 1, per_page: int = PAGE_SIZE) -> PairPage:
    """Live people the register's rule (``register.likely_same_person``) pairs, less the
    pairs marked "not a duplicate".

    Candidates are people of the same normalised name (the same country) and people at the
    same organisation (alike names); the rule decides. Live people never share an e-mail.
    """
    live = sa.and_(Person.deleted_at.is_(None), Person.erased_at.is_(None))
    names = (
        sa.select(Person.name_normalised)
        .where(live, Person.name_normalised != "")
        .group_by(Person.name_normalised)
        .having(sa.func.count() > 1)
    )
    candidates: set[tuple[int, int]] = set()
    by_name: dict[str, list[int]] = defaultdict(list)
    for person_id, name in db.session.execute(
        sa.select(Person.id, Person.name_normalised).where(live, Person.name_normalised.in_(names))
    ):
        by_name[name].append(person_id)
    colleagues: dict[int, list[tuple[int, str]]] = defaultdict(list)
    shared = (
        sa.select(Position.organisation_id)
        .join(Person, Person.id == Position.person_id)
        .where(live)
        .group_by(Position.organisation_id)
        .having(sa.func.count(sa.distinct(Position.person_id)) > 1)
    )
    for organisation_id, person_id, name in db.session.execute(
        sa.select(Position.organisation_id, Position.person_id, Person.name_normalised)
        .join(Person, Person.id == Position.person_id)
        .where(live, Position.organisation_id.in_(shared), Person.name_normalised != "")
        .distinct()
    ):
        colleagues[organisation_id].append((person_id, name))
    for group in by_name.values():
        group.sort()
        candidates.update((a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    for people in colleagues.values():
        # Only colleagues whose names are alike can be paired: the rule's costly part is
        # done here, on the names alone, before the facts of the candidates are loaded.
        people.sort()
        for i, (first, first_name) in enumerate(people):
            for second, second_name in people[i + 1 :]:
                if register.names_alike(first_name, second_name):
                    candidates.add((first, second))
    facts = register.people_facts({i for pair in candidates for i in pair})
    decided = _decided(DuplicateKind.PERSON)
    found: list[tuple[str, int, int, str]] = []
    for first, second in candidates - decided:
        why = register.likely_same_person(facts[first], facts[second])
        if why:
            found.append((facts[first].name, first, second, why))
    return _page_of(Person, found, page, per_page)


def duplicate_organisations(page: int = 1, per_page: int = PAGE_SIZE) -> PairPage:
    """Live organisations the register's rule (``register.likely_same_organisation``)
    pairs, less the pairs marked "not a duplicate"."""
    # Each organisation's facts with its id as read (the facts' own id may be None).
    groups: dict[tuple[str, str], list[tuple[int, register.OrganisationFacts]]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.country_code)
        .where(Organisation.deleted_at.is_(None))
        .order_by(Organisation.id)
    )
    for organisation_id, name, country in rows:
        facts = register.OrganisationFacts(organisation_id, organisation_key(name), country)
        groups[(country, facts.key)].append((organisation_id, facts))
    decided = _decided(DuplicateKind.ORGANISATION)
    found: list[tuple[str, int, int, str]] = []
    for (_country, key), group in groups.items():
        for i, (first_id, first) in enumerate(group):
            for second_id, second in group[i + 1 :]:
                why = register.likely_same_organisation(first, second)
                if why and (first_id, second_id) not in decided:
                    found.append((key, first_id, second_id, why))
    return _page_of(Organisation, found, page, per_page)


def mark_not_duplicate(
    first: Person | Organisation, second: Person | Organisation, actor: User
) -> DuplicateDecision:
    """Record that two records are different stakeholders: the pair is not listed again."""
    if type(first) is not type(second):
        raise ValidationError("a person and an organisation cannot be duplicates")
    if first.id == second.id:
        raise ValidationError("a record cannot be a duplicate of itself")
    for record in (first, second):
        refuse_erased(record)
    kind = DuplicateKind.PERSON if isinstance(first, Person) else DuplicateKind.ORGANISATION
    low, high = sorted((first.id, second.id))
    if (low, high) in _decided(kind):
        raise ValidationError(f"#{low} and #{high} are already marked as not a duplicate")
    decision = DuplicateDecision(kind=kind, first_id=low, second_id=high, decided_by_id=actor.id)
    db.session.add(decision)
    summary = f"{kind.value} #{low} and #{high} marked as not a duplicate"
    for record, other in ((first, second), (second, first)):
        audit.record(
            AuditAction.NOT_DUPLICATE,
            kind.value,
            record.id,
            actor,
            {"not_duplicate_of": [None, other.id]},
            summary,
        )
    db.session.flush()
    return decision


def merged_survivor(record: Person | Organisation) -> Person | Organisation:
    """The record a merged record's content lives in now, following merges of merges."""
    model = type(record)
    seen = {record.id}
    current = record
    while current.merged_into_id is not None and len(seen) <= MAX_CHAIN:
        following = get_record(model, current.merged_into_id)
        if following is None or following.id in seen:
            break
        seen.add(following.id)
        current = following
    return current


@dataclass
class Comparison:
    """Two records side by side before a merge: what each holds."""

    first: Person | Organisation
    second: Person | Organisation
    counts: list[tuple[str, int, int]]


def _count(column: Any, record_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(column.table).where(column == record_id)
        )
        or 0
    )


def compare(first: Person | Organisation, second: Person | Organisation) -> Comparison:
    """What a merge of the two would bring together, counted per record."""
    if isinstance(first, Person):
        columns = [
            ("Positions", table_of(Position).c.person_id),
            ("Outreach", outreach_people.c.person_id),
            ("Events", table_of(EventParticipant).c.person_id),
            ("Follow-ups", table_of(FollowUp).c.person_id),
            ("Consent records", table_of(ConsentRecord).c.person_id),
        ]
    else:
        columns = [
            ("People with positions", table_of(Position).c.organisation_id),
            ("Outreach", outreach_organisations.c.organisation_id),
            ("Outreach its people counted for", outreach_people.c.organisation_id),
            ("Events", table_of(EventParticipant).c.organisation_id),
            ("Events organised", table_of(Event).c.organiser_organisation_id),
            ("Follow-ups", table_of(FollowUp).c.organisation_id),
            ("Links", table_of(OrganisationLink).c.source_id),
        ]
    counts = [(label, _count(c, first.id), _count(c, second.id)) for label, c in columns]
    return Comparison(first, second, counts)


def _check_pair(survivor: Person | Organisation, other: Person | Organisation) -> None:
    if survivor.id == other.id:
        raise ValidationError("a record cannot be merged with itself")
    for record in (survivor, other):
        if record.deleted_at is not None:
            raise ValidationError(f"#{record.id} is deleted; restore it before merging")
    for record in (survivor, other):
        refuse_erased(record)


def _repoint(column: Any, other_id: int, survivor_id: int) -> int:
    """Point every row whose ``column`` names the other record at the survivor; how many.

    ``column`` is a model attribute (an ORM UPDATE, which also updates loaded objects) or a
    table column (a Core UPDATE, which the append-only guards of the ORM do not see)."""
    target = getattr(column, "class_", None) or column.table
    update = sa.update(target).where(column == other_id).values({column.key: survivor_id})
    return rows_matched(db.session.execute(update))


def _move_links(table: sa.Table, column: str, other_id: int, survivor_id: int, key: str) -> int:
    """Point ``table.column`` rows from other to survivor, dropping rows the survivor has."""
    col, key_col = table.c[column], table.c[key]
    already = sa.select(key_col).where(col == survivor_id)
    db.session.execute(sa.delete(table).where(col == other_id, key_col.in_(already)))
    return _repoint(col, other_id, survivor_id)


def _forget_outreach_people() -> None:
    """Drop the session's copies of outreach_people rows after a Core UPDATE moved them:
    a row's key is (outreach, person), so a loaded copy of a moved row would name a row that
    no longer exists. The records' lists load afresh when next read."""
    session = db.session()
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, OutreachPerson):
            session.expunge(loaded)
        elif isinstance(loaded, Outreach):
            session.expire(loaded, ["person_links", "people"])


def _fill(survivor: object, other: object, fields: tuple[str, ...]) -> dict[str, list[object]]:
    filled: dict[str, list[object]] = {}
    for field in fields:
        if getattr(survivor, field) in (None, "") and getattr(other, field) not in (None, ""):
            value = getattr(other, field)
            filled[field] = [None, str(value)]
            setattr(survivor, field, value)
    return filled


def merge_people(survivor: Person, other: Person, actor: User) -> dict[str, int]:
    """Merge ``other`` into ``survivor``; returns how many rows of each kind moved."""
    _check_pair(survivor, other)
    moved = {
        "outreach": _move_links(outreach_people, "person_id", other.id, survivor.id, "outreach_id"),
        "tags": _move_links(person_tags, "person_id", other.id, survivor.id, "tag_id"),
        "event participations": _move_links(
            table_of(EventParticipant), "person_id", other.id, survivor.id, "event_id"
        ),
    }
    # Positions: keep both histories, except exact repeats of one the survivor has.
    moved["positions"] = 0
    for position in list(other.positions):
        same = any(
            p.organisation_id == position.organisation_id
            and p.role == position.role
            and p.starts_on == position.starts_on
            for p in survivor.positions
        )
        if same:
            db.session.delete(position)
        else:
            position.person_id = survivor.id
            moved["positions"] += 1
    _forget_outreach_people()
    moved["follow-ups"] = _repoint(FollowUp.person_id, other.id, survivor.id)
    # Consent records are append-only, but they belong to the person, not to the duplicate
    # record: re-pointing them (a Core UPDATE; the ORM guard refuses edits) keeps every one.
    moved["consent records"] = _repoint(table_of(ConsentRecord).c.person_id, other.id, survivor.id)
    other.deleted_at = utcnow()
    other.merged_into_id = survivor.id
    db.session.flush()  # the other's e-mail is free for the survivor only once it is deleted
    filled = _fill(survivor, other, PERSON_FILL)
    if survivor.notes != other.notes and other.notes:
        survivor.notes = "\n\n".join(n for n in (survivor.notes, other.notes) if n)
    db.session.flush()
    db.session.expire(survivor, ["positions", "tags"])
    summary = f"merged person #{other.id} into #{survivor.id}"
    audit.record(
        AuditAction.MERGE,
        "person",
        survivor.id,
        actor,
        {"merged_from": [None, other.id], **filled, "moved": [None, moved]},
        summary,
    )
    audit.record(
        AuditAction.MERGED_INTO,
        "person",
        other.id,
        actor,
        {"merged_into": [None, survivor.id]},
        summary,
    )
    return moved


def merge_organisations(survivor: Organisation, other: Organisation, actor: User) -> dict[str, int]:
    _check_pair(survivor, other)
    moved = {
        "outreach": _move_links(
            outreach_organisations, "organisation_id", other.id, survivor.id, "outreach_id"
        ),
        "tags": _move_links(organisation_tags, "organisation_id", other.id, survivor.id, "tag_id"),
        # People reached for the other organisation now count for the survivor (an ORM
        # UPDATE: loaded rows follow).
        "people's outreach": _repoint(OutreachPerson.organisation_id, other.id, survivor.id),
        "positions": _repoint(Position.organisation_id, other.id, survivor.id),
        "follow-ups": _repoint(FollowUp.organisation_id, other.id, survivor.id),
        "events organised": _repoint(Event.organiser_organisation_id, other.id, survivor.id),
    }
    # Participations of the organisation on its own (no person): one per event.
    participants = table_of(EventParticipant)
    taken = sa.select(participants.c.event_id).where(
        participants.c.organisation_id == survivor.id, participants.c.person_id.is_(None)
    )
    db.session.execute(
        sa.delete(participants).where(
            participants.c.organisation_id == other.id,
            participants.c.person_id.is_(None),
            participants.c.event_id.in_(taken),
        )
    )
    moved["event participations"] = _repoint(participants.c.organisation_id, other.id, survivor.id)
    # Links: re-point both ends, then drop links to itself and exact repeats.
    links = table_of(OrganisationLink)
    pair = {survivor.id, other.id}
    db.session.execute(
        sa.delete(links).where(links.c.source_id.in_(pair), links.c.target_id.in_(pair))
    )
    for end in (links.c.source_id, links.c.target_id):
        _repoint(end, other.id, survivor.id)
    seen: set[tuple[int, int, str]] = set()
    for link in db.session.scalars(
        sa.select(OrganisationLink)
        .where(
            sa.or_(
                OrganisationLink.source_id == survivor.id, OrganisationLink.target_id == survivor.id
            )
        )
        .order_by(OrganisationLink.id)
    ):
        key = (link.source_id, link.target_id, link.link_type.value)
        if key in seen:
            db.session.delete(link)
        seen.add(key)
    filled = _fill(survivor, other, ORGANISATION_FILL)
    other.deleted_at = utcnow()
    other.merged_into_id = survivor.id
    db.session.flush()
    # The positions moved by a Core UPDATE: its people, with those who came from the other.
    search_sync.mark_changed(Organisation, [survivor.id])
    db.session.expire(survivor)
    summary = f"merged organisation #{other.id} into #{survivor.id}"
    audit.record(
        AuditAction.MERGE,
        "organisation",
        survivor.id,
        actor,
        {"merged_from": [None, other.id], **filled, "moved": [None, moved]},
        summary,
    )
    audit.record(
        AuditAction.MERGED_INTO,
        "organisation",
        other.id,
        actor,
        {"merged_into": [None, survivor.id]},
        summary,
    )
    return moved
