"""Follow-ups and the e-mail reminders the scheduler sends for them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class FollowUp(TimestampMixin, VersionedMixin, Base):
    """Something to do by a date, about a stakeholder, an outreach record or an event."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[FollowUpStatus] = mapped_column(
        enum_type(FollowUpStatus), default=FollowUpStatus.OPEN, index=True
    )
    completed_at: Mapped[datetime | None]
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

    assignee = relationship("User", foreign_keys=[assignee_id])
    person = relationship("Person")
    organisation = relationship("Organisation")
    outreach = relationship("Outreach")
    event = relationship("Event")
    reminders: Mapped[list[Reminder]] = relationship(
        back_populates="follow_up", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL)", name="completed_when_done"
        ),
    )


class Reminder(Base):
    """One e-mail to send at ``remind_at``; a row, not a scheduler job, so no run is lost."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(sa.ForeignKey("follow_ups.id", ondelete="CASCADE"))
    remind_at: Mapped[datetime]
    status: Mapped[ReminderStatus] = mapped_column(
        enum_type(ReminderStatus), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    follow_up: Mapped[FollowUp] = relationship(back_populates="reminders")

    __table_args__ = (
        sa.UniqueConstraint("follow_up_id", "remind_at"),
        sa.Index("ix_reminders_status_remind_at", "status", "remind_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )
