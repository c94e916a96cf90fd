"""The home page: the commitment framework with its coverage figures of all time."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from crm.services.coverage import Period, item_totals
from crm.services.framework import framework_tree

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home() -> str:
    # Outreach, organisations and people from the kept figures (one indexed read); the
    # events, a few thousand rows, are counted live.
    framework, roots = framework_tree(count_outreach=False)
    figures = item_totals(Period.all_time())
    return render_template("main/home.html", framework=framework, roots=roots, figures=figures)
