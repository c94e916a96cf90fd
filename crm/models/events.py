"""Sectoral events, the sub-items they serve and who took part."""

from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.models.framework import CommitmentItem
from crm.models.register import Organisation, Person, SoftDeleteMixin


class EventKind(StrEnum):
    TRADE_FAIR = "trade-fair"
    CONFERENCE = "conference"
    WORKSHOP = "workshop"
    TRAINING_COURSE = "training-course"
    WEBINAR = "webinar"
    POLICY_ROUND_TABLE = "policy-round-table"
    GENERAL_ASSEMBLY = "general-assembly"


class OurRole(StrEnum):
    ORGANISER = "organiser"
    SPEAKER = "speaker"
    EXHIBITOR = "exhibitor"
    ATTENDEE = "attendee"


class EventStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMED = "confirmed"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class DescriptionFormat(StrEnum):
    """How an event's description is written: plain text, or Markdown (shown through a
    sanitiser)."""

    TEXT = "text"
    MARKDOWN = "markdown"


class RecurrenceFreq(StrEnum):
    """How often a series repeats (``Event.recurrence_interval`` weeks or months apart)."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"


# What calendars know an event by (RFC 5545 UID): made once, never changed, so that a
# client that subscribed updates the event instead of showing a second one.
UID_DOMAIN = "mts-crm"


def new_event_uid() -> str:
    """A UID no other event has had: random, so a database rebuilt from scratch (ids counted
    anew) does not give a client's old events the UIDs of new ones."""
    return f"event-{secrets.token_hex(16)}@{UID_DOMAIN}"


class ParticipantRole(StrEnum):
    ORGANISER = "organiser"
    SPEAKER = "speaker"
    EXHIBITOR = "exhibitor"
    MODERATOR = "moderator"
    ATTENDEE = "attendee"


class Attendance(StrEnum):
    INVITED = "invited"
    REGISTERED = "registered"
    ATTENDED = "attended"
    NO_SHOW = "no-show"
    CANCELLED = "cancelled"


