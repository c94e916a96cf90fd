"""The rules of every outreach write: logging, editing, deleting and restoring a record.

Every caller (the form, the quick-log panel, an import, an API) passes through here, so the
rules hold whatever the way in: at least one leaf sub-item, at least one person or
organisation, nothing deleted, erased or merged away added, no date more than a day ahead.
Each person reached is stored with the organisation they counted for on the day, so a later
change of job does not rewrite the history of coverage.

What is already on a record may stay on it when the record is edited, even if it could not be
added now (an erased person, a retired material, a person or event deleted since): editing
the subject must not force anyone to rewrite the past.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.clock import local_date
from crm.extensions import db
from crm.models import (
    AuditAction,
    Channel,
    CommitmentItem,
    Direction,
    Event,
    Material,
    Organisation,
    Outcome,
    Outreach,
    OutreachPerson,
    Person,
    Position,
    User,
    utcnow,
)
from crm.permissions import can
from crm.services import audit
from crm.services.checks import MAX_ID, clean_enum, clean_int, clean_text
from crm.services.errors import ValidationError
from crm.services.merge import merged_survivor
from crm.services.versioning import check_version

MAX_PEOPLE = 100  # people in one record (a mailing to more is logged per list/organisation)
MAX_ORGANISATIONS = 50
MAX_MATERIALS = 20
MAX_SUBITEMS = 50  # more than any framework has leaves: a bound on the work, not a rule
FUTURE_TOLERANCE = timedelta(days=1)  # no date more than a day ahead
EARLIEST = date(2000, 1, 1)  # older than the programme by far: a mistyped year
SUBJECT_LIMIT = 300
NOTES_LIMIT = 10_000

# The keys of ``data``, in the order the form shows them (and the checks run).
FIELDS = (
    "occurred_at",
    "channel",
    "direction",
    "subject",
    "outcome",
    "notes",
    "event_id",
    "person_ids",
    "organisation_ids",
    "subitem_ids",
    "material_ids",
)
# How the audit log and the timeline's change table name each field.
AUDIT_NAMES = {
    "event_id": "event",
    "person_ids": "people",
    "organisation_ids": "organisations",
    "subitem_ids": "subitems",
    "material_ids": "materials",
}
ERASED_PERSON = "an erased person"


@dataclass
class _Kept:
    """What the record already has: it may stay even where it could not be added now."""

    person_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()
    material_ids: frozenset[int] = frozenset()
    event_id: int | None = None

    @classmethod
    def of(cls, record: Outreach) -> _Kept:
        return cls(
            frozenset(link.person_id for link in record.person_links),
            frozenset(o.id for o in record.organisations),
            frozenset(m.id for m in record.materials),
            record.event_id,
        )


@dataclass
class _Values:
    """A record's fields after every check, with the linked rows loaded."""

    occurred_at: datetime
    channel: Channel
    direction: Direction
    subject: str
    outcome: Outcome | None
    notes: str
    event: Event | None
    people: list[Person]
    organisations: list[Organisation]
    subitems: list[CommitmentItem]
    materials: list[Material]

    def shown(self) -> dict[str, object]:
        """The values by data key as people read them: names and codes, not ids."""
        return _shown(
            self.occurred_at,
            self.channel,
            self.direction,
            self.subject,
            self.outcome,
            self.notes,
            self.event,
            self.people,
            self.organisations,
            self.subitems,
            self.materials,
        )


def _shown(
    occurred_at: datetime,
    channel: Channel,
    direction: Direction,
    subject: str,
    outcome: Outcome | None,
    notes: str,
    event: Event | None,
    people: Iterable[Person],
    organisations: Iterable[Organisation],
    subitems: Iterable[CommitmentItem],
    materials: Iterable[Material],
) -> dict[str, object]:
    return {
        "occurred_at": occurred_at,
        "channel": channel,
        "direction": direction,
        "subject": subject,
        "outcome": outcome,
        "notes": notes,
        "event_id": event.title if event is not None else None,
        "person_ids": sorted(person_name(p) for p in people),
        "organisation_ids": sorted(o.name for o in organisations),
        "subitem_ids": sorted(s.code for s in subitems),
        "material_ids": sorted(m.title for m in materials),
    }


