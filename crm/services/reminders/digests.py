"""The daily digest: each active user with a digest hour gets, once per local day, the list
of their open follow-ups that are overdue or due that day.

Decided once per day, at the first dispatch pass at or after ``digest_hour``:00 in the
user's zone: with something to list, a pending row (sent by that pass); with nothing, a row
stored as cancelled, so that no later pass of that day sends one late. Only the user's
current day is considered: a day that passed while no scheduler ran gets no digest, today's
gets one however late in the day. Daylight saving does not move it: the hour is read in the
user's zone each day (a skipped hour: the first instant after it; a repeated one: the first
of the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from crm import clock
from crm.extensions import db
from crm.models import FollowUp, User
from crm.models.followups import FollowUpStatus, ReminderKind, ReminderStatus, digest_key
from crm.services.reminders.planning import (
    insert_ignoring_duplicates,
    planned_keys,
    wall_clock_moment,
)

# A digest lists at most this many follow-ups and says how many more there are.
DIGEST_LIMIT = 50


def zone_of(user_timezone: str | None) -> ZoneInfo:
    """A user's zone: their own, else the programme's (``CRM_TIMEZONE``)."""
    if user_timezone:
        try:
            return ZoneInfo(user_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # checked when it is set; a zone the system no longer knows falls back
    return clock.programme_zone()


def digest_moment(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """When the digest of ``day`` goes: ``hour``:00 of that day in ``zone`` (DST-safe)."""
    return wall_clock_moment(day, time(hour), zone)


def _day_end(day: date, zone: ZoneInfo) -> datetime:
    return wall_clock_moment(day + timedelta(days=1), time(0), zone)


def _listed(recipient_id: int, day: date, zone: ZoneInfo) -> sa.ColumnElement[bool]:
    """Open follow-ups of the recipient due on ``day`` or before: a day's by its date, a
    timed one by its moment before the end of that day in the recipient's zone."""
    return sa.and_(
        FollowUp.assignee_id == recipient_id,
        FollowUp.status == FollowUpStatus.OPEN,
        sa.or_(
            sa.and_(FollowUp.due_time.is_(None), FollowUp.due_date <= day),
            sa.and_(FollowUp.due_time.is_not(None), FollowUp.due_at < _day_end(day, zone)),
        ),
    )


def has_items(recipient_id: int, day: date, zone: ZoneInfo) -> bool:
    query = sa.select(FollowUp.id).where(_listed(recipient_id, day, zone)).limit(1)
    return db.session.scalar(query) is not None


@dataclass(frozen=True)
class DigestItems:
    """What a digest lists: overdue ones and today's, each in due order, and how many more
    there are beyond the limit."""

    overdue: list[FollowUp]
    today: list[FollowUp]
    more: int


def digest_items(recipient_id: int, day: date, zone: ZoneInfo, now: datetime) -> DigestItems:
    """The follow-ups of the digest of ``day``; overdue means due before ``now`` (a day's:
    before ``day``)."""
    condition = _listed(recipient_id, day, zone)
    rows = db.session.scalars(
        sa.select(FollowUp)
        .where(condition)
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(DIGEST_LIMIT)
    ).all()
    total = len(rows)
    if total == DIGEST_LIMIT:
        total = db.session.scalar(sa.select(sa.func.count(FollowUp.id)).where(condition)) or total
    overdue: list[FollowUp] = []
    today: list[FollowUp] = []
    for follow_up in rows:
        late = follow_up.due_date < day if follow_up.due_time is None else follow_up.due_at < now
        (overdue if late else today).append(follow_up)
    return DigestItems(overdue=overdue, today=today, more=total - len(rows))


def plan_digests(now: datetime) -> tuple[int, int]:
    """Decide today's digest of every user whose digest hour has come and whose day has no
    digest row yet; returns (planned, stored as cancelled because nothing to list)."""
    session = db.session()
    candidates: dict[str, dict[str, Any]] = {}
    users = session.execute(
        sa.select(User.id, User.timezone, User.digest_hour).where(
            User.is_active.is_(True), User.digest_hour.is_not(None)
        )
    ).all()
    for user_id, timezone, hour in users:
        if hour is None:
            continue
        zone = zone_of(timezone)
        day = now.astimezone(zone).date()
        at = digest_moment(day, hour, zone)
        if at <= now:
            candidates[digest_key(user_id, day)] = {
                "user_id": user_id,
                "day": day,
                "at": at,
                "zone": zone,
            }
    if not candidates:
        return 0, 0
    known = planned_keys(session, candidates)
    rows: list[dict[str, Any]] = []
    for key, c in candidates.items():
        if key in known:
            continue
        listed = has_items(c["user_id"], c["day"], c["zone"])
        rows.append(
            {
                "key": key,
                "kind": ReminderKind.DIGEST,
                "follow_up_id": None,
                "recipient_id": c["user_id"],
                "digest_day": c["day"],
                "remind_at": c["at"],
                "status": ReminderStatus.PENDING if listed else ReminderStatus.CANCELLED,
                "created_at": now,
            }
        )
    planned = insert_ignoring_duplicates(
        session, [r for r in rows if r["status"] == ReminderStatus.PENDING]
    )
    empty = insert_ignoring_duplicates(
        session, [r for r in rows if r["status"] == ReminderStatus.CANCELLED]
    )
    return planned, empty
