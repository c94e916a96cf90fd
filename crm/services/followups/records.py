"""The rules of every follow-up write: creating, editing (and reassigning), completing,
reopening and cancelling.

Every caller (the follow-up pages, the outreach form's "Follow up", an import, the demo
through the same rules in tests) passes through here, so the rules hold whatever the way
in: a title, a due date that exists, a time the clocks did not skip in the assignee's zone,
an active assignee whose role holds follow-ups, nothing deleted, erased or merged away
added, sub-items that are leaves of the framework.

Due dates are read in the assignee's time zone when they are set (``due_zone``), so "Friday
09:00" means 09:00 where the person doing it works. An edit that leaves the date and time
alone keeps the zone and the UTC moment, even when it hands the follow-up to someone who
works elsewhere: the moment it falls due does not move behind anyone's back.

What is already on a follow-up may stay on it when it is edited, even if it could not be
added now (a person or an event deleted since, an erased person), as outreach does.

The reminders derived from follow-ups are planned by the reminders' session hook from what
these functions write; nothing here plans or sends mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.clock import programme_zone
from crm.extensions import db
from crm.models import (
    AuditAction,
    CommitmentItem,
    Event,
    FollowUp,
    FollowUpStatus,
    Organisation,
    Outreach,
    Person,
    User,
    utcnow,
)
from crm.models.followups import due_moment
from crm.permissions import PERMISSIONS, can
from crm.services import audit
from crm.services.checks import (
    MAX_ID,
    clean_clock_time,
    clean_date,
    clean_int,
    clean_text,
    local_to_utc,
    plausible_day,
)
from crm.services.errors import ValidationError
from crm.services.framework import at_or_below
from crm.services.outreach.records import log_outreach, person_name, refuse_gone
from crm.services.reference import item_rows
from crm.services.versioning import check_version

# The audit log's name for follow-ups (``AuditEntry.entity_type``).
AUDIT_ENTITY = "follow-up"
TITLE_LIMIT = 300
NOTES_LIMIT = 10_000
MAX_SUBITEMS = 50  # more than any framework has leaves: a bound on the work, not a rule

# The keys of ``data``, in the order the checks run (the assignee before the due date and
# time, which are read in the assignee's zone).
FIELDS = (
    "title",
    "notes",
    "assignee_id",
    "due_date",
    "due_time",
    "person_id",
    "organisation_id",
    "outreach_id",
    "event_id",
    "subitem_ids",
)
# How the audit log names each field.
AUDIT_NAMES = {
    "assignee_id": "assignee",
    "person_id": "person",
    "organisation_id": "organisation",
    "outreach_id": "outreach",
    "event_id": "event",
    "subitem_ids": "subitems",
}
# The roles that may hold follow-ups: those that create them (viewers only read).
HOLDING_ROLES = PERMISSIONS["followups.create"]


def zone_of(user: User) -> str:
    """The IANA time zone a user works in: their own, or the programme's (CRM_TIMEZONE)."""
    return user.timezone or programme_zone().key


# --- Who may change what ---------------------------------------------------------------------


def may_change(user: User, follow_up: FollowUp) -> bool:
    """Coordinators and admins change anyone's follow-ups; officers and organisers those
    assigned to them or created by them."""
    if can(user, "followups.change_any"):
        return True
    me = getattr(user, "id", None)
    return (
        can(user, "followups.create")
        and me is not None
        and (follow_up.assignee_id == me or follow_up.created_by_id == me)
    )


def _require(allowed: bool, what: str) -> None:
    """A guard behind the views' own checks (which answer 403 first): a caller that forgot
    them gets an error, not a silent write."""
    if not allowed:
        raise PermissionError(f"this account may not {what}")


# --- Field checks ----------------------------------------------------------------------------


