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
    ConsentRecord,
    Event,
    EventParticipant,
    FollowUp,
    Organisation,
    OrganisationLink,
    Person,
    Position,
    User,
    organisation_tags,
    outreach_organisations,
    outreach_people,
    person_tags,
    utcnow,
)
from crm.services import audit, search_sync
from crm.services.errors import ValidationError
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


@dataclass
class Pair:
    first: Person | Organisation
    second: Person | Organisation
    reason: str


def duplicate_people(limit: int = 200) -> list[Pair]:
    """Live people with the same normalised name who share an organisation or a country."""
    names = (
        sa.select(Person.name_normalised)
        .where(
            Person.deleted_at.is_(None), Person.erased_at.is_(None), Person.name_normalised != ""
        )
        .group_by(Person.name_normalised)
        .having(sa.func.count() > 1)
        .limit(limit)
    )
    people = db.session.scalars(
        sa.select(Person)
        .where(Person.name_normalised.in_(names), Person.deleted_at.is_(None))
        .order_by(Person.name_normalised, Person.id)
    ).all()
    organisations: dict[int, set[int]] = defaultdict(set)
    for person_id, organisation_id in db.session.execute(
        sa.select(Position.person_id, Position.organisation_id).where(
            Position.person_id.in_([p.id for p in people])
        )
    ):
        organisations[person_id].add(organisation_id)
    pairs = []
    by_name: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        by_name[person.name_normalised].append(person)
    for group in by_name.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if organisations[first.id] & organisations[second.id]:
                    pairs.append(Pair(first, second, "same name at the same organisation"))
                elif first.country_code and first.country_code == second.country_code:
                    pairs.append(Pair(first, second, "same name in the same country"))
    return pairs[:limit]


def duplicate_organisations(limit: int = 200) -> list[Pair]:
    """Live organisations in one country whose names differ only in case, accents,
    punctuation or legal form."""
    groups: dict[tuple[str, str], list[Organisation]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.country_code).where(
            Organisation.deleted_at.is_(None)
        )
    )
    for organisation_id, name, country in rows:
        groups[(country, organisation_key(name))].append(organisation_id)  # type: ignore[arg-type]
    ids = [group for group in groups.values() if len(group) > 1][:limit]
    loaded = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_([i for g in ids for i in g]))
        )
    }
    pairs = []
    for group in ids:
        first = loaded[group[0]]
        for other in group[1:]:
            pairs.append(Pair(first, loaded[other], "same name and country"))
    return pairs[:limit]


def _check_pair(survivor: Person | Organisation, other: Person | Organisation) -> None:
    if survivor.id == other.id:
        raise ValidationError("a record cannot be merged with itself")
    for record in (survivor, other):
        if record.deleted_at is not None:
            raise ValidationError(f"#{record.id} is deleted; restore it before merging")
    if isinstance(survivor, Person) and (survivor.erased_at or other.erased_at):  # type: ignore[union-attr]
        raise ValidationError("an erased person cannot be merged")


def _repoint(column: Any, other_id: int, survivor_id: int) -> int:
    """Point every row whose ``column`` names the other record at the survivor; how many.

    ``column`` is a model attribute (an ORM UPDATE, which also updates loaded objects) or a
    table column (a Core UPDATE, which the append-only guards of the ORM do not see)."""
    target = getattr(column, "class_", None) or column.table
    update = sa.update(target).where(column == other_id).values({column.key: survivor_id})
    return db.session.execute(update).rowcount or 0


def _move_links(table: sa.Table, column: str, other_id: int, survivor_id: int, key: str) -> int:
    """Point ``table.column`` rows from other to survivor, dropping rows the survivor has."""
    col, key_col = table.c[column], table.c[key]
    already = sa.select(key_col).where(col == survivor_id)
    db.session.execute(sa.delete(table).where(col == other_id, key_col.in_(already)))
    return _repoint(col, other_id, survivor_id)


def _fill(survivor: object, other: object, fields: tuple[str, ...]) -> dict[str, list[object]]:
    filled = {}
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
            EventParticipant.__table__, "person_id", other.id, survivor.id, "event_id"
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
    moved["follow-ups"] = _repoint(FollowUp.person_id, other.id, survivor.id)
    # Consent records are append-only, but they belong to the person, not to the duplicate
    # record: re-pointing them (a Core UPDATE; the ORM guard refuses edits) keeps every one.
    moved["consent records"] = _repoint(ConsentRecord.__table__.c.person_id, other.id, survivor.id)
    other.deleted_at = utcnow()
    db.session.flush()  # the other's e-mail is free for the survivor only once it is deleted
    filled = _fill(survivor, other, PERSON_FILL)
    if survivor.notes != other.notes and other.notes:
        survivor.notes = "\n\n".join(n for n in (survivor.notes, other.notes) if n)
    db.session.flush()
    db.session.expire(survivor, ["positions", "tags"])
    summary = f"merged person #{other.id} into #{survivor.id}"
    audit.record(
        "merge",
        "person",
        survivor.id,
        actor,
        {"merged_from": [None, other.id], **filled, "moved": [None, moved]},
        summary,
    )
    audit.record(
        "merged-into", "person", other.id, actor, {"merged_into": [None, survivor.id]}, summary
    )
    return moved


def merge_organisations(survivor: Organisation, other: Organisation, actor: User) -> dict[str, int]:
    _check_pair(survivor, other)
    moved = {
        "outreach": _move_links(
            outreach_organisations, "organisation_id", other.id, survivor.id, "outreach_id"
        ),
        "tags": _move_links(organisation_tags, "organisation_id", other.id, survivor.id, "tag_id"),
        "positions": _repoint(Position.organisation_id, other.id, survivor.id),
        "follow-ups": _repoint(FollowUp.organisation_id, other.id, survivor.id),
        "events organised": _repoint(Event.organiser_organisation_id, other.id, survivor.id),
    }
    # Participations of the organisation on its own (no person): one per event.
    participants = EventParticipant.__table__
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
    links = OrganisationLink.__table__
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
    db.session.flush()
    # The positions moved by a Core UPDATE: its people, with those who came from the other.
    search_sync.mark_changed(Organisation, [survivor.id])
    db.session.expire(survivor)
    summary = f"merged organisation #{other.id} into #{survivor.id}"
    audit.record(
        "merge",
        "organisation",
        survivor.id,
        actor,
        {"merged_from": [None, other.id], **filled, "moved": [None, moved]},
        summary,
    )
    audit.record(
        "merged-into",
        "organisation",
        other.id,
        actor,
        {"merged_into": [None, survivor.id]},
        summary,
    )
    return moved
