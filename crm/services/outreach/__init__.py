"""The outreach log: the rules of every write (``records``), the list's filter and query
(``listing``), what the form offers first (``choices``).

The public names of ``records`` are re-exported here, so callers write
``from crm.services import outreach; outreach.log_outreach(...)``.
"""

from __future__ import annotations

from crm.services.outreach.records import (
    FUTURE_TOLERANCE,
    MAX_MATERIALS,
    MAX_ORGANISATIONS,
    MAX_PEOPLE,
    counted_organisation,
    counted_organisations,
    delete_outreach,
    log_outreach,
    may_change,
    restore_outreach,
    stored_values,
    update_outreach,
)

__all__ = [
    "FUTURE_TOLERANCE",
    "MAX_MATERIALS",
    "MAX_ORGANISATIONS",
    "MAX_PEOPLE",
    "counted_organisation",
    "counted_organisations",
    "delete_outreach",
    "log_outreach",
    "may_change",
    "restore_outreach",
    "stored_values",
    "update_outreach",
]
