"""Blueprints, one per area; thin handlers that validate, call a service, commit, redirect."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from crm.views import (
        admin,
        auth,
        duplicates,
        health,
        main,
        organisations,
        people,
        privacy,
    )

    for module in (auth, main, organisations, people, privacy, duplicates, admin, health):
        app.register_blueprint(module.bp)
