"""Logging outreach, a record's page, editing, deleting and restoring it."""

from __future__ import annotations

from crm.views.outreach import bp  # noqa: F401
