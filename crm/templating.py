"""Jinja filters: times are stored in UTC and shown in the viewer's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_login import current_user


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


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["audit_value"] = audit_value
    # A global (not only a context variable) so that macros imported without context, which
    # Jinja compiles once instead of on every render, can check the user's role.
    app.jinja_env.globals["current_user"] = current_user