def stored_values(record: Outreach) -> dict[str, object]:
    """A record's values by data key as people read them (names and codes, not ids): what a
    conflict shows beside the user's own."""
    return _shown(
        record.occurred_at,
        record.channel,
        record.direction,
        record.subject,
        record.outcome,
        record.notes,
        record.event,
        [link.person for link in record.person_links],
        record.organisations,
        record.subitems,
        record.materials,
    )


def person_name(person: Person) -> str:
    """How a message or the audit names a person; an erased one has no name left."""
    if person.erased_at is not None:
        return ERASED_PERSON
    return person.full_name or f"person #{person.id}"


# --- Who may change what ---------------------------------------------------------------------


def may_change(user: User, record: Outreach) -> bool:
    """Coordinators and admins change any outreach; officers and organisers their own."""
    if can(user, "outreach.change_any"):
        return True
    return (
        can(user, "outreach.log")
        and record.logged_by_id is not None
        and record.logged_by_id == getattr(user, "id", None)
    )


def _require(allowed: bool, what: str) -> None:
    """A guard behind the views' own checks (which answer 403 first): a caller that forgot
    them gets an error, not a silent write."""
    if not allowed:
        raise PermissionError(f"this account may not {what}")


# --- Field checks ----------------------------------------------------------------------------


def _clean_moment(value: object, now: datetime) -> datetime:
    field = "occurred_at"
    if value in (None, ""):
        raise ValidationError("give the date and time of the outreach", field=field)
    if not isinstance(value, datetime):
        raise ValidationError("expected a date and time", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("the time has no time zone; give it with one", field=field)
    moment = value.astimezone(UTC)
    if moment > now + FUTURE_TOLERANCE:
        raise ValidationError(
            f"{local_date(moment):%d %B %Y} is more than a day ahead: "
            "log outreach once it has happened",
            field=field,
        )
    if local_date(moment) < EARLIEST:
        raise ValidationError(
            f"{local_date(moment).year} is before {EARLIEST.year}: check the year", field=field
        )
    return moment


def _clean_ids(
    data: Mapping[str, Any], field: str, limit: int, what: str, hint: str = ""
) -> list[int]:
    """Distinct ids in the order given; empty entries are skipped, anything else refused."""
    raw = data.get(field)
    if raw is None:
        return []
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        raise ValidationError("expected a list of ids", field=field)
    ids: list[int] = []
    for value in raw:
        number = clean_int(value, field, 1, MAX_ID)
        if number is not None and number not in ids:
            ids.append(number)
            if len(ids) > limit:
                break
    if len(ids) > limit:
        raise ValidationError(f"at most {limit} {what} in one record{hint}", field=field)
    return ids


def refuse_gone(
    record: Person | Organisation,
    field: str,
    *,
    erased: str = "cannot be added to outreach",
    deleted: str = "remove them from this outreach",
) -> None:
    """An erased, merged-away or deleted person or organisation cannot be added (to outreach,
    to a follow-up: ``erased`` and ``deleted`` end the messages)."""
    if isinstance(record, Person) and record.erased_at is not None:
        raise ValidationError(f"person #{record.id} is {ERASED_PERSON} and {erased}", field=field)
    name = person_name(record) if isinstance(record, Person) else record.name
    if record.merged_into_id is not None:
        survivor = merged_survivor(record)
        into = person_name(survivor) if isinstance(survivor, Person) else survivor.name
        raise ValidationError(
            f"{name} was merged into {into} (#{survivor.id}) while the form was open; "
            f"choose {into} instead",
            field=field,
        )
    if record.deleted_at is not None:
        raise ValidationError(f"{name} was deleted while the form was open; {deleted}", field=field)


def _people(ids: list[int], kept: frozenset[int]) -> list[Person]:
    found = {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}
    for person_id in ids:
        person = found.get(person_id)
        if person is None:
            raise ValidationError(f"there is no person #{person_id}", field="person_ids")
        if person_id not in kept:
            refuse_gone(person, "person_ids")
    return [found[i] for i in ids]


def _organisations(ids: list[int], kept: frozenset[int]) -> list[Organisation]:
    found = {
        o.id: o for o in db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))
    }
    for organisation_id in ids:
        organisation = found.get(organisation_id)
        if organisation is None:
            raise ValidationError(
                f"there is no organisation #{organisation_id}", field="organisation_ids"
            )
        if organisation_id not in kept:
            refuse_gone(organisation, "organisation_ids")
    return [found[i] for i in ids]


