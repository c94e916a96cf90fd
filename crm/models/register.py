"""The stakeholder register: organisations, their links, people and their positions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.clock import local_today
from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type, utcnow
from crm.models.vocab import Tag


class OrganisationKind(StrEnum):
    NATIONAL_ASSOCIATION = "national-association"
    AFFILIATE = "affiliate"
    ENTERPRISE = "enterprise"
    VALUE_CHAIN_PARTNER = "value-chain-partner"
    POLICY_BODY = "policy-body"
    OTHER = "other"


class SizeClass(StrEnum):
    """EU SME size class by headcount (Recommendation 2003/361/EC), with its turnover ceiling."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class ValueChainRole(StrEnum):
    SUPPLIER = "supplier"
    COMPONENT_MAKER = "component-maker"
    DISTRIBUTOR = "distributor"
    USER_INDUSTRY = "user-industry"
    SERVICE_PROVIDER = "service-provider"
    TRAINING_PROVIDER = "training-provider"


class PolicyBodyType(StrEnum):
    EU_INSTITUTION = "eu-institution"
    NATIONAL_MINISTRY = "national-ministry"
    REGIONAL_AUTHORITY = "regional-authority"
    LOCAL_AUTHORITY = "local-authority"
    AGENCY = "agency"


class PolicyLevel(StrEnum):
    EU = "eu"
    NATIONAL = "national"
    REGIONAL = "regional"
    LOCAL = "local"


class OtherCategory(StrEnum):
    TRADE_UNION = "trade-union"
    RESEARCH_EDUCATION = "research-education"
    NGO = "ngo"
    MEDIA = "media"


class LinkType(StrEnum):
    AFFILIATE_OF = "affiliate-of"
    MEMBER_OF = "member-of"
    SUPPLIER_TO = "supplier-to"
    CUSTOMER_OF = "customer-of"
    PARTNER_OF = "partner-of"
    SUBSIDIARY_OF = "subsidiary-of"


class PositionRole(StrEnum):
    """Roles that decide which training audience a person belongs to."""

    EMPLOYER_OWNER = "employer-owner"
    MANAGER = "manager"
    EMPLOYEE = "employee"
    WORKER_REPRESENTATIVE = "worker-representative"
    ASSOCIATION_STAFF = "association-staff"
    POLICY_MAKER = "policy-maker"
    OTHER = "other"


class LawfulBasis(StrEnum):
    CONSENT = "consent"
    LEGITIMATE_INTEREST = "legitimate-interest"
    CONTRACT = "contract"
    PUBLIC_TASK = "public-task"


