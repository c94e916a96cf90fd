"""Which messages of the outbox each follow-up should have, kept current from one place.

Every write of a follow-up passes through a flush of the session; after it, the due and
assigned rows of the follow-ups it wrote are brought in line with their state (a session
hook, installed like the outreach list's facets):

- open: one due reminder for its assignee at its due time (``due_key``); a pending one of
  the same assignee for another time is moved (new key and time), one for someone else is
  cancelled; a sent one stays sent and a new one is planned for a new time. A reminder whose
  time is more than ``CATCH_UP`` ago is not planned (the digest lists overdue follow-ups).
- created for someone else than its creator, or reassigned: an "assigned" notice at once
  to the new assignee (``assigned_key`` at the follow-up's new version).
- done or cancelled: its pending (and failed) messages are cancelled.

Rows are written by Core statements (the flush has already run) and conflicts on a key are
ignored, so a dispatcher planning the same row at the same moment is harmless.
``plan_missing`` plans what no write planned: open follow-ups written by ``crm demo`` or a
migration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from crm.extensions import db
from crm.models import FollowUp, Reminder
from crm.models.base import table_of
from crm.models.followups import (
    FollowUpStatus,
    ReminderKind,
    ReminderStatus,
    assigned_key,
    due_key,
)

DAY_REMINDER_HOUR = 8
# How late a reminder may still be planned: a follow-up created or reopened a few hours
# after its due time still gets its reminder; one overdue for weeks is in the digest.
CATCH_UP = timedelta(hours=24)
# How far ahead ``plan_missing`` looks at each pass: enough that a pass a day late still
# plans in time, little enough that a pass reads only the follow-ups of the next days.
HORIZON = timedelta(days=2)
# Attributes whose change can change the messages a follow-up should have.
PLANNED_FROM = ("due_at", "due_date", "due_time", "due_zone", "status", "assignee_id")
_TOUCHED = "reminders.planning.touched"
_reminders = table_of(Reminder)


def wall_clock_moment(day: date, clock: time, zone: str | ZoneInfo) -> datetime:
    """The UTC instant a wall-clock time of ``day`` falls on in ``zone``: in an hour that
    repeats (clocks going back) the first of the two; in one the clocks skipped, the first
    instant after the gap, i.e. the change itself (02:30 on the spring change -> 03:00)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    wall = datetime.combine(day, clock)
    moment = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if moment.astimezone(tz).replace(tzinfo=None) == wall:
        return moment
    # Skipped: read with the offset after the change it is before the change, read with
    # the one before it after; the change lies between. Find its second.
    before = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    after = int(moment.timestamp())
    offset_after = moment.astimezone(tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


def due_remind_at(due_at: datetime, due_date: date, due_time: time | None, zone: str) -> datetime:
    """When the due reminder goes: at the due time, or at 08:00 of the due day there."""
    if due_time is not None:
        return due_at
    return wall_clock_moment(due_date, time(DAY_REMINDER_HOUR), zone)


def planned_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Those of these message keys already in the outbox (read a thousand at a time)."""
    wanted = list(keys)
    known: set[str] = set()
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        known.update(session.scalars(sa.select(Reminder.key).where(Reminder.key.in_(chunk))))
    return known


def insert_ignoring_duplicates(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert outbox rows, skipping those whose key is there already (another writer or
    pass planned it first); returns how many were inserted."""
    if not rows:
        return 0
    name = session.get_bind().dialect.name
    insert: Any
    if name == "postgresql":
        insert = postgresql.insert(_reminders).on_conflict_do_nothing(index_elements=["key"])
    elif name == "sqlite":
        insert = sqlite.insert(_reminders).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - the two databases we run on
        raise RuntimeError(f"no insert-or-ignore for {name}")
    inserted = 0
    for start in range(0, len(rows), 1000):
        chunk = [
            {"status": ReminderStatus.PENDING, "attempts": 0, **row}
            for row in rows[start : start + 1000]
        ]
        inserted += len(session.execute(insert.returning(_reminders.c.id), chunk).all())
    return inserted


def _row(
    kind: ReminderKind, key: str, follow_up_id: int, recipient_id: int, at: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "follow_up_id": follow_up_id,
        "recipient_id": recipient_id,
        "digest_day": None,
        "remind_at": at,
        "created_at": now,
    }


_RESET = {
    "status": ReminderStatus.PENDING,
    "attempts": 0,
    "next_attempt_at": None,
    "claimed_at": None,
    "claimed_by": None,
    "lease_expires_at": None,
    "message_id": None,
    "last_error": None,
}


def _update(
    session: Session, reminder_id: int, only_if: Iterable[ReminderStatus], **values: Any
) -> bool:
    """Change one row if it is still in one of ``only_if`` (a dispatcher may have claimed it
    since it was read); returns whether it was."""
    result = session.execute(
        sa.update(_reminders)
        .where(_reminders.c.id == reminder_id, _reminders.c.status.in_(list(only_if)))
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _cancel(session: Session, reminder_id: int) -> bool:
    return _update(
        session,
        reminder_id,
        (ReminderStatus.PENDING, ReminderStatus.FAILED),
        status=ReminderStatus.CANCELLED,
        next_attempt_at=None,
    )


def plan(
    session: Session, follow_ups: Sequence[FollowUp], announce: set[int], now: datetime
) -> None:
    """Bring the due and assigned rows of ``follow_ups`` in line with their state; send an
    assigned notice for those in ``announce`` (ids)."""
    if not follow_ups:
        return
    ids = [f.id for f in follow_ups]
    existing: dict[int, list[Any]] = {i: [] for i in ids}
    for start in range(0, len(ids), 1000):
        for row in session.execute(
            sa.select(
                _reminders.c.id,
                _reminders.c.key,
                _reminders.c.kind,
                _reminders.c.recipient_id,
                _reminders.c.status,
                _reminders.c.remind_at,
                _reminders.c.follow_up_id,
            ).where(
                _reminders.c.follow_up_id.in_(ids[start : start + 1000]),
                _reminders.c.kind.in_([ReminderKind.DUE, ReminderKind.ASSIGNED]),
            )
        ):
            existing[row.follow_up_id].append(row)
    inserts: list[dict[str, Any]] = []
    for follow_up in follow_ups:
        rows = existing[follow_up.id]
        if follow_up.status != FollowUpStatus.OPEN:
            for row in rows:
                if row.status in (ReminderStatus.PENDING, ReminderStatus.FAILED):
                    _cancel(session, row.id)
            continue
        inserts += _plan_due(
            session, follow_up, [r for r in rows if r.kind == ReminderKind.DUE], now
        )
        assignee = follow_up.assignee_id
        for row in rows:
            if (
                row.kind == ReminderKind.ASSIGNED
                and row.recipient_id != assignee
                and row.status in (ReminderStatus.PENDING, ReminderStatus.FAILED)
            ):
                _cancel(session, row.id)
        if follow_up.id in announce:
            key = assigned_key(follow_up.id, assignee, follow_up.version)
            inserts.append(_row(ReminderKind.ASSIGNED, key, follow_up.id, assignee, now, now))
    insert_ignoring_duplicates(session, inserts)


def _plan_due(
    session: Session, follow_up: FollowUp, rows: list[Any], now: datetime
) -> list[dict[str, Any]]:
    assignee = follow_up.assignee_id
    key = due_key(follow_up.id, assignee, follow_up.due_at)
    at = due_remind_at(follow_up.due_at, follow_up.due_date, follow_up.due_time, follow_up.due_zone)
    wanted = at > now - CATCH_UP
    current = next((r for r in rows if r.key == key), None)
    others = [r for r in rows if r.key != key and r.status == ReminderStatus.PENDING]
    # Pending rows of the assignee for another time are moved (one) or cancelled; those of
    # someone who is no longer the assignee are cancelled.
    movable = (
        next((r for r in others if r.recipient_id == assignee), None)
        if current is None and wanted
        else None
    )
    for row in others:
        if row is not movable:
            _cancel(session, row.id)
    if current is not None:
        if current.status == ReminderStatus.CANCELLED and wanted:  # reopened
            _update(session, current.id, (ReminderStatus.CANCELLED,), **_RESET, remind_at=at)
        elif current.status == ReminderStatus.PENDING and current.remind_at != at:
            # The same moment, another kind of due (a day's start and 00:00 on that day).
            _update(session, current.id, (ReminderStatus.PENDING,), remind_at=at)
        return []
    if movable is not None and _update(
        session, movable.id, (ReminderStatus.PENDING,), **_RESET, key=key, remind_at=at
    ):
        return []
    if not wanted:
        return []
    return [_row(ReminderKind.DUE, key, follow_up.id, assignee, at, now)]


# --- The session hook ---------------------------------------------------------------------


def _changed(record: object, names: Iterable[str]) -> bool:
    state = sa.inspect(record)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    """Plan the messages of the follow-ups this flush created or changed."""
    written: list[FollowUp] = []
    announce: set[int] = set()
    for record in session.new:
        if isinstance(record, FollowUp):
            written.append(record)
            if record.created_by_id is not None and record.created_by_id != record.assignee_id:
                announce.add(record.id)
    for record in session.dirty:
        if isinstance(record, FollowUp) and record not in session.deleted:
            if _changed(record, ("assignee_id", "assignee")):
                announce.add(record.id)
                written.append(record)
            elif _changed(record, PLANNED_FROM):
                written.append(record)
    if not written:
        return
    plan(session, written, announce, datetime.now(UTC))
    session.info.setdefault(_TOUCHED, set()).update(f.id for f in written)


def _after_flush_postexec(session: Session, _context: UOWTransaction) -> None:
    """The rows were written behind the ORM's back: loaded ones are read again when used."""
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    for record in list(session.identity_map.values()):
        if isinstance(record, Reminder) and record.follow_up_id in touched:
            session.expire(record)
        elif isinstance(record, FollowUp) and record.id in touched:
            session.expire(record, ["reminders"])


def install() -> None:
    """Listen on every session (the app's and the tests'); installing twice is harmless."""
    for name, listener in (
        ("after_flush", _after_flush),
        ("after_flush_postexec", _after_flush_postexec),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


# --- What no write planned ----------------------------------------------------------------


def plan_missing(now: datetime) -> int:
    """Plan the due reminders of open follow-ups that have none for their assignee (written
    by ``crm demo`` or a migration), for due times between ``now - CATCH_UP`` and
    ``now + HORIZON``; returns how many were planned."""
    session = db.session()
    has_one = (
        sa.select(_reminders.c.id)
        .where(
            _reminders.c.follow_up_id == FollowUp.id,
            _reminders.c.kind == ReminderKind.DUE,
            _reminders.c.recipient_id == FollowUp.assignee_id,
        )
        .exists()
    )
    # A reminder of a day goes at 08:00 of it, in a zone up to 14 hours from UTC: read a day
    # more on each side, then keep what falls in the window.
    rows = session.execute(
        sa.select(
            FollowUp.id,
            FollowUp.assignee_id,
            FollowUp.due_at,
            FollowUp.due_date,
            FollowUp.due_time,
            FollowUp.due_zone,
        ).where(
            FollowUp.status == FollowUpStatus.OPEN,
            FollowUp.due_at > now - CATCH_UP - timedelta(days=1),
            FollowUp.due_at <= now + HORIZON + timedelta(days=1),
            ~has_one,
        )
    ).all()
    planned = []
    for row in rows:
        at = due_remind_at(row.due_at, row.due_date, row.due_time, row.due_zone)
        if now - CATCH_UP < at <= now + HORIZON:
            key = due_key(row.id, row.assignee_id, row.due_at)
            planned.append(_row(ReminderKind.DUE, key, row.id, row.assignee_id, at, now))
    return insert_ignoring_duplicates(session, planned)
