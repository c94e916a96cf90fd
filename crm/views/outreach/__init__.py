"""The outreach log: one blueprint, its routes in three modules (records: logging, a record's
page, editing; lookups: the form's type-aheads; listing: the list and its exports)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("outreach", __name__, url_prefix="/outreach")

from crm.views.outreach import listing, lookups, records  # noqa: E402, F401  (routes register on bp)