@dataclass
class _Kept:
    """What the follow-up already has: it may stay even where it could not be added now."""

    person_id: int | None = None
    organisation_id: int | None = None
    outreach_id: int | None = None
    event_id: int | None = None
    assignee_id: int | None = None  # kept only on a follow-up that is no longer open
    subitem_ids: tuple[int, ...] | None = None  # the default when ``subitem_ids`` is absent
    due: tuple[date, time | None, str, datetime] | None = None  # date, time, zone, due_at

    @classmethod
    def of(cls, follow_up: FollowUp) -> _Kept:
        return cls(
            person_id=follow_up.person_id,
            organisation_id=follow_up.organisation_id,
            outreach_id=follow_up.outreach_id,
            event_id=follow_up.event_id,
            assignee_id=(
                follow_up.assignee_id if follow_up.status != FollowUpStatus.OPEN else None
            ),
            subitem_ids=tuple(item.id for item in follow_up.subitems),
            due=(follow_up.due_date, follow_up.due_time, follow_up.due_zone, follow_up.due_at),
        )


@dataclass
class _Values:
    """A follow-up's fields after every check, with the linked rows loaded."""

    title: str
    notes: str
    due_date: date
    due_time: time | None
    due_zone: str
    due_at: datetime
    assignee: User
    person: Person | None
    organisation: Organisation | None
    outreach: Outreach | None
    event: Event | None
    subitems: list[CommitmentItem]

    def shown(self) -> dict[str, object]:
        """The values by data key as people read them: names and codes, not ids."""
        return _shown(
            self.title,
            self.notes,
            self.due_date,
            self.due_time,
            self.assignee,
            self.person,
            self.organisation,
            self.outreach,
            self.event,
            self.subitems,
        )


def _shown(
    title: str,
    notes: str,
    due_date: date,
    due_time: time | None,
    assignee: User | None,
    person: Person | None,
    organisation: Organisation | None,
    outreach: Outreach | None,
    event: Event | None,
    subitems: Iterable[CommitmentItem],
) -> dict[str, object]:
    return {
        "title": title,
        "notes": notes,
        "due_date": due_date,
        "due_time": due_time,
        "assignee_id": assignee.display_name if assignee is not None else None,
        "person_id": person_name(person) if person is not None else None,
        "organisation_id": organisation.name if organisation is not None else None,
        "outreach_id": outreach.subject if outreach is not None else None,
        "event_id": event.title if event is not None else None,
        "subitem_ids": sorted(item.code for item in subitems),
    }


def stored_values(follow_up: FollowUp) -> dict[str, object]:
    """A follow-up's values by data key as people read them (names and codes, not ids):
    what a conflict shows beside the user's own."""
    return _shown(
        follow_up.title,
        follow_up.notes,
        follow_up.due_date,
        follow_up.due_time,
        follow_up.assignee,
        follow_up.person,
        follow_up.organisation,
        follow_up.outreach,
        follow_up.event,
        follow_up.subitems,
    )


def _clean_due_date(value: object, today: date, kept: date | None) -> date:
    """The due day; one far in the past or the future is a mistyped year (unless the
    follow-up already had it: an edit of its title must not force a new date)."""
    field = "due_date"
    if isinstance(value, datetime):
        raise ValidationError("expected a date (YYYY-MM-DD), not a date and time", field=field)
    if isinstance(value, date):
        day = value
    else:
        cleaned = clean_date(value, field)
        if cleaned is None:
            raise ValidationError("give the due date as YYYY-MM-DD", field=field)
        day = cleaned
    if day == kept:
        return day
    return plausible_day(day, field, today)


def _clean_due_time(value: object) -> time | None:
    field = "due_time"
    if isinstance(value, datetime):
        raise ValidationError("expected a time of day (HH:MM), not a date and time", field=field)
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValidationError(
                "give the time of day without a time zone: it is read in the assignee's",
                field=field,
            )
        return value
    return clean_clock_time(value, field)


