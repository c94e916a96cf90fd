"""Checks every request passes before a view sees it, and the answers to input no view
should have to anticipate."""

from __future__ import annotations

from flask import Flask


def init_guards(app: Flask) -> None:
    """Install the request guards and error answers shared by every area."""
