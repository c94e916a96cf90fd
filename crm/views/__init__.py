"""Blueprints, one per area; thin handlers that validate, call a service, commit, redirect."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from crm.views import (
        account_calendar,
        admin,
        agenda,
        auth,
        calendar,
        coverage,
        duplicates,
        events,
        exports,
        followups,
        health,
        main,
        materials,
        organisations,
        outreach,
        people,
        privacy,
        targets,
        timelines,
    )
    from crm.views.guards import init_guards

    init_guards(app)
    for module in (
        auth,
        main,
        organisations,
        people,
        outreach,
        followups,
        materials,
        privacy,
        exports,
        duplicates,
        admin,
        health,
        timelines,
        events,
        agenda,
        account_calendar,
        calendar,
        targets,
        coverage,
    ):
        app.register_blueprint(module.bp)