def _assignee(value: object, actor: User, kept: _Kept, current: int | None) -> User:
    """The user to hold the follow-up: an active account whose role holds follow-ups.
    Empty: the actor on a new follow-up, the one it has on an edit."""
    field = "assignee_id"
    user_id = clean_int(value, field, 1, MAX_ID)
    if user_id is None:
        user_id = current if current is not None else actor.id
    user = db.session.get(User, user_id)
    if user is None:
        raise ValidationError(f"there is no user #{user_id}", field=field)
    if user_id == kept.assignee_id:
        return user  # a follow-up that is done or cancelled keeps whom it was with
    if not user.is_active:
        raise ValidationError(
            f"{user.display_name} is deactivated and cannot hold follow-ups; "
            "assign it to someone else",
            field=field,
        )
    if user.role not in HOLDING_ROLES:
        raise ValidationError(
            f"{user.display_name} is a {user.role.value} and cannot hold follow-ups "
            "(viewers only read them); assign it to someone else",
            field=field,
        )
    return user


def _refuse_gone(record: Person | Organisation, field: str) -> None:
    """An erased, merged-away or deleted person or organisation cannot be added."""
    refuse_gone(
        record,
        field,
        erased="a follow-up cannot be about them",
        deleted="choose someone else or leave it empty",
    )


def _person(value: object, kept: int | None) -> Person | None:
    person_id = clean_int(value, "person_id", 1, MAX_ID)
    if person_id is None:
        return None
    person = db.session.get(Person, person_id)
    if person is None:
        raise ValidationError(f"there is no person #{person_id}", field="person_id")
    if person_id != kept:
        _refuse_gone(person, "person_id")
    return person


def _organisation(value: object, kept: int | None) -> Organisation | None:
    organisation_id = clean_int(value, "organisation_id", 1, MAX_ID)
    if organisation_id is None:
        return None
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationError(
            f"there is no organisation #{organisation_id}", field="organisation_id"
        )
    if organisation_id != kept:
        _refuse_gone(organisation, "organisation_id")
    return organisation


def _outreach(value: object, kept: int | None) -> Outreach | None:
    outreach_id = clean_int(value, "outreach_id", 1, MAX_ID)
    if outreach_id is None:
        return None
    record = db.session.get(Outreach, outreach_id)
    if record is None:
        raise ValidationError(f"there is no outreach #{outreach_id}", field="outreach_id")
    if record.deleted_at is not None and outreach_id != kept:
        raise ValidationError(
            f"the outreach “{record.subject}” was deleted while the form was open",
            field="outreach_id",
        )
    return record


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


def _either(codes: list[str]) -> str:
    """ "1.3a, 1.3b or 1.3c"."""
    if len(codes) < 2:
        return "".join(codes)
    return f"{', '.join(codes[:-1])} or {codes[-1]}"


def _subitem_ids(raw: object) -> list[int]:
    """Distinct ids in the order given; empty entries are skipped, anything else refused."""
    field = "subitem_ids"
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
        raise ValidationError("expected a list of ids", field=field)
    ids: list[int] = []
    for value in raw:
        number = clean_int(value, field, 1, MAX_ID)
        if number is not None and number not in ids:
            ids.append(number)
            if len(ids) > MAX_SUBITEMS:
                raise ValidationError(f"at most {MAX_SUBITEMS} sub-items", field=field)
    return ids


def _subitems(ids: list[int]) -> list[CommitmentItem]:
    """The leaves of the framework with these ids; a commitment or an item is refused with
    the sub-items below it (read from the framework kept in memory)."""
    if not ids:
        return []
    rows = item_rows()
    codes = {item_id: code for item_id, _parent, code in rows}
    parent_of = {item_id: parent for item_id, parent, _code in rows}
    parents = set(parent_of.values())
    for item_id in ids:
        if item_id not in codes:
            raise ValidationError(f"there is no sub-item #{item_id}", field="subitem_ids")
        if item_id in parents:
            what = "a commitment" if parent_of[item_id] is None else "an item"
            leaves = at_or_below(rows, codes[item_id])[1]
            shown = [code for leaf, _parent, code in rows if leaf in leaves]  # framework order
            raise ValidationError(
                f"{codes[item_id]} is {what}, not a sub-item: choose {_either(shown)}",
                field="subitem_ids",
            )
    found = {
        item.id: item
        for item in db.session.scalars(sa.select(CommitmentItem).where(CommitmentItem.id.in_(ids)))
    }
    return [found[i] for i in ids if i in found]