organisation_tags = sa.Table(
    "organisation_tags",
    Base.metadata,
    sa.Column(
        "organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

person_tags = sa.Table(
    "person_tags",
    Base.metadata,
    sa.Column("person_id", sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SoftDeleteMixin:
    """Deleted records stay in place (an admin can restore them) and drop out of lists."""

    deleted_at: Mapped[datetime | None]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Organisation(TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # Lower-case, accent-free, punctuation-free form for search and duplicate detection.
    name_normalised: Mapped[str] = mapped_column(sa.String(200), index=True)
    acronym: Mapped[str | None] = mapped_column(sa.String(40))
    kind: Mapped[OrganisationKind] = mapped_column(enum_type(OrganisationKind), index=True)
    country_code: Mapped[str] = mapped_column(sa.ForeignKey("countries.code"), index=True)
    city: Mapped[str | None] = mapped_column(sa.String(120))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    language_code: Mapped[str | None] = mapped_column(sa.ForeignKey("languages.code"))
    # Enterprises: the figures the size class derives from. The class is stored so that lists
    # can filter and index on it; services recompute it whenever headcount or turnover change.
    headcount: Mapped[int | None]
    turnover_eur: Mapped[Decimal | None] = mapped_column(sa.Numeric(16, 2))
    size_class: Mapped[SizeClass | None] = mapped_column(enum_type(SizeClass), index=True)
    value_chain_role: Mapped[ValueChainRole | None] = mapped_column(enum_type(ValueChainRole))
    policy_body_type: Mapped[PolicyBodyType | None] = mapped_column(enum_type(PolicyBodyType))
    policy_level: Mapped[PolicyLevel | None] = mapped_column(enum_type(PolicyLevel))
    other_category: Mapped[OtherCategory | None] = mapped_column(enum_type(OtherCategory))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    responsible_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set by a merge: the record this one was merged into, where its page now leads. No
    # foreign key: adding one on SQLite means copying the table (see migration a3e0c0de0003).
    merged_into_id: Mapped[int | None]

    responsible_officer = relationship("User", foreign_keys=[responsible_officer_id])
    tags: Mapped[list[Tag]] = relationship(secondary=organisation_tags)
    positions: Mapped[list[Position]] = relationship(back_populates="organisation")

    __table_args__ = (
        sa.CheckConstraint("headcount IS NULL OR headcount >= 0", name="headcount_not_negative"),
        sa.CheckConstraint(
            "turnover_eur IS NULL OR turnover_eur >= 0", name="turnover_not_negative"
        ),
        sa.CheckConstraint("length(trim(name)) > 0", name="name_not_blank"),
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OrganisationLink(TimestampMixin, VersionedMixin, Base):
    """A directed link: ``source`` is <link type> ``target`` (an affiliate of an association)."""

    __tablename__ = "organisation_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    link_type: Mapped[LinkType] = mapped_column(enum_type(LinkType))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    source: Mapped[Organisation] = relationship(foreign_keys=[source_id])
    target: Mapped[Organisation] = relationship(foreign_keys=[target_id])

    __table_args__ = (
        sa.CheckConstraint("source_id <> target_id", name="not_self"),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name="ends_not_before_start",
        ),
    )


# The people every list shows: the predicate of the lists' partial indexes, which the lists'
# queries repeat word for word, so both databases read their order and count from the index
# alone (erased people are left out of lists, as they are of exports and searches).
LIVE_PEOPLE = "deleted_at IS NULL AND erased_at IS NULL"


def person_name(first_name: str, last_name: str) -> str:
    """A person's name as the pages show it (also for rows read without the ORM)."""
    return f"{first_name} {last_name}".strip()


class Person(TimestampMixin, VersionedMixin, SoftDeleteMixin, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100))
    # Lower-case, accent-free "first last" for search and duplicate detection.
    name_normalised: Mapped[str] = mapped_column(sa.String(210), index=True)
    # Lower-case, accent-free "last first": the order of every list of people, the same on
    # both databases ("Özdemir" between "Ozawa" and "Ozols", not after "Zweig"). The server
    # default only serves the migration that added it; the services always set it.
    sort_name: Mapped[str] = mapped_column(sa.String(210), server_default=sa.text("''"))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    email_normalised: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("countries.code"))
    language_code: Mapped[str | None] = mapped_column(sa.ForeignKey("languages.code"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    lawful_basis: Mapped[LawfulBasis] = mapped_column(enum_type(LawfulBasis))
    lawful_basis_source: Mapped[str] = mapped_column(sa.String(300), default="")
    # Kept out of exports and mailings (GDPR art. 18).
    is_restricted: Mapped[bool] = mapped_column(default=False)
    erased_at: Mapped[datetime | None]
    responsible_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Set by a merge: the record this one was merged into, where its page now leads. No
    # foreign key: adding one on SQLite means copying the table (see migration a3e0c0de0003).
    merged_into_id: Mapped[int | None]

    responsible_officer = relationship("User", foreign_keys=[responsible_officer_id])
    tags: Mapped[list[Tag]] = relationship(secondary=person_tags)
    positions: Mapped[list[Position]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Position.starts_on"
    )

    __table_args__ = (
        # One live person per normalised e-mail; deleted records may share it.
        sa.Index(
            "uq_people_email_normalised_live",
            "email_normalised",
            unique=True,
            sqlite_where=sa.text("deleted_at IS NULL"),
            postgresql_where=sa.text("deleted_at IS NULL"),
        ),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR length(trim(first_name || last_name)) > 0",
            name="name_not_blank",
        ),
        # Restricted people are few: the lists say how many an export leaves out by reading
        # this index instead of the people table.
        sa.Index(
            "ix_people_restricted",
            "id",
            sqlite_where=sa.text("is_restricted = 1"),
            postgresql_where=sa.text("is_restricted"),
        ),
        # The people list's default order, read straight from the index (10 ms, not 200 ms,
        # for the first page of 100,000 people). Partial: PostgreSQL reads an order from an
        # index only after equality conditions, and "deleted_at IS NULL" is not one.
        sa.Index(
            "ix_people_live_sort_name",
            "sort_name",
            "id",
            sqlite_where=sa.text(LIVE_PEOPLE),
            postgresql_where=sa.text(LIVE_PEOPLE),
        ),
        # The same for one country, the filter used most: 21,389 Germans at scale 100 were
        # sorted on every page (30 ms); now their first page is read in order.
        sa.Index(
            "ix_people_live_country_sort_name",
            "country_code",
            "sort_name",
            "id",
            sqlite_where=sa.text(LIVE_PEOPLE),
            postgresql_where=sa.text(LIVE_PEOPLE),
        ),
    )

    @property
    def full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.full_name!r}>"


class Position(TimestampMixin, VersionedMixin, Base):
    """A person's role at an organisation over a period (``ends_on`` empty: still held)."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[PositionRole] = mapped_column(enum_type(PositionRole))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]

    person: Mapped[Person] = relationship(back_populates="positions")
    organisation: Mapped[Organisation] = relationship(back_populates="positions")

    __table_args__ = (
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
            name="ends_not_before_start",
        ),
        # Covers "people at these organisations" (search) without reading the rows.
        sa.Index("ix_positions_organisation_person", "organisation_id", "person_id"),
    )

    @property
    def is_current(self) -> bool:
        return self.ends_on is None or self.ends_on >= local_today()


class DuplicateKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class DuplicateDecision(Base):
    """Two records a user said are different stakeholders, so they are not paired again.

    The pair is stored in id order (``first_id < second_id``): one row per pair, whichever
    way round it was shown.
    """

    __tablename__ = "duplicate_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DuplicateKind] = mapped_column(enum_type(DuplicateKind))
    first_id: Mapped[int]
    second_id: Mapped[int]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("kind", "first_id", "second_id"),
        sa.CheckConstraint("first_id < second_id", name="ordered_pair"),
    )
