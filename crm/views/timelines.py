"""Timeline pages of a record: everything that happened with it, newest first, a page at a
time, narrowed by kind of entry or commitment sub-item. Plain links and a GET form: no
script needed, and a page can be bookmarked or shared."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from crm.models import Organisation, Person
from crm.security import can
from crm.services.checks import clean_int
from crm.services.errors import ValidationError
from crm.services.records import get_record
from crm.services.timeline import KINDS, MAX_PAGE, record_timeline

bp = Blueprint("timelines", __name__)


@bp.get("/people/<int:record_id>/timeline")
@login_required
def person(record_id: int) -> tuple[str, int]:
    return _timeline_page(Person, record_id)


@bp.get("/organisations/<int:record_id>/timeline")
@login_required
def organisation(record_id: int) -> tuple[str, int]:
    return _timeline_page(Organisation, record_id)


def _timeline_page(model: type[Person] | type[Organisation], record_id: int) -> tuple[str, int]:
    record = get_record(model, record_id)
    if record is None or (
        record.deleted_at is not None and not can(current_user, "register.restore")
    ):
        abort(404)  # as on the record's own page
    with_changes = can(current_user, "register.audit")
    kind = request.args.get("kind", "").strip()
    subitem = request.args.get("subitem", "").strip()
    if kind == "change" and not with_changes:
        abort(403)
    choices = {"kinds": [k for k in KINDS if with_changes or k != "change"]}
    try:
        page = clean_int(request.args.get("page"), "page", minimum=1, maximum=MAX_PAGE) or 1
        timeline = record_timeline(record, with_changes, page=page, kind=kind, subitem=subitem)
    except ValidationError as error:  # an unknown filter: the form says which, beside it
        return render_template(
            "timelines/page.html",
            record=record,
            timeline=None,
            kind=kind,
            subitem=subitem,
            error=error,
            **choices,
        ), 400
    return render_template(
        "timelines/page.html",
        record=record,
        timeline=timeline,
        kind=kind,
        subitem=timeline.subitem,
        error=None,
        **choices,
    ), 200