def _either(codes: Sequence[str]) -> str:
    """ "1.3a, 1.3b or 1.3c"."""
    if len(codes) < 2:
        return "".join(codes)
    return f"{', '.join(codes[:-1])} or {codes[-1]}"


def _leaves(item: CommitmentItem) -> list[str]:
    """The codes of the sub-items below a commitment or an item, in the framework's order."""
    codes: list[str] = []
    for child in item.children:
        codes += _leaves(child) if child.children else [child.code]
    return codes


def _subitems(ids: list[int]) -> list[CommitmentItem]:
    if not ids:
        raise ValidationError(
            "choose at least one sub-item this outreach served", field="subitem_ids"
        )
    found = {
        item.id: item
        for item in db.session.scalars(
            sa.select(CommitmentItem)
            .where(CommitmentItem.id.in_(ids))
            .options(selectinload(CommitmentItem.children))
        )
    }
    for item_id in ids:
        item = found.get(item_id)
        if item is None:
            raise ValidationError(f"there is no sub-item #{item_id}", field="subitem_ids")
        if item.children:
            what = "a commitment" if item.parent_id is None else "an item"
            raise ValidationError(
                f"{item.code} is {what}, not a sub-item: choose {_either(_leaves(item))}",
                field="subitem_ids",
            )
    return [found[i] for i in ids]


def _materials(ids: list[int], kept: frozenset[int]) -> list[Material]:
    found = {m.id: m for m in db.session.scalars(sa.select(Material).where(Material.id.in_(ids)))}
    for material_id in ids:
        material = found.get(material_id)
        if material is None:
            raise ValidationError(f"there is no material #{material_id}", field="material_ids")
        if material.retired_at is not None and material_id not in kept:
            raise ValidationError(
                f"“{material.title}” was retired: it stays on the outreach that already had "
                "it, but is not added to more",
                field="material_ids",
            )
    return [found[i] for i in ids]


def _event(value: object, kept: int | None) -> Event | None:
    event_id = clean_int(value, "event_id", 1, MAX_ID)
    if event_id is None:
        return None
    event = db.session.get(Event, event_id)
    if event is None:
        raise ValidationError(f"there is no event #{event_id}", field="event_id")
    if event.deleted_at is not None and event_id != kept:
        raise ValidationError(
            f"the event “{event.title}” was deleted while the form was open", field="event_id"
        )
    return event


def _clean(data: Mapping[str, Any], kept: _Kept, now: datetime) -> _Values:
    """Every field checked, in the form's order; the first refusal names its field."""
    occurred_at = _clean_moment(data.get("occurred_at"), now)
    channel = clean_enum(Channel, data.get("channel"), "channel", required=True)
    direction = clean_enum(Direction, data.get("direction"), "direction", required=True)
    subject = clean_text(data.get("subject"), "subject", SUBJECT_LIMIT, required=True)
    outcome = clean_enum(Outcome, data.get("outcome"), "outcome")
    notes = clean_text(data.get("notes"), "notes", NOTES_LIMIT) or ""
    event = _event(data.get("event_id"), kept.event_id)
    person_ids = _clean_ids(
        data,
        "person_ids",
        MAX_PEOPLE,
        "people",
        "; log a mailing to more people once per list or organisation",
    )
    organisation_ids = _clean_ids(data, "organisation_ids", MAX_ORGANISATIONS, "organisations")
    people = _people(person_ids, kept.person_ids)
    organisations = _organisations(organisation_ids, kept.organisation_ids)
    if not people and not organisations:
        raise ValidationError(
            "name at least one person or organisation this outreach reached", field="person_ids"
        )
    subitems = _subitems(_clean_ids(data, "subitem_ids", MAX_SUBITEMS, "sub-items"))
    materials = _materials(
        _clean_ids(data, "material_ids", MAX_MATERIALS, "materials"), kept.material_ids
    )
    return _Values(
        occurred_at,
        channel,
        direction,
        subject,
        outcome,
        notes,
        event,
        people,
        organisations,
        subitems,
        materials,
    )


