"""Events: the rules of every write (``records``), series and their single occurrences
(``series``), participants (``participants``), the list and month grid (``listing``), the
secrets of the private follow-up feeds (``tokens``), and the session hook that keeps SEQUENCE
and ``cancelled_at`` (``sequence``).

The public names of ``records`` and ``series`` are re-exported here, so callers write
``from crm.services import events; events.create_event(...)``.
"""

from __future__ import annotations

from crm.services.events.records import (
    AUDIT_ENTITY,
    FIELDS,
    cancel_event,
    create_event,
    may_change,
    postpone_event,
    stored_values,
    update_event,
)
from crm.services.events.series import (
    Occurrence,
    cancel_occurrence,
    move_occurrence,
    occurrences,
    restore_occurrence,
)

__all__ = [
    "AUDIT_ENTITY",
    "FIELDS",
    "Occurrence",
    "cancel_event",
    "cancel_occurrence",
    "create_event",
    "may_change",
    "move_occurrence",
    "occurrences",
    "postpone_event",
    "restore_occurrence",
    "stored_values",
    "update_event",
]