event_subitems = sa.Table(
    "event_subitems",
    Base.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "commitment_item_id",
        sa.ForeignKey("commitment_items.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Event(TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """A sectoral event, timed in its own time zone or all-day.

    Timed events keep ``starts_at``/``ends_at`` in UTC and the IANA ``timezone`` they are
    shown in; all-day events keep ``start_date``/``end_date`` (inclusive) instead.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind), index=True)
    is_all_day: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Europe/Brussels")
    start_date: Mapped[date | None] = mapped_column(index=True)
    end_date: Mapped[date | None]
    venue: Mapped[str | None] = mapped_column(sa.String(300))
    city: Mapped[str | None] = mapped_column(sa.String(120))
    country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    online_url: Mapped[str | None] = mapped_column(sa.String(500))
    organiser_name: Mapped[str | None] = mapped_column(sa.String(300))
    organiser_organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    our_role: Mapped[OurRole] = mapped_column(enum_type(OurRole))
    status: Mapped[EventStatus] = mapped_column(enum_type(EventStatus), default=EventStatus.PLANNED)
    is_published: Mapped[bool] = mapped_column(default=False, index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    description_format: Mapped[DescriptionFormat] = mapped_column(
        enum_type(DescriptionFormat),
        default=DescriptionFormat.TEXT,
        server_default=DescriptionFormat.TEXT.value,
    )
    uid: Mapped[str] = mapped_column(sa.String(255), default=new_event_uid)
    # RFC 5545 SEQUENCE, raised by the session hook of crm.services.events.sequence whenever
    # the time, the place or the status changes, or an occurrence is cancelled or moved.
    sequence: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    # When the status became cancelled (None otherwise): feeds keep it 30 days after.
    cancelled_at: Mapped[datetime | None]
    # A series: every ``recurrence_interval`` weeks or months from the first occurrence,
    # until a date (inclusive, the event's own zone) or for a count of occurrences.
    recurrence: Mapped[RecurrenceFreq | None] = mapped_column(enum_type(RecurrenceFreq))
    recurrence_interval: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))
    recurrence_until: Mapped[date | None]
    recurrence_count: Mapped[int | None]
    # From the first start to the last end of the event or of every occurrence of its series
    # (moved ones included; all-day days from midnight to midnight in ``timezone``), in UTC:
    # what lists filter periods by. Kept by the session hook of crm.services.events.sequence.
    span_starts_at: Mapped[datetime] = mapped_column(index=True)
    span_ends_at: Mapped[datetime] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    organiser_organisation: Mapped[Organisation | None] = relationship()
    subitems: Mapped[list[CommitmentItem]] = relationship(secondary=event_subitems)
    participants: Mapped[list[EventParticipant]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    outreach = relationship("Outreach", back_populates="event")
    occurrences: Mapped[list[EventOccurrence]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="EventOccurrence.id",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.CheckConstraint(
            "(is_all_day AND start_date IS NOT NULL AND end_date IS NOT NULL"
            " AND end_date >= start_date)"
            " OR (NOT is_all_day AND starts_at IS NOT NULL AND ends_at IS NOT NULL"
            " AND ends_at >= starts_at)",
            name="dates_consistent",
        ),
        sa.CheckConstraint("recurrence_interval BETWEEN 1 AND 12", name="recurrence_interval"),
        sa.CheckConstraint(
            "recurrence_count IS NULL OR recurrence_count BETWEEN 2 AND 200",
            name="recurrence_count",
        ),
        # A series ends, by a date or a count (one of them); a single event has neither.
        sa.CheckConstraint(
            "(recurrence IS NULL AND recurrence_until IS NULL AND recurrence_count IS NULL)"
            " OR (recurrence IS NOT NULL"
            " AND (recurrence_until IS NULL) <> (recurrence_count IS NULL))",
            name="series_ends",
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_when_cancelled"
        ),
        sa.Index("uq_events_uid", "uid", unique=True),
    )

    @property
    def is_series(self) -> bool:
        return self.recurrence is not None


class EventOccurrence(Base):
    """What changed for one occurrence of a series: cancelled, or moved to other times.

    The occurrence is named by what the rule gives it: ``original_start`` (the UTC instant)
    for a timed series, ``original_date`` for an all-day one; the moved times are all None
    when it is not moved.
    """

    __tablename__ = "event_occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    original_start: Mapped[datetime | None]
    original_date: Mapped[date | None]
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="occurrences")

    __table_args__ = (
        sa.UniqueConstraint("event_id", "original_start"),
        sa.UniqueConstraint("event_id", "original_date"),
        sa.CheckConstraint(
            "(original_start IS NULL) <> (original_date IS NULL)", name="one_original"
        ),
        sa.CheckConstraint(
            "(starts_at IS NULL) = (ends_at IS NULL) AND (start_date IS NULL) = (end_date IS NULL)"
            " AND (ends_at IS NULL OR ends_at >= starts_at)"
            " AND (end_date IS NULL OR end_date >= start_date)",
            name="moved_consistent",
        ),
    )

    @property
    def is_moved(self) -> bool:
        return self.starts_at is not None or self.start_date is not None


class EventParticipant(TimestampMixin, VersionedMixin, Base):
    """A person or an organisation (e.g. an exhibitor) taking part in an event."""

    __tablename__ = "event_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ParticipantRole] = mapped_column(
        enum_type(ParticipantRole), default=ParticipantRole.ATTENDEE
    )
    attendance: Mapped[Attendance] = mapped_column(
        enum_type(Attendance), default=Attendance.REGISTERED
    )

    event: Mapped[Event] = relationship(back_populates="participants")
    person: Mapped[Person | None] = relationship()
    organisation: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "person_id IS NOT NULL OR organisation_id IS NOT NULL", name="someone_takes_part"
        ),
        # A person takes part once; an organisation on its own (no person) once.
        sa.Index(
            "uq_event_participants_person",
            "event_id",
            "person_id",
            unique=True,
            sqlite_where=sa.text("person_id IS NOT NULL"),
            postgresql_where=sa.text("person_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_event_participants_organisation",
            "event_id",
            "organisation_id",
            unique=True,
            sqlite_where=sa.text("person_id IS NULL"),
            postgresql_where=sa.text("person_id IS NULL"),
        ),
    )
