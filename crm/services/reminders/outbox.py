"""The admins' view of the outbox (``/admin/mail``): whether the scheduler runs, what waits,
what was sent, what failed. Nothing personal beyond the recipient's e-mail address: the
titles of follow-ups stay on their pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Reminder, SchedulerRun, User
from crm.models.followups import ReminderKind, ReminderStatus

# The dispatch job runs every minute: a scheduler whose last run started longer ago than
# this looks stopped.
ALIVE_WITHIN = timedelta(minutes=3)
RUNS_SHOWN = 20
MESSAGES_SHOWN = 100


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    kind: ReminderKind
    recipient_email: str
    follow_up_id: int | None
    remind_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class OutboxOverview:
    runs: list[SchedulerRun]
    last_run_at: datetime | None
    alive: bool
    pending: int
    sent_last_day: int
    failed: list[OutboxMessage]
    failed_total: int
    retrying: list[OutboxMessage]  # pending again after a failed attempt
    retrying_total: int


def _messages(condition: sa.ColumnElement[bool], order: Any) -> list[OutboxMessage]:
    rows = db.session.execute(
        sa.select(
            Reminder.id,
            Reminder.kind,
            User.email,
            Reminder.follow_up_id,
            Reminder.remind_at,
            Reminder.attempts,
            Reminder.next_attempt_at,
            Reminder.last_error,
        )
        .join(User, User.id == Reminder.recipient_id)
        .where(condition)
        .order_by(order, Reminder.id)
        .limit(MESSAGES_SHOWN)
    ).all()
    return [OutboxMessage(*row) for row in rows]


def _count(condition: sa.ColumnElement[bool]) -> int:
    return db.session.scalar(sa.select(sa.func.count(Reminder.id)).where(condition)) or 0


def outbox_overview(now: datetime | None = None) -> OutboxOverview:
    """The figures and lists of the page, read in a few statements."""
    now = now or datetime.now(UTC)
    runs = list(
        db.session.scalars(
            sa.select(SchedulerRun)
            .order_by(SchedulerRun.started_at.desc(), SchedulerRun.id.desc())
            .limit(RUNS_SHOWN)
        )
    )
    last = runs[0].started_at if runs else None
    failed = Reminder.status == ReminderStatus.FAILED
    retrying = sa.and_(Reminder.status == ReminderStatus.PENDING, Reminder.attempts > 0)
    return OutboxOverview(
        runs=runs,
        last_run_at=last,
        alive=last is not None and now - last <= ALIVE_WITHIN,
        pending=_count(Reminder.status.in_([ReminderStatus.PENDING, ReminderStatus.SENDING])),
        sent_last_day=_count(
            sa.and_(
                Reminder.status == ReminderStatus.SENT, Reminder.sent_at > now - timedelta(days=1)
            )
        ),
        failed=_messages(failed, Reminder.remind_at.desc()),
        failed_total=_count(failed),
        retrying=_messages(retrying, Reminder.next_attempt_at),
        retrying_total=_count(retrying),
    )
