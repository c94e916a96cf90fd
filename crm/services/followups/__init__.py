"""Follow-ups: the rules of every write (``records``), and the lists of them (``listing``:
"My follow-ups", the team's, those about a record).

The public names of ``records`` are re-exported here, so callers write
``from crm.services import followups; followups.create_follow_up(...)``.
"""

from __future__ import annotations

from crm.services.followups.records import (
    AUDIT_ENTITY,
    FIELDS,
    cancel_follow_up,
    complete_follow_up,
    create_follow_up,
    due_in_zone,
    may_change,
    outreach_prefill,
    reopen_follow_up,
    stored_values,
    update_follow_up,
    zone_of,
)

__all__ = [
    "AUDIT_ENTITY",
    "FIELDS",
    "cancel_follow_up",
    "complete_follow_up",
    "create_follow_up",
    "due_in_zone",
    "may_change",
    "outreach_prefill",
    "reopen_follow_up",
    "stored_values",
    "update_follow_up",
    "zone_of",
]
