"""Data protection: consent records (append-only), erased people's e-mail hashes, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, enum_type, utcnow


class ConsentPurpose(StrEnum):
    NEWSLETTER = "newsletter"
    EVENT_INVITATIONS = "event-invitations"
    TRAINING_OFFERS = "training-offers"
    CONTACT_RECORD = "contact-record"


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentRecord(Base):
    """A consent given or withdrawn. Never updated or deleted: a change is a new record."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_type(ConsentPurpose))
    status: Mapped[ConsentStatus] = mapped_column(enum_type(ConsentStatus))
    source: Mapped[str] = mapped_column(sa.String(300))
    given_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    person = relationship("Person")


class ErasedEmailHash(Base):
    """A keyed hash of one e-mail an erased person had, former ones included, so that an
    import or a form bringing any of them back is recognised (``erased_with_email``).

    One row per e-mail, not a column of the person: people change addresses, and a merged
    duplicate brings its own. The same hash may belong to two erased records.
    """

    __tablename__ = "erased_email_hashes"

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    email_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True, index=True)


@sa.event.listens_for(ConsentRecord, "before_update")
def _refuse_consent_update(mapper: Any, connection: Any, target: ConsentRecord) -> None:
    raise ValueError("consent records are append-only: record a new consent instead")


@sa.event.listens_for(ConsentRecord, "before_delete")
def _refuse_consent_delete(mapper: Any, connection: Any, target: ConsentRecord) -> None:
    raise ValueError("consent records are append-only and cannot be deleted")