def _due(day: date, clock: time | None, assignee: User, kept: _Kept) -> tuple[str, datetime]:
    """The zone and UTC moment of the due date: kept when the date and time did not change,
    else read in the assignee's zone, refusing a time the clocks skipped there."""
    if kept.due is not None and kept.due[:2] == (day, clock):
        return kept.due[2], kept.due[3]
    zone = zone_of(assignee)
    if clock is None:
        return zone, due_moment(day, None, zone)
    return zone, local_to_utc(day, clock, ZoneInfo(zone), "due_time", "due_date")


def _clean(
    data: Mapping[str, Any], actor: User, kept: _Kept, current_assignee: int | None, now: datetime
) -> _Values:
    """Every field checked, in the order of ``FIELDS``; the first refusal names its field."""
    title = clean_text(data.get("title"), "title", TITLE_LIMIT, required=True)
    notes = clean_text(data.get("notes"), "notes", NOTES_LIMIT) or ""
    assignee = _assignee(data.get("assignee_id"), actor, kept, current_assignee)
    today = now.astimezone(ZoneInfo(zone_of(assignee))).date()
    due_date = _clean_due_date(
        data.get("due_date"), today, kept.due[0] if kept.due is not None else None
    )
    due_time = _clean_due_time(data.get("due_time"))
    due_zone, due_at = _due(due_date, due_time, assignee, kept)
    person = _person(data.get("person_id"), kept.person_id)
    organisation = _organisation(data.get("organisation_id"), kept.organisation_id)
    outreach = _outreach(data.get("outreach_id"), kept.outreach_id)
    event = _event(data.get("event_id"), kept.event_id)
    raw_subitems = data.get("subitem_ids")
    if raw_subitems is None:
        # Absent: an edit keeps what the follow-up has; a new one serves the sub-items of
        # the outreach it follows up (the coordinators' view by sub-item).
        if kept.subitem_ids is not None:
            ids = list(kept.subitem_ids)
        elif outreach is not None:
            ids = [item.id for item in outreach.subitems]
        else:
            ids = []
        subitems = _subitems(ids)
    else:
        subitems = _subitems(_subitem_ids(raw_subitems))
    return _Values(
        title,
        notes,
        due_date,
        due_time,
        due_zone,
        due_at,
        assignee,
        person,
        organisation,
        outreach,
        event,
        subitems,
    )


# --- Writes ----------------------------------------------------------------------------------


def _label(follow_up: FollowUp) -> str:
    return f"The follow-up “{follow_up.title}”"


def create_follow_up(
    data: Mapping[str, Any], actor: User, *, now: datetime | None = None
) -> FollowUp:
    """A new open follow-up created by ``actor`` (assigned to them unless ``assignee_id``
    names someone else); ``now`` only for tests of the date rules."""
    _require(can(actor, "followups.create"), "create follow-ups")
    values = _clean(data, actor, _Kept(), None, now or utcnow())
    follow_up = FollowUp(
        title=values.title,
        notes=values.notes,
        due_at=values.due_at,
        due_date=values.due_date,
        due_time=values.due_time,
        due_zone=values.due_zone,
        status=FollowUpStatus.OPEN,
        assignee_id=values.assignee.id,
        created_by_id=actor.id,
        person_id=values.person.id if values.person is not None else None,
        organisation_id=values.organisation.id if values.organisation is not None else None,
        outreach_id=values.outreach.id if values.outreach is not None else None,
        event_id=values.event.id if values.event is not None else None,
        subitems=values.subitems,
    )
    db.session.add(follow_up)
    db.session.flush()
    empty = dict.fromkeys(FIELDS)
    shown = {k: v for k, v in values.shown().items() if v not in (None, "", [])}
    changes = audit.changes(empty, shown, AUDIT_NAMES)
    changes["due_zone"] = [None, values.due_zone]
    audit.record(
        AuditAction.CREATE,
        AUDIT_ENTITY,
        follow_up.id,
        actor,
        changes,
        summary=f"created follow-up “{follow_up.title}”",
    )
    return follow_up


