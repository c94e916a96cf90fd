"""The list of outreach records and its exports."""

from __future__ import annotations

from crm.views.outreach import bp  # noqa: F401
