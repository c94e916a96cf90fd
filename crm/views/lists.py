"""What the register's lists and their exports share: reading the filter of the query
string, and the answer to one that names something the list does not know."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask import render_template, request
from flask_login import current_user

from crm.models import OrganisationKind, SizeClass
from crm.security import can
from crm.services.search import RegisterFilter
from crm.views.register_support import list_context


def list_filter(sorts: Collection[str]) -> RegisterFilter:
    """The list's filter from the query string; raises ``ValidationError`` naming the
    parameter. Deleted records only for those who may restore them."""
    f = RegisterFilter.from_args(request.args, sorts)
    if f.deleted and not can(current_user, "register.restore"):
        f.deleted = False
    return f


def refused_filter(template: str, sorts: Collection[str], **context: Any) -> tuple[str, int]:
    """400: the list page with what was wrong, parameter by parameter, above its filter
    form (filled with what was typed), and no records: nothing was looked up."""
    f, errors = RegisterFilter.read(request.args, sorts)
    messages = [str(error) for error in errors] or ["this list cannot be shown"]
    return render_template(
        template,
        page=None,
        errors=messages,
        kinds=OrganisationKind,
        sizes=SizeClass,
        **list_context(f),
        **context,
    ), 400
