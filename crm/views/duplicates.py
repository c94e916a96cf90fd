"""Likely duplicates over the whole register, and merging them (coordinators and admins)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.models import Organisation, Person
from crm.security import requires
from crm.services import merge
from crm.services.errors import ValidationError

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")

KINDS = {
    "people": (Person, merge.merge_people, "people.show", "person_id"),
    "organisations": (
        Organisation,
        merge.merge_organisations,
        "organisations.show",
        "organisation_id",
    ),
}


@bp.get("")
@login_required
def index() -> str:
    return render_template(
        "duplicates/index.html",
        people=merge.duplicate_people(),
        organisations=merge.duplicate_organisations(),
    )


@bp.post("/<kind>/merge")
@requires("register.merge")
def merge_pair(kind: str) -> Response:
    if kind not in KINDS:
        abort(404)
    model, merge_records, endpoint, id_name = KINDS[kind]
    try:
        survivor_id, other_id = (int(request.form.get(name, "")) for name in ("keep", "merge"))
    except ValueError:
        abort(400)
    survivor, other = db.session.get(model, survivor_id), db.session.get(model, other_id)
    if survivor is None or other is None:
        abort(404)
    try:
        moved = merge_records(survivor, other, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(f"Not merged: {error.message}", "error")
        return redirect(url_for("duplicates.index"))
    db.session.commit()
    summary = ", ".join(f"{n} {what}" for what, n in moved.items() if n)
    flash(
        f"Merged #{other_id} into this record" + (f" ({summary} moved)." if summary else "."),
        "success",
    )
    return redirect(url_for(endpoint, **{id_name: survivor_id}))
