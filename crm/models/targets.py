"""Targets per sub-item and period, e.g. "engage 12 national associations in 2027"."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type
from crm.models.register import OrganisationKind, SizeClass


class TargetMetric(StrEnum):
    ORGANISATIONS_ENGAGED = "organisations-engaged"
    PEOPLE_REACHED = "people-reached"
    OUTREACH_LOGGED = "outreach-logged"
    EVENTS_ATTENDED = "events-attended"


class Target(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("commitment_items.id", ondelete="CASCADE"), index=True
    )
    period_start: Mapped[date]
    period_end: Mapped[date]
    metric: Mapped[TargetMetric] = mapped_column(enum_type(TargetMetric))
    # Optional narrowing: only national associations, only SMEs of a size class, ...
    organisation_kind: Mapped[OrganisationKind | None] = mapped_column(enum_type(OrganisationKind))
    size_classes: Mapped[str | None] = mapped_column(sa.String(40))  # e.g. "micro,small,medium"
    target_value: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(300), default="")

    commitment_item = relationship("CommitmentItem")

    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period_not_reversed"),
        sa.CheckConstraint("target_value > 0", name="target_value_positive"),
    )

    @property
    def size_class_list(self) -> list[SizeClass]:
        return [SizeClass(v) for v in (self.size_classes or "").split(",") if v]
