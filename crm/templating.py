"""Jinja filters: times are stored in UTC and shown in the viewer's time zone; the options of
the lists' select fields, rendered once per selection."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_login import current_user
from markupsafe import Markup

from crm.models import StrEnum

_OPTION = Markup('<option value="{}"{}>{}</option>')


def viewer_timezone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) or current_app.config["CRM_TIMEZONE"]
    return ZoneInfo(name)


def localtime(value: datetime, fmt: str = "%d %b %Y %H:%M") -> str:
    return value.astimezone(viewer_timezone()).strftime(fmt)


def audit_value(value: object) -> str:
    """A value of the audit log as a reader wants it: nested values as "field: value"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{str(k).replace('_', ' ')}: {audit_value(v)}"
            for k, v in value.items()
            if v not in (None, "")
        )
    if isinstance(value, list):
        return ", ".join(audit_value(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@lru_cache(maxsize=2048)
def option_tags(choices: tuple[tuple[str, str], ...], selected: str, blank: str | None) -> Markup:
    """The ``<option>``s of a select of fixed ``(value, label)`` choices (reference data, an
    enum), the one whose value is ``selected`` selected, after a first one of value "" labelled
    ``blank`` unless that is None. Rendered once per selection: a list's filter form
    re-rendered its options on every view, 250 countries alone a fifth of the register's
    list."""
    rows = choices if blank is None else (("", blank), *choices)
    return Markup("").join(
        _OPTION.format(value, Markup(" selected") if value == selected else "", label)
        for value, label in rows
    )


def enum_options(enum: type[StrEnum], selected: object, blank: str | None = None) -> Markup:
    """``option_tags`` of an enum's values and labels (``selected``: a member or its value)."""
    return option_tags(_enum_choices(enum), str(selected or ""), blank)


@lru_cache(maxsize=64)
def _enum_choices(enum: type[StrEnum]) -> tuple[tuple[str, str], ...]:
    return tuple(enum.choices())


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["audit_value"] = audit_value
    app.jinja_env.globals["enum_options"] = enum_options
    # A global (not only a context variable) so that macros imported without context, which
    # Jinja compiles once instead of on every render, can check the user's role.
    app.jinja_env.globals["current_user"] = current_user
