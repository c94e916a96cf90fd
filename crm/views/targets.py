"""The targets pages: the list with each target's progress and pace, the form (new, edit),
deleting. Everyone signed in reads them; coordinators and admins (``targets.manage``) write,
the others see the list without buttons and their requests to write answer 403.

Thin, as the event pages are: the targets service checks every field (all at once) and
decides; each refusal comes back beside its field with a 400 and nothing written; an edit
made on an old version is a 409 showing both.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from crm import clock
from crm.extensions import db
from crm.forms.targets import TargetDeleteForm, TargetForm
from crm.models import OrganisationKind, StrEnum, Target
from crm.security import can, requires
from crm.services import reference
from crm.services.checks import clean_int
from crm.services.coverage import targets
from crm.services.errors import ConflictError, ValidationError
from crm.views.events_support import filter_refusal, one_address
from crm.views.forms_support import attach_error, conflict_in_words

bp = Blueprint("targets", __name__, url_prefix="/coverage/targets")
bp.before_request(one_address)

LABELS = {
    "commitment_item_id": "Commitment, item or sub-item",
    "metric": "What is counted",
    "organisation_kind": "Only organisations of the kind",
    "size_classes": "SME size classes",
    "period_start": "From",
    "period_end": "To",
    "target_value": "Target",
    "description": "Description",
}
LIST_PARAMS = ("year",)
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _get(target_id: int) -> Target:
    target = db.session.get(Target, target_id)
    if target is None:
        abort(404)
    return target


def _item_choices() -> list[SelectChoice]:
    """Every item of the framework, indented under its parent."""
    rows = reference.framework_items()
    parent_of = {item_id: parent_id for item_id, parent_id, _code, _text in rows}

    def depth(item_id: int) -> int:
        level, parent = 0, parent_of.get(item_id)
        while parent is not None and level < 10:
            level, parent = level + 1, parent_of.get(parent)
        return level

    return [SelectChoice("", "Choose the commitment, item or sub-item")] + [
        SelectChoice(str(item_id), "\u2003" * depth(item_id) + f"{code} {text}"[:160])
        for item_id, _parent, code, text in rows
    ]


def _with_choices(form: TargetForm) -> TargetForm:
    form.commitment_item_id.choices = _item_choices()
    form.metric.choices = [SelectChoice("", "Choose what is counted")] + [
        SelectChoice(metric.value, label) for metric, label in targets.METRIC_LABELS.items()
    ]
    form.organisation_kind.choices = [SelectChoice("", "Any kind")] + [
        SelectChoice(kind.value, plural.capitalize())
        for kind, plural in targets.KIND_PLURALS.items()
    ]
    return form


def _filled(target: Target) -> TargetForm:
    form = _with_choices(TargetForm(formdata=None))
    form.commitment_item_id.data = str(target.commitment_item_id)
    form.metric.data = target.metric.value
    form.organisation_kind.data = target.organisation_kind.value if target.organisation_kind else ""
    form.size_classes.data = [s.value for s in targets.SIZE_ORDER if s in target.size_classes]
    form.period_start.data = target.period_start.isoformat()
    form.period_end.data = target.period_end.isoformat()
    form.target_value.data = str(target.target_value)
    form.description.data = target.description
    form.version.data = str(target.version)
    return form


def _data(form: TargetForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in targets.FIELDS}


def _render_form(
    form: TargetForm,
    target: Target | None,
    status: int = 200,
    conflict: ConflictError | None = None,
) -> tuple[str, int]:
    return render_template(
        "targets/form.html",
        form=form,
        target=target,
        words=targets.describe(target) if target is not None else "",
        delete_form=TargetDeleteForm(formdata=None, version=str(target.version))
        if target is not None
        else None,
        conflict=conflict,
    ), status


def _refused(form: TargetForm, target: Target | None) -> tuple[str, int] | None:
    """Every problem of the form beside its field (a 400), or None when there is none."""
    problems = targets.refusals(_data(form), clock.local_today())
    for problem in problems:
        attach_error(form, problem)
    if problems or form.errors or form.form_errors:
        return _render_form(form, target, status=400)
    return None


def _shown(value: object) -> str:
    if value in (None, "", frozenset(), set(), []):
        return "—"
    if isinstance(value, (frozenset, set)):
        return targets.sizes_in_words(value)
    if isinstance(value, OrganisationKind):
        return targets.KIND_PLURALS[value]
    if isinstance(value, StrEnum):
        return targets.METRIC_LABELS.get(value, value.label)  # type: ignore[call-overload]
    return str(value)


# The list -------------------------------------------------------------------------------------


def _year(args: Any) -> int | None:
    values = args.getlist("year")
    if len(values) > 1:
        raise ValidationError(f"given {len(values)} times; give one value", field="year")
    if not values or values[0] in ("", "all"):
        return None
    return clean_int(values[0], "year", FIRST_YEAR, LAST_YEAR)


def _years() -> list[int]:
    rows = db.session.execute(sa.select(Target.period_start, Target.period_end)).all()
    years: set[int] = set()
    for start, end in rows:
        years.update(range(start.year, min(end.year, start.year + 20) + 1))
    return sorted(years)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    unknown = sorted(set(request.args) - set(LIST_PARAMS))
    try:
        if unknown:
            raise ValidationError(
                "is not a filter of this list (it has: year)", field=unknown[0][:40]
            )
        year = _year(request.args)
    except ValidationError as error:
        return render_template(
            "targets/list.html",
            errors=[filter_refusal(error)],
            groups=[],
            year=None,
            years=_years(),
            may_manage=can(current_user, targets.PERMISSION),
            today=clock.local_today(),
        ), 400
    today = clock.local_today()
    if year is None:
        listed = targets.progress_of(targets.all_targets(), today)
    else:
        listed = targets.progress_of(
            targets.all_targets(date(year, 1, 1), date(year, 12, 31)), today
        )
    groups: dict[str, list[targets.TargetProgress]] = {}
    for progress in sorted(listed, key=lambda p: (p.period_start, p.period_end)):
        groups.setdefault(progress.period, []).append(progress)
    for rows in groups.values():
        rows.sort(key=lambda p: listed.index(p))  # the framework's order within a period
    return render_template(
        "targets/list.html",
        errors=[],
        groups=list(groups.items()),
        year=year,
        years=_years(),
        may_manage=can(current_user, targets.PERMISSION),
        today=today,
    ), 200


# New, edit, delete ----------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@requires(targets.PERMISSION)
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        form = _with_choices(TargetForm(formdata=None))
        item = request.args.get("item", "")
        if isinstance(item, str) and item.isdigit() and len(item) < 10:
            form.commitment_item_id.data = item
        return _render_form(form, None)
    form = _with_choices(TargetForm())
    form.validate()
    refused = _refused(form, None)
    if refused is not None:
        return refused
    try:
        target = targets.create_target(current_user, _data(form))
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_form(form, None, status=400)
    db.session.commit()
    flash(f"The target was set: {targets.describe(target)}.", "success")
    return redirect(url_for("targets.index", year=target.period_start.year))


@bp.route("/<int:target_id>/edit", methods=["GET", "POST"])
@requires(targets.PERMISSION)
def edit(target_id: int) -> Response | tuple[str, int]:
    target = _get(target_id)
    if request.method == "GET":
        return _render_form(_filled(target), target)
    form = _with_choices(TargetForm())
    form.validate()
    refused = _refused(form, target)
    if refused is not None:
        return refused
    try:
        targets.update_target(current_user, target, _data(form), form.version.data)
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_form(form, target, status=400)
    except ConflictError as conflict:
        db.session.rollback()
        db.session.refresh(target)
        fresh = _filled(target)
        fresh.form_errors.append(conflict.message)
        return _render_form(
            fresh, target, status=409, conflict=conflict_in_words(conflict, LABELS, _shown)
        )
    db.session.commit()
    flash(f"The target was saved: {targets.describe(target)}.", "success")
    return redirect(url_for("targets.index", year=target.period_start.year))


@bp.post("/<int:target_id>/delete")
@requires(targets.PERMISSION)
def delete(target_id: int) -> Response | tuple[str, int]:
    target = _get(target_id)
    form = TargetDeleteForm()
    if not form.validate():
        abort(400, description="The form expired: reload the target and delete it again.")
    words = targets.describe(target)
    try:
        targets.delete_target(current_user, target, form.version.data)
    except ConflictError as conflict:
        db.session.rollback()
        db.session.refresh(target)
        fresh = _filled(target)
        fresh.form_errors.append(
            conflict.message.replace("nothing was saved", "it was not deleted")
        )
        return _render_form(fresh, target, status=409)
    db.session.commit()
    flash(f"The target was deleted: {words}.", "success")
    return redirect(url_for("targets.index"))
