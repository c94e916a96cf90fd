"""The home page: the commitment framework with its coverage figures of all time, and for
coordinators and admins the gaps in coverage."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from crm.permissions import can
from crm.services.coverage import Period, item_totals
from crm.services.coverage.gaps import clean_days, home_gaps
from crm.services.errors import ValidationError
from crm.services.framework import framework_tree

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home() -> str:
    # Outreach, organisations and people from the kept figures (one indexed read); the
    # events, a few thousand rows, are counted live.
    gaps = None
    if can(current_user, "coverage.gaps"):
        if len(request.args.getlist("days")) > 1:
            abort(400, description="days: give it once.")
        try:
            days = clean_days(request.args.get("days"))
        except ValidationError as error:
            abort(400, description=f"days: {error.message}")
        gaps = home_gaps(days=days)
    framework, roots = framework_tree(count_outreach=False)
    figures = item_totals(Period.all_time())
    return render_template(
        "main/home.html", framework=framework, roots=roots, figures=figures, gaps=gaps
    )
