"""Likely duplicates over the whole register: the paged list, two records side by side,
merging them (coordinators and admins) and marking a pair "not a duplicate"."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.models import Organisation, Person
from crm.security import requires
from crm.services import merge
from crm.services.checks import MAX_ID, clean_int
from crm.services.errors import ValidationError
from crm.services.records import get_record

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
_DIGITS = re.compile(r"[0-9]+")
MAX_PAGE = 100_000


def _kind(kind: str) -> tuple[type[Person] | type[Organisation], object, str, str]:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]  # type: ignore[return-value]


def _record(model: type[Person] | type[Organisation], name: str) -> Person | Organisation:
    """The record the parameter ``name`` of a form or link names by id: 400 saying so for
    what is not a number, 404 for a number no record has (ids beyond the databases' range
    never reach them)."""
    raw = (request.args if request.method == "GET" else request.form).get(name)
    text = (raw or "").strip()
    if not _DIGITS.fullmatch(text):
        shown = f"{text[:20]!r} is not" if text else "give"
        abort(400, description=f"{name}: {shown} the number of a record.")
    if len(text) > 19 or int(text) > MAX_ID:
        abort(404)
    record = get_record(model, int(text))
    if record is None:
        abort(404)
    return record


@bp.get("")
@login_required
def index() -> str:
    try:
        page = clean_int(request.args.get("page", "1"), "page", 1, MAX_PAGE) or 1
    except ValidationError as error:
        abort(400, description=f"{error}.")
    people = merge.duplicate_people(page)
    organisations = merge.duplicate_organisations(page)
    return render_template(
        "duplicates/index.html",
        people=people,
        organisations=organisations,
        page=page,
        has_next=people.has_next or organisations.has_next,
    )


@bp.get("/<kind>/compare")
@login_required
def compare(kind: str) -> str:
    """Both records side by side, then the decision: merge one into the other, or not."""
    model = _kind(kind)[0]
    first = _record(model, "first")
    second = _record(model, "second")
    if first.id == second.id:
        abort(400, description="first, second: a record cannot be compared with itself.")
    if first.deleted_at is not None or second.deleted_at is not None:
        abort(404)  # only live records are compared (and merged)
    return render_template(
        "duplicates/compare.html", kind=kind, comparison=merge.compare(first, second)
    )


@bp.post("/<kind>/merge")
@requires("register.merge")
def merge_pair(kind: str) -> Response:
    model, merge_records, endpoint, id_name = _kind(kind)
    survivor = _record(model, "keep")
    other = _record(model, "merge")
    other_id = other.id
    try:
        moved = merge_records(survivor, other, current_user)  # type: ignore[operator]
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
    # Typed as url_for's **values: a plain dict[str, int] could be meant for its _external.
    values: dict[str, Any] = {id_name: survivor.id}
    return redirect(url_for(endpoint, **values))


@bp.post("/<kind>/not-duplicate")
@requires("register.merge")  # it hides the pair from everyone for good: the mergers decide
def not_duplicate(kind: str) -> Response:
    """Two different stakeholders: the pair leaves the list for good (audited)."""
    model = _kind(kind)[0]
    first = _record(model, "first")
    second = _record(model, "second")
    try:
        merge.mark_not_duplicate(first, second, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(f"Not marked: {error.message}", "error")
        return redirect(url_for("duplicates.index"))
    db.session.commit()
    flash(f"#{first.id} and #{second.id} are marked as different; they are not listed again.")
    return redirect(url_for("duplicates.index"))
