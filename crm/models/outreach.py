"""Materials disseminated and the outreach logged against commitment sub-items."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import (
    Base,
    StrEnum,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_type,
)
from crm.models.framework import CommitmentItem
from crm.models.register import Organisation, Person, SoftDeleteMixin


class MaterialKind(StrEnum):
    GUIDELINES = "guidelines"
    TRAINING_MODULE = "training-module"
    POSITION_PAPER = "position-paper"
    POLICY_RECOMMENDATIONS = "policy-recommendations"
    HELP_DESK = "help-desk"
    OTHER = "other"


class Audience(StrEnum):
    """Whom a training module was written for (the roles of ``PositionRole`` it serves)."""

    EMPLOYER_OWNER = "employer-owner"
    MANAGER = "manager"
    EMPLOYEE = "employee"
    WORKER_REPRESENTATIVE = "worker-representative"
    ASSOCIATION_STAFF = "association-staff"

    @property
    def label(self) -> str:
        return AUDIENCE_LABELS[self]


AUDIENCE_LABELS = {
    Audience.EMPLOYER_OWNER: "Employers and owners",
    Audience.MANAGER: "Managers",
    Audience.EMPLOYEE: "Employees",
    Audience.WORKER_REPRESENTATIVE: "Worker representatives",
    Audience.ASSOCIATION_STAFF: "Association staff",
}


class Channel(StrEnum):
    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    MAILING = "mailing"
    WEBINAR = "webinar"
    TRAINING = "training"
    HELP_DESK = "help-desk"
    SOCIAL_MEDIA = "social-media"
    PUBLICATION = "publication"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.EMAIL: "E-mail",
    Channel.CALL: "Phone or video call",
    Channel.MEETING: "Meeting or visit",
    Channel.MAILING: "Mailing or newsletter",
    Channel.WEBINAR: "Webinar",
    Channel.TRAINING: "Training session",
    Channel.HELP_DESK: "Help-desk request",
    Channel.SOCIAL_MEDIA: "Social media",
    Channel.PUBLICATION: "Publication",
}


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Outcome(StrEnum):
    INFORMED = "informed"
    INTERESTED = "interested"
    COMMITTED = "committed"
    DECLINED = "declined"
    NO_RESPONSE = "no-response"


class Material(TimestampMixin, VersionedMixin, Base):
    """Something the programme disseminates. Retired, never deleted: past outreach keeps it."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The programme's own materials carry the key `crm seed` knows them by; others none.
    key: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    kind: Mapped[MaterialKind] = mapped_column(enum_type(MaterialKind))
    title: Mapped[str] = mapped_column(sa.String(300))
    language_code: Mapped[str | None] = mapped_column(sa.ForeignKey("languages.code"))
    url: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    retired_at: Mapped[datetime | None]

    # Training modules: the audiences they were written for (one module can serve several).
    audience_rows: Mapped[list[MaterialAudience]] = relationship(
        cascade="all, delete-orphan", order_by="MaterialAudience.audience"
    )

    @property
    def audiences(self) -> list[Audience]:
        return [row.audience for row in self.audience_rows]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class MaterialAudience(Base):
    __tablename__ = "material_audiences"

    material_id: Mapped[int] = mapped_column(
        sa.ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[Audience] = mapped_column(enum_type(Audience), primary_key=True)


def _outreach_link(name: str, column: str, target: str) -> sa.Table:
    """Association of outreach records with ``target`` rows (people, sub-items, ...)."""
    return sa.Table(
        name,
        Base.metadata,
        sa.Column(
            "outreach_id",
            sa.ForeignKey("outreach_records.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            column, sa.ForeignKey(f"{target}.id", ondelete="CASCADE"), primary_key=True, index=True
        ),
    )


outreach_people = _outreach_link("outreach_people", "person_id", "people")
# The organisation the person held a position at on the day of the outreach, stored when it
# is logged: the person counts for it, and a later change of job does not rewrite history.
outreach_people.append_column(
    sa.Column(
        "organisation_id",
        sa.ForeignKey("organisations.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    )
)
outreach_organisations = _outreach_link(
    "outreach_organisations", "organisation_id", "organisations"
)
outreach_subitems = _outreach_link("outreach_subitems", "commitment_item_id", "commitment_items")
outreach_materials = _outreach_link("outreach_materials", "material_id", "materials")


# The live records in the list's order (newest first): the unfiltered list and a period
# read their page and capped count from this index alone.
LIVE_OUTREACH = "deleted_at IS NULL"
DELETED_OUTREACH = "deleted_at IS NOT NULL"


class Outreach(TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    """One act of engagement: a call, a mailing, a visit, a training session, a help-desk answer."""

    __tablename__ = "outreach_records"
    __table_args__ = (
        sa.Index(
            "ix_outreach_records_live_occurred_at",
            "occurred_at",
            "id",
            sqlite_where=sa.text(LIVE_OUTREACH),
            postgresql_where=sa.text(LIVE_OUTREACH),
        ),
        # "Logged by me" and one channel, newest first: their pages and counts in order.
        sa.Index(
            "ix_outreach_records_live_logged_by_occurred_at",
            "logged_by_id",
            "occurred_at",
            "id",
            sqlite_where=sa.text(LIVE_OUTREACH),
            postgresql_where=sa.text(LIVE_OUTREACH),
        ),
        sa.Index(
            "ix_outreach_records_live_channel_occurred_at",
            "channel",
            "occurred_at",
            "id",
            sqlite_where=sa.text(LIVE_OUTREACH),
            postgresql_where=sa.text(LIVE_OUTREACH),
        ),
        # The admins' list of deleted records: few, found without reading the live ones.
        sa.Index(
            "ix_outreach_records_deleted_occurred_at",
            "occurred_at",
            "id",
            sqlite_where=sa.text(DELETED_OUTREACH),
            postgresql_where=sa.text(DELETED_OUTREACH),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel), index=True)
    direction: Mapped[Direction] = mapped_column(enum_type(Direction), default=Direction.OUTBOUND)
    subject: Mapped[str] = mapped_column(sa.String(300))
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    logged_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    # Who was reached, each with the organisation they counted for: written through
    # ``person_links`` (the outreach service computes the organisation); ``people`` reads.
    person_links: Mapped[list[OutreachPerson]] = relationship(
        back_populates="outreach", cascade="all, delete-orphan", passive_deletes=True
    )
    people: Mapped[list[Person]] = relationship(
        secondary=outreach_people, viewonly=True, order_by=(Person.sort_name, Person.id)
    )
    organisations: Mapped[list[Organisation]] = relationship(secondary=outreach_organisations)
    subitems: Mapped[list[CommitmentItem]] = relationship(secondary=outreach_subitems)
    materials: Mapped[list[Material]] = relationship(secondary=outreach_materials)
    event = relationship("Event", back_populates="outreach")
    logged_by = relationship("User")


class OutreachPerson(Base):
    """A person reached by an outreach, and the organisation they counted for on its day.

    Mapped on the ``outreach_people`` table, so that the organisation can be written with
    the link; it stays as it was stored when the person later changes job.
    """

    __table__ = outreach_people

    outreach_id: Mapped[int]
    person_id: Mapped[int]
    organisation_id: Mapped[int | None]

    outreach: Mapped[Outreach] = relationship(back_populates="person_links")
    person: Mapped[Person] = relationship()
    # The organisation they counted for (not necessarily one of the outreach's own).
    organisation: Mapped[Organisation | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutreachPerson {self.outreach_id}/{self.person_id} at {self.organisation_id}>"


def _people_are_read_only(*_args: object, **_kwargs: object) -> None:
    """``Outreach.people`` only reads: a write there would be dropped without a word, and
    the person would lose the organisation they counted for. Links go in ``person_links``."""
    raise TypeError(
        "Outreach.people is read-only: add OutreachPerson rows to Outreach.person_links "
        "(the outreach service does, with the organisation each person counted for)"
    )


for _change in ("append", "remove", "bulk_replace"):
    event.listen(Outreach.people, _change, _people_are_read_only)

# Derived data for the outreach list (crm.services.outreach.facets keeps it current): one row
# per live record and facet it has, in time order within a facet, so that a filtered list
# reads its page and capped count from one range of the primary key. Facets: "i:ID" for each
# sub-item of the record and each item and commitment above them, "c:CC" and "k:KIND" for
# each country and stakeholder kind reached (an organisation directly, or the one a person
# counted for), and "i:ID c:CC" for each sub-item with each country.
outreach_facets = sa.Table(
    "outreach_facets",
    Base.metadata,
    sa.Column("facet", sa.String(40), primary_key=True),
    sa.Column("occurred_at", UTCDateTime(), primary_key=True),
    sa.Column(
        "outreach_id",
        sa.ForeignKey("outreach_records.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sqlite_with_rowid=False,
)
