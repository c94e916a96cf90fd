"""The audit log: one place that writes it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from crm.extensions import db
from crm.models import AuditAction, AuditEntry, User
from crm.services.text import iso_utc


def plain_value(value: object) -> Any:
    """A value as the audit log and exports keep it in JSON: enums by value, times, dates and
    times of day in ISO 8601, amounts exact, containers recursively."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):  # a time of day ("09:30"), as forms write it
        whole_minute = value.second == 0 and value.microsecond == 0
        return value.isoformat(timespec="minutes" if whole_minute else "auto")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    return value


def changes(
    before: Mapping[str, object],
    after: Mapping[str, object],
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``{name: [old, new]}`` of the fields that differ between two sets of a record's values
    (as its form names them), as the audit log keeps them; ``names`` renames fields for the
    log (``subitem_ids`` is logged as ``subitems``)."""
    names = names or {}
    return {
        names.get(key, key): [plain_value(before.get(key)), plain_value(value)]
        for key, value in after.items()
        if before.get(key) != value
    }


def record(
    action: AuditAction,
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
