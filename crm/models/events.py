"""Sectoral events, the sub-items they serve and who took part."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type
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
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    organiser_organisation: Mapped[Organisation | None] = relationship()
    subitems: Mapped[list[CommitmentItem]] = relationship(secondary=event_subitems)
    participants: Mapped[list[EventParticipant]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    outreach = relationship("Outreach", back_populates="event")

    __table_args__ = (
        sa.CheckConstraint(
            "(is_all_day AND start_date IS NOT NULL AND end_date IS NOT NULL"
            " AND end_date >= start_date)"
            " OR (NOT is_all_day AND starts_at IS NOT NULL AND ends_at IS NOT NULL"
            " AND ends_at >= starts_at)",
            name="dates_consistent",
        ),
    )


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