# --- The organisation a person counted for ---------------------------------------------------


def counted_organisations(
    person_ids: Collection[int], on: date, preferred: Collection[int] = ()
) -> dict[int, int | None]:
    """For each person, the live organisation where they held a position on ``on`` (a
    position starting or ending that day counts): one of ``preferred`` if they held one
    there (the first in its order), else the one whose position started last. None for a
    person who held no position that day."""
    found: dict[int, int | None] = dict.fromkeys(person_ids)
    if not found:
        return found
    rank = {organisation_id: n for n, organisation_id in enumerate(preferred)}
    held = db.session.execute(
        sa.select(Position.person_id, Position.organisation_id, Position.starts_on, Position.id)
        .join(Organisation, Organisation.id == Position.organisation_id)
        .where(
            Position.person_id.in_(list(found)),
            sa.or_(Position.starts_on.is_(None), Position.starts_on <= on),
            sa.or_(Position.ends_on.is_(None), Position.ends_on >= on),
            Organisation.deleted_at.is_(None),
        )
    ).all()
    best: dict[int, tuple[int, int, int]] = {}
    for person_id, organisation_id, starts_on, position_id in held:
        # Smaller is better: a preferred organisation (in its order), then the position
        # that started last (an open start counts as the earliest), then the newest row.
        key = (
            rank.get(organisation_id, len(rank)),
            -(starts_on or date.min).toordinal(),
            -position_id,
        )
        if person_id not in best or key < best[person_id]:
            best[person_id] = key
            found[person_id] = organisation_id
    return found


def counted_organisation(person_id: int, on: date, preferred: Collection[int] = ()) -> int | None:
    """The organisation where the person held a position on that day (a preferred one if
    among them); None when they held none."""
    return counted_organisations([person_id], on, preferred)[person_id]


# --- Writes ----------------------------------------------------------------------------------


def _label(record: Outreach) -> str:
    return f"The outreach “{record.subject}”"


def log_outreach(data: Mapping[str, Any], actor: User, *, now: datetime | None = None) -> Outreach:
    """A new outreach record, logged by ``actor``; ``now`` only for tests of the date rule."""
    _require(can(actor, "outreach.log"), "log outreach")
    values = _clean(data, _Kept(), now or utcnow())
    counted = counted_organisations(
        [p.id for p in values.people],
        local_date(values.occurred_at),
        [o.id for o in values.organisations],
    )
    record = Outreach(
        occurred_at=values.occurred_at,
        channel=values.channel,
        direction=values.direction,
        subject=values.subject,
        outcome=values.outcome,
        notes=values.notes,
        event_id=values.event.id if values.event is not None else None,
        logged_by_id=actor.id,
        organisations=values.organisations,
        subitems=values.subitems,
        materials=values.materials,
        person_links=[
            OutreachPerson(person=p, organisation_id=counted[p.id]) for p in values.people
        ],
    )
    db.session.add(record)
    db.session.flush()
    empty = dict.fromkeys(FIELDS)
    shown = {k: v for k, v in values.shown().items() if v not in (None, "", [])}
    audit.record(
        AuditAction.CREATE,
        "outreach",
        record.id,
        actor,
        audit.changes(empty, shown, AUDIT_NAMES),
        summary=f"logged outreach “{record.subject}”",
    )
    return record


