"""The look-ups behind the outreach form's type-aheads: a few matches as JSON.

Signed-in users only (viewers read the register anyway). What was typed is checked like any
field: too long or with control characters, it is a 400 naming the parameter, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from flask import jsonify, request
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from crm.services.checks import clean_date
from crm.services.errors import ValidationError
from crm.services.outreach import pickers
from crm.services.outreach.choices import recent_choices
from crm.templating import viewer_timezone
from crm.views.outreach import bp


def _answer(
    find: Callable[[str, date], list[dict[str, object]]],
) -> Response | tuple[Response, int]:
    try:
        q = pickers.clean_query(request.args.get("q", ""))
        on = clean_date(request.args.get("on"), "on") or datetime.now(viewer_timezone()).date()
    except ValidationError as error:
        return jsonify({"error": f"{error.field}: {error.message}"}), 400
    found = find(q, on)
    return jsonify({"count": len(found), "results": found})


@bp.get("/lookup/people.json")
@login_required
def lookup_people() -> Response | tuple[Response, int]:
    """Live people matching the words or e-mail typed, with their organisation that day."""
    return _answer(lambda q, on: [p.as_json() for p in pickers.person_suggestions(q, on)])


@bp.get("/lookup/organisations.json")
@login_required
def lookup_organisations() -> Response | tuple[Response, int]:
    return _answer(lambda q, _on: [o.as_json() for o in pickers.organisation_offers(q)])


@bp.get("/lookup/subitems.json")
@login_required
def lookup_subitems() -> Response | tuple[Response, int]:
    """Sub-items by code or words, the user's recent ones first (nothing typed: those)."""

    def find(q: str, _on: date) -> list[dict[str, object]]:
        recent = recent_choices(current_user).subitem_ids
        return [
            {**item.as_json(), "recent": item.id in recent}
            for item in pickers.subitem_suggestions(q, first=recent)
        ]

    return _answer(find)


@bp.get("/lookup/events.json")
@login_required
def lookup_events() -> Response | tuple[Response, int]:
    """Events around the day ``on`` (default today), nearest first."""
    return _answer(lambda q, on: [e.as_json() for e in pickers.events_around(on, q)])
