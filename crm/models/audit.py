"""The audit log: who did what to which record, and the list of what can be done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.models.base import Base, StrEnum, enum_type, utcnow


class AuditAction(StrEnum):
    """Everything the audit log records. A new kind of change gets a member here (and a
    migration: the column is limited to these values, like every enum of the models)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    MERGE = "merge"
    MERGED_INTO = "merged-into"
    NOT_DUPLICATE = "not-duplicate"
    ADD_POSITION = "add-position"
    END_POSITION = "end-position"
    ADD_LINK = "add-link"
    END_LINK = "end-link"
    CONSENT = "consent"
    RESTRICT = "restrict"
    LIFT_RESTRICTION = "lift-restriction"
    LAWFUL_BASIS = "lawful-basis"
    SUBJECT_ACCESS = "subject-access"
    ERASE = "erase"
    RETIRE = "retire"
    REINSTATE = "reinstate"
    COMPLETE = "complete"
    REOPEN = "reopen"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    POSTPONE = "postpone"
    CANCEL_OCCURRENCE = "cancel-occurrence"
    MOVE_OCCURRENCE = "move-occurrence"
    RESTORE_OCCURRENCE = "restore-occurrence"
    ADD_PARTICIPANT = "add-participant"
    UPDATE_PARTICIPANT = "update-participant"
    REMOVE_PARTICIPANT = "remove-participant"
    FEED_TOKEN = "feed-token"
    REVOKE_FEED_TOKEN = "revoke-feed-token"
    PASSWORD_CHANGE = "password-change"
    DEMO = "demo"


class AuditEntry(Base):
    """Who did what to which record, with the fields changed as ``{field: [old, new]}``."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    changes: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    summary: Mapped[str] = mapped_column(sa.String(500), default="")

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_audit_log_entity", "entity_type", "entity_id", "at"),)