def update_outreach(
    record: Outreach,
    data: Mapping[str, Any],
    actor: User,
    version: object,
    *,
    now: datetime | None = None,
) -> Outreach:
    """Save an edit made on ``version``: a stale one raises ConflictError with the
    differences (names and codes, not ids); only what changed is written and audited."""
    if record.deleted_at is not None:
        raise ValidationError("this outreach was deleted; an admin can restore it first")
    _require(may_change(actor, record), "change this outreach")
    values = _clean(data, _Kept.of(record), now or utcnow())
    before = stored_values(record)
    after = values.shown()
    check_version(SimpleNamespace(version=record.version, **before), version, after, _label(record))

    changes = audit.changes(before, after, AUDIT_NAMES)
    # People new on the record, or everyone when its day changed, are counted for the day.
    moved_day = local_date(record.occurred_at) != local_date(values.occurred_at)
    linked = {link.person_id for link in record.person_links}
    counted = counted_organisations(
        [p.id for p in values.people if moved_day or p.id not in linked],
        local_date(values.occurred_at),
        [o.id for o in values.organisations],
    )
    # One flush at the end: an autoflush between the changes would write the row twice
    # and move the version on twice.
    with db.session.no_autoflush:
        for name in ("occurred_at", "channel", "direction", "subject", "outcome", "notes"):
            if getattr(record, name) != getattr(values, name):
                setattr(record, name, getattr(values, name))
        new_event_id = values.event.id if values.event is not None else None
        if record.event_id != new_event_id:
            record.event_id = new_event_id
        for name in ("organisations", "subitems", "materials"):
            if {x.id for x in getattr(record, name)} != {x.id for x in getattr(values, name)}:
                setattr(record, name, getattr(values, name))
        if _relink_people(record, values.people, counted):
            changes.setdefault("people", [before["person_ids"], after["person_ids"]])
    if changes or db.session.is_modified(record):
        # Links alone do not touch the record's row: this does, so its version moves on and
        # an edit made meanwhile on the old version is refused.
        record.updated_at = utcnow()
        db.session.flush()
        db.session.expire(record, ["people"])
        audit.record(AuditAction.UPDATE, "outreach", record.id, actor, changes)
    return record


def _relink_people(record: Outreach, people: list[Person], counted: dict[int, int | None]) -> bool:
    """Give the record exactly these people; those in ``counted`` count for the organisation
    it gives (the others keep theirs). Whether anyone came or went."""
    links = {link.person_id: link for link in record.person_links}
    wanted = {p.id: p for p in people}
    changed = False
    for person_id, gone in links.items():
        if person_id not in wanted:
            record.person_links.remove(gone)
            changed = True
    for person_id, person in wanted.items():
        link = links.get(person_id)
        if link is None:
            record.person_links.append(
                OutreachPerson(person=person, organisation_id=counted[person_id])
            )
            changed = True
        elif person_id in counted:
            link.organisation_id = counted[person_id]
    return changed


def delete_outreach(record: Outreach, actor: User, version: object) -> None:
    """Soft delete, made on ``version``: the record leaves lists, timelines and counts; an
    admin can restore it."""
    if record.deleted_at is not None:
        raise ValidationError("this outreach is already deleted")
    _require(may_change(actor, record), "delete this outreach")
    check_version(record, version, {}, _label(record))
    record.deleted_at = utcnow()
    db.session.flush()
    audit.record(
        AuditAction.DELETE,
        "outreach",
        record.id,
        actor,
        summary=f"deleted outreach “{record.subject}”",
    )


def restore_outreach(record: Outreach, actor: User) -> None:
    """Bring a deleted record back (admins; the view checks the permission first)."""
    _require(can(actor, "outreach.restore"), "restore outreach")
    if record.deleted_at is None:
        raise ValidationError("this outreach is not deleted")
    record.deleted_at = None
    db.session.flush()
    audit.record(
        AuditAction.RESTORE,
        "outreach",
        record.id,
        actor,
        summary=f"restored outreach “{record.subject}”",
    )