def update_follow_up(
    follow_up: FollowUp,
    data: Mapping[str, Any],
    actor: User,
    *,
    version: object,
    now: datetime | None = None,
) -> FollowUp:
    """Save an edit made on ``version``: a stale one raises ConflictError with the
    differences (names and codes, not ids); only what changed is written and audited. A new
    assignee is a reassignment, audited as REASSIGN from one to the other (the rest of the
    edit, if any, as UPDATE). An empty ``assignee_id`` keeps the assignee; an absent
    ``subitem_ids`` keeps the sub-items."""
    _require(may_change(actor, follow_up), "change this follow-up")
    values = _clean(data, actor, _Kept.of(follow_up), follow_up.assignee_id, now or utcnow())
    before = stored_values(follow_up)
    after = values.shown()
    check_version(
        SimpleNamespace(version=follow_up.version, **before), version, after, _label(follow_up)
    )

    changes = audit.changes(before, after, AUDIT_NAMES)
    reassigned = follow_up.assignee_id != values.assignee.id
    if follow_up.due_zone != values.due_zone:
        changes["due_zone"] = [follow_up.due_zone, values.due_zone]
    # One flush at the end: an autoflush between the changes would write the row twice
    # and move the version on twice.
    with db.session.no_autoflush:
        for name in ("title", "notes", "due_date", "due_time", "due_zone", "due_at"):
            if getattr(follow_up, name) != getattr(values, name):
                setattr(follow_up, name, getattr(values, name))
        for name, record in (
            ("assignee_id", values.assignee),
            ("person_id", values.person),
            ("organisation_id", values.organisation),
            ("outreach_id", values.outreach),
            ("event_id", values.event),
        ):
            new_id = record.id if record is not None else None
            if getattr(follow_up, name) != new_id:
                setattr(follow_up, name, new_id)
        if {item.id for item in follow_up.subitems} != {item.id for item in values.subitems}:
            follow_up.subitems = values.subitems
    if not changes and not db.session.is_modified(follow_up):
        return follow_up
    # Sub-items alone do not touch the row: this does, so its version moves on and an edit
    # made meanwhile on the old version is refused.
    follow_up.updated_at = utcnow()
    db.session.flush()
    # The relationships were set by id: read them again on next use.
    db.session.expire(follow_up, ["assignee", "person", "organisation", "outreach", "event"])
    if reassigned:
        handed = changes.pop("assignee")
        audit.record(
            AuditAction.REASSIGN,
            AUDIT_ENTITY,
            follow_up.id,
            actor,
            {"assignee": handed},
            summary=f"reassigned follow-up “{follow_up.title}” from {handed[0]} to {handed[1]}",
        )
    if changes:
        audit.record(AuditAction.UPDATE, AUDIT_ENTITY, follow_up.id, actor, changes)
    return follow_up


_STATE = {
    FollowUpStatus.OPEN: "is still open",
    FollowUpStatus.DONE: "is already done",
    FollowUpStatus.CANCELLED: "was cancelled",
}


def _refuse_unless(follow_up: FollowUp, wanted: FollowUpStatus | None, step: str) -> None:
    """A step that only makes sense in some states says why it cannot be taken: ``wanted``
    the state it needs (None: any but open)."""
    if wanted is None and follow_up.status != FollowUpStatus.OPEN:
        return
    if follow_up.status == wanted:
        return
    hint = "" if follow_up.status == FollowUpStatus.OPEN else "; reopen it first"
    raise ValidationError(
        f"{_label(follow_up)} {_STATE[follow_up.status]}: it cannot be {step}{hint}",
        field="status",
    )


