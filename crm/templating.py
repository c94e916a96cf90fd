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


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
