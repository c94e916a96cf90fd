"""Follow-ups, the e-mail reminders the scheduler sends for them, and its runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type, utcnow


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ReminderKind(StrEnum):
    """What a message of the outbox is: the reminder of a follow-up falling due, the daily
    digest of a user's overdue and today's follow-ups, the notice of a follow-up newly
    assigned to someone, or the weekly digest of coverage gaps to coordinators."""

    DUE = "due"
    DIGEST = "digest"
    ASSIGNED = "assigned"
    COVERAGE_DIGEST = "coverage-digest"


# The kinds of message that are about a day (a digest's; the weekly one's: its Monday), not
# about a follow-up.
DAY_KINDS = "('digest', 'coverage-digest')"


class ReminderStatus(StrEnum):
    PENDING = "pending"  # waiting for remind_at (or next_attempt_at after a failed attempt)
    SENDING = "sending"  # claimed: a dispatcher holds it until lease_expires_at
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # given up after the last attempt; an admin may retry it
    CANCELLED = "cancelled"  # no longer wanted (follow-up done, cancelled, moved, reassigned)


class FollowUp(TimestampMixin, VersionedMixin, Base):
    """Something to do by a date, about a stakeholder, an outreach record or an event.

    Due on a day (``due_time`` None) or at a time of day, read in ``due_zone`` (the assignee's
    time zone when it was set); ``due_at`` is that moment in UTC (a day: its start), the
    order of every list and what reminders are planned from."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    due_at: Mapped[datetime] = mapped_column(index=True)
    due_date: Mapped[date] = mapped_column(sa.Date)
    due_time: Mapped[time | None] = mapped_column(sa.Time)
    due_zone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[FollowUpStatus] = mapped_column(
        enum_type(FollowUpStatus), default=FollowUpStatus.OPEN, index=True
    )
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    assignee_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    outreach_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outreach_records.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    # The outreach logged when it was completed ("completing one can log the resulting
    # outreach in the same step").
    resulting_outreach_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outreach_records.id", ondelete="SET NULL")
    )

    assignee = relationship("User", foreign_keys=[assignee_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    person = relationship("Person")
    organisation = relationship("Organisation")
    outreach = relationship("Outreach", foreign_keys=[outreach_id])
    resulting_outreach = relationship("Outreach", foreign_keys=[resulting_outreach_id])
    event = relationship("Event")
    subitems = relationship("CommitmentItem", secondary="follow_up_subitems")
    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL)", name="completed_when_done"
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)",
            name="cancelled_when_cancelled",
        ),
        # "My follow-ups": an assignee's open ones in due order.
        sa.Index("ix_follow_ups_assignee_status_due_at", "assignee_id", "status", "due_at"),
    )


# The sub-items a follow-up serves (copied from its outreach record when it is the next
# step of one): the coordinators' view of the team's follow-ups by sub-item.
follow_up_subitems = sa.Table(
    "follow_up_subitems",
    Base.metadata,
    sa.Column("follow_up_id", sa.ForeignKey("follow_ups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "commitment_item_id",
        sa.ForeignKey("commitment_items.id", ondelete="RESTRICT"),
        primary_key=True,
        index=True,
    ),
)


class Reminder(Base):
    """One e-mail to send at ``remind_at``: a row, not a scheduler job, so no run is lost.

    ``key`` is unique: one row per (follow-up or digest day, recipient, kind), e.g.
    ``due:42:7:20261208T0800Z`` (follow-up 42, user 7, for the due time it was planned for),
    ``digest:7:2026-12-08``, ``assigned:42:7:3`` (the follow-up's version). A dispatcher claims
    a row (status ``sending``, a lease until ``lease_expires_at``) in a committed transaction
    before it talks to the SMTP server, and marks it ``sent`` only once the server accepted it;
    a lease that ran out (the claimer died) makes the row claimable again. ``message_id``
    comes from the row, so a message sent again after such a death carries the same
    Message-ID and mail clients show it once."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_type(ReminderKind))
    follow_up_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    digest_day: Mapped[date | None] = mapped_column(sa.Date)  # digests: the recipient's day
    remind_at: Mapped[datetime]
    status: Mapped[ReminderStatus] = mapped_column(
        enum_type(ReminderStatus), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]  # after a failed attempt: not before this
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))  # host:pid of the claimer
    lease_expires_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(250))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    follow_up: Mapped[FollowUp | None] = relationship(back_populates="reminders")
    recipient = relationship("User")

    __table_args__ = (
        # The dispatcher's scan: what is pending and due, or claimed with a lease run out.
        sa.Index("ix_reminders_status_remind_at", "status", "remind_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.CheckConstraint(
            f"(kind IN {DAY_KINDS}) = (digest_day IS NOT NULL)", name="digest_has_a_day"
        ),
        sa.CheckConstraint(
            f"(kind IN {DAY_KINDS}) OR (follow_up_id IS NOT NULL)",
            name="reminder_has_a_follow_up",
        ),
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_when_sent"),
    )


def due_moment(day: date, at: time | None, zone: str) -> datetime:
    """The UTC moment a follow-up is due: ``day`` at ``at`` in ``zone``, or the start of
    ``day`` there when it is due on a day. (Whether that local time exists, the services
    check: see ``checks.local_to_utc``.)"""
    return datetime.combine(day, at or time(0), ZoneInfo(zone)).astimezone(UTC)


def due_fields(at: datetime, zone: str = "UTC") -> dict[str, object]:
    """The four due columns of a follow-up due at the moment ``at``, read in ``zone``."""
    local = at.astimezone(ZoneInfo(zone))
    return {
        "due_at": at.astimezone(UTC),
        "due_date": local.date(),
        "due_time": local.time().replace(tzinfo=None),
        "due_zone": zone,
    }


def due_key(follow_up_id: int, recipient_id: int, due_at: datetime) -> str:
    """The key of the reminder that a follow-up falls due, for the due time it was planned
    for: moving the due date after it was sent plans a new one."""
    return f"due:{follow_up_id}:{recipient_id}:{due_at.astimezone(UTC):%Y%m%dT%H%MZ}"


def digest_key(recipient_id: int, day: date) -> str:
    """The key of a user's digest of one day (their own calendar day)."""
    return f"digest:{recipient_id}:{day.isoformat()}"


def coverage_digest_key(recipient_id: int, day: date) -> str:
    """The key of a coordinator's weekly coverage digest: one per ISO week of ``day``
    (``coverage:7:2026-W49``)."""
    year, week, _weekday = day.isocalendar()
    return f"coverage:{recipient_id}:{year}-W{week:02d}"


def assigned_key(follow_up_id: int, recipient_id: int, version: int) -> str:
    """The key of the notice that a follow-up was assigned to someone (at that version)."""
    return f"assigned:{follow_up_id}:{recipient_id}:{version}"


class SchedulerRun(Base):
    """One run of a scheduled job (``crm scheduler`` or ``crm reminders send-due``): the admin
    page shows when the scheduler last ran and what it sent."""

    __tablename__ = "scheduler_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    runner: Mapped[str] = mapped_column(sa.String(200))  # host:pid
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