def complete_follow_up(
    follow_up: FollowUp,
    actor: User,
    *,
    version: object,
    outreach: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[FollowUp, Outreach | None]:
    """Mark an open follow-up done, made on ``version``. With ``outreach`` (the data of
    ``outreach.log_outreach``) the outreach that resulted is logged in the same transaction
    and linked as ``resulting_outreach``: refused outreach data refuses the whole step (the
    follow-up stays open, nothing is written), naming the outreach's field."""
    _refuse_unless(follow_up, FollowUpStatus.OPEN, "completed")
    _require(may_change(actor, follow_up), "complete this follow-up")
    check_version(follow_up, version, {}, _label(follow_up))
    moment = now or utcnow()
    logged = log_outreach(outreach, actor, now=moment) if outreach is not None else None
    follow_up.status = FollowUpStatus.DONE
    follow_up.completed_at = follow_up.updated_at = moment
    changes: dict[str, Any] = {"status": [FollowUpStatus.OPEN.value, FollowUpStatus.DONE.value]}
    if logged is not None:
        follow_up.resulting_outreach_id = logged.id
        changes["resulting outreach"] = [None, logged.subject]
    db.session.flush()
    db.session.expire(follow_up, ["resulting_outreach"])
    audit.record(
        AuditAction.COMPLETE,
        AUDIT_ENTITY,
        follow_up.id,
        actor,
        changes,
        summary=f"completed follow-up “{follow_up.title}”",
    )
    return follow_up, logged


def reopen_follow_up(
    follow_up: FollowUp, actor: User, *, version: object, now: datetime | None = None
) -> FollowUp:
    """Open a done or cancelled follow-up again, made on ``version`` (its reminders are
    planned again by the reminders' hook if its due time is still to come)."""
    _refuse_unless(follow_up, None, "reopened")
    _require(may_change(actor, follow_up), "reopen this follow-up")
    check_version(follow_up, version, {}, _label(follow_up))
    previous = follow_up.status
    follow_up.status = FollowUpStatus.OPEN
    follow_up.completed_at = None
    follow_up.cancelled_at = None
    follow_up.updated_at = now or utcnow()
    db.session.flush()
    audit.record(
        AuditAction.REOPEN,
        AUDIT_ENTITY,
        follow_up.id,
        actor,
        {"status": [previous.value, FollowUpStatus.OPEN.value]},
        summary=f"reopened follow-up “{follow_up.title}”",
    )
    return follow_up


def cancel_follow_up(
    follow_up: FollowUp, actor: User, *, version: object, now: datetime | None = None
) -> FollowUp:
    """Cancel an open follow-up (no longer needed), made on ``version``."""
    _refuse_unless(follow_up, FollowUpStatus.OPEN, "cancelled")
    _require(may_change(actor, follow_up), "cancel this follow-up")
    check_version(follow_up, version, {}, _label(follow_up))
    follow_up.status = FollowUpStatus.CANCELLED
    follow_up.cancelled_at = follow_up.updated_at = now or utcnow()
    db.session.flush()
    audit.record(
        AuditAction.CANCEL,
        AUDIT_ENTITY,
        follow_up.id,
        actor,
        {"status": [FollowUpStatus.OPEN.value, FollowUpStatus.CANCELLED.value]},
        summary=f"cancelled follow-up “{follow_up.title}”",
    )
    return follow_up


def outreach_prefill(follow_up: FollowUp, *, now: datetime | None = None) -> dict[str, Any]:
    """The data of the outreach that completing ``follow_up`` would log, as far as the
    follow-up knows it: now, whom and what it was about, its sub-items. The form fills in
    the rest (channel, direction, outcome) and may change any of it."""
    person = follow_up.person
    organisation = follow_up.organisation
    event = follow_up.event
    return {
        "occurred_at": (now or utcnow()).astimezone(UTC).replace(second=0, microsecond=0),
        "subject": follow_up.title,
        "notes": "",
        # A deleted event is not offered: the outreach would be refused for it.
        "event_id": event.id if event is not None and event.deleted_at is None else None,
        "person_ids": [person.id]
        if person is not None and person.erased_at is None and person.deleted_at is None
        else [],
        "organisation_ids": [organisation.id]
        if organisation is not None and organisation.deleted_at is None
        else [],
        "subitem_ids": [item.id for item in follow_up.subitems],
        "material_ids": [],
    }


def due_in_zone(follow_up: FollowUp) -> datetime:
    """The moment the follow-up is due, in its own zone (a day: the start of that day)."""
    return follow_up.due_at.astimezone(ZoneInfo(follow_up.due_zone))
