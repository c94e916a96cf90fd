"""The home page: the commitment framework with live coverage counts."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from crm.services.framework import framework_tree

bp = Blueprint("main", __name__)


@bp.get("/")
@login_required
def home() -> str:
    framework, roots = framework_tree()
    return render_template("main/home.html", framework=framework, roots=roots)
