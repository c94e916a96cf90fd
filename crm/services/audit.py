"""The audit log: one place that writes it."""

from __future__ import annotations

from typing import Any

from crm.extensions import db
from crm.models import AuditEntry, User


def record(
    action: str,
    entity_type: str,
    entity_id: int | None,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    summary: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_id=actor.id if actor is not None else None,
        changes=changes or {},
        summary=summary[:500],
    )
    db.session.add(entry)
    return entry
