"""The commitment framework: a programme's commitments and their (sub-)items, kept as data."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, TimestampMixin


class Framework(TimestampMixin, Base):
    __tablename__ = "frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    source: Mapped[str] = mapped_column(sa.String(300), default="")

    items: Mapped[list[CommitmentItem]] = relationship(
        back_populates="framework", order_by="CommitmentItem.sort_order"
    )


class CommitmentItem(TimestampMixin, Base):
    """A commitment (``1``), an item (``1.3``) or a sub-item (``1.3a``).

    Outreach and events are logged against the leaves; reports roll leaves up to their parents.
    """

    __tablename__ = "commitment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        sa.ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("commitment_items.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.String(500))
    sort_order: Mapped[int] = mapped_column(default=0)

    framework: Mapped[Framework] = relationship(back_populates="items")
    parent: Mapped[CommitmentItem | None] = relationship(
        remote_side=[id], back_populates="children"
    )
    children: Mapped[list[CommitmentItem]] = relationship(
        back_populates="parent", order_by="CommitmentItem.sort_order"
    )

    __table_args__ = (sa.UniqueConstraint("framework_id", "code"),)

    def __repr__(self) -> str:
        return f"<CommitmentItem {self.code}>"
