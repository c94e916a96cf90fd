"""Targets per sub-item and period, e.g. "engage 12 national associations in 2027"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type
from crm.models.register import OrganisationKind, SizeClass


class TargetMetric(StrEnum):
    ORGANISATIONS_ENGAGED = "organisations-engaged"  # distinct organisations reached directly
    SMES_REACHED = "smes-reached"  # distinct enterprises of the chosen size classes
    PEOPLE_REACHED = "people-reached"
    OUTREACH_LOGGED = "outreach-logged"
    EVENTS_ATTENDED = "events-attended"
    COUNTRIES_COVERED = "countries-covered"  # distinct countries of organisations reached


# One bit per size class: a set of them is one small integer, so that it can take part in
# the unique index of targets (one target per sub-item, period, metric and narrowing).
SIZE_CLASS_BITS = {
    SizeClass.MICRO: 1,
    SizeClass.SMALL: 2,
    SizeClass.MEDIUM: 4,
    SizeClass.LARGE: 8,
}
SMES = frozenset({SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM})


def size_class_mask(classes: Iterable[SizeClass]) -> int:
    return sum(SIZE_CLASS_BITS[SizeClass(value)] for value in set(classes))


class SizeClassSet(sa.TypeDecorator[frozenset[SizeClass]]):
    """A set of SME size classes, stored as a bit set (0: no narrowing by size)."""

    impl = sa.SmallInteger
    cache_ok = True

    def process_bind_param(self, value: Iterable[SizeClass] | None, dialect: Dialect) -> int | None:
        return None if value is None else size_class_mask(value)

    def process_result_value(self, value: int | None, dialect: Dialect) -> frozenset[SizeClass]:
        mask = value or 0
        return frozenset(size for size, bit in SIZE_CLASS_BITS.items() if mask & bit)


class Target(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitment_items.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[date]
    period_end: Mapped[date]
    metric: Mapped[TargetMetric] = mapped_column(enum_type(TargetMetric))
    # Optional narrowing: only national associations, only SMEs of some size classes, ...
    organisation_kind: Mapped[OrganisationKind | None] = mapped_column(enum_type(OrganisationKind))
    size_classes: Mapped[frozenset[SizeClass]] = mapped_column(
        SizeClassSet(), default=frozenset, server_default=sa.text("0")
    )
    target_value: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(300), default="")

    commitment_item = relationship("CommitmentItem")

    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period_not_reversed"),
        sa.CheckConstraint("target_value > 0", name="target_value_positive"),
        sa.CheckConstraint("size_classes BETWEEN 0 AND 15", name="size_classes_known"),
        # One target per (sub-item, period, metric, narrowing): no kind is a narrowing of its
        # own, which a plain unique index would not see (NULLs differ), hence two partial ones.
        sa.Index(
            "uq_targets_narrowed_by_kind",
            "commitment_item_id",
            "period_start",
            "period_end",
            "metric",
            "organisation_kind",
            "size_classes",
            unique=True,
            sqlite_where=sa.text("organisation_kind IS NOT NULL"),
            postgresql_where=sa.text("organisation_kind IS NOT NULL"),
        ),
        sa.Index(
            "uq_targets_not_narrowed_by_kind",
            "commitment_item_id",
            "period_start",
            "period_end",
            "metric",
            "size_classes",
            unique=True,
            sqlite_where=sa.text("organisation_kind IS NULL"),
            postgresql_where=sa.text("organisation_kind IS NULL"),
        ),
    )
