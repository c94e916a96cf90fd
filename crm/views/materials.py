"""The catalogue of materials: everyone signed in reads it; coordinators and admins keep it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms.materials import MaterialForm
from crm.models import Audience, AuditEntry, Language, Material, MaterialKind
from crm.security import can, requires
from crm.services import materials
from crm.services.errors import ConflictError, ValidationError
from crm.views.forms_support import attach_error
from crm.views.register_support import language_choices

bp = Blueprint("materials", __name__, url_prefix="/materials")


def _get(material_id: int) -> Material:
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    return material


def _language_names(codes: set[str | None]) -> dict[str, str]:
    wanted = [code for code in codes if code]
    if not wanted:
        return {}
    rows = db.session.execute(
        sa.select(Language.code, Language.name).where(Language.code.in_(wanted))
    )
    return {code: name for code, name in rows}


def outreach_list_url(material_id: int) -> str:
    """The outreach list filtered by the material."""
    return url_for("outreach.index", material=material_id)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    f, errors = materials.MaterialFilter.read(request.args)
    found = [] if errors else materials.list_materials(f)
    counts = materials.outreach_counts(m.id for m in found)
    in_use = materials.languages_in_use()
    if f.language and f.language not in in_use:
        in_use.append(f.language)
    return render_template(
        "materials/list.html",
        filter=f,
        errors=[str(error) for error in errors],
        materials=found,
        counts=counts,
        kinds=MaterialKind,
        audiences=Audience,
        retired_choices=materials.Retired,
        languages=_language_names(set(in_use)),
        language_names=_language_names({m.language_code for m in found}),
        outreach_list_url=outreach_list_url,
    ), 400 if errors else 200


@bp.get("/<int:material_id>")
@login_required
def show(material_id: int) -> tuple[str, int]:
    material = _get(material_id)
    history: list[AuditEntry] = []
    if can(current_user, "register.audit"):
        history = list(
            db.session.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.entity_type == "material", AuditEntry.entity_id == material.id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(50)
            )
        )
    return render_template(
        "materials/detail.html",
        material=material,
        used=materials.outreach_counts([material.id]).get(material.id, 0),
        recent=materials.recent_outreach(material),
        history=history,
        language_names=_language_names({material.language_code}),
        outreach_list_url=outreach_list_url(material.id),
    ), 200


def _form_data(form: MaterialForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in materials.FIELDS}


def _shown(value: object) -> str:
    """A value of a conflict as the page shows it (audiences by name, none as a dash)."""
    if isinstance(value, (list, tuple)):
        return ", ".join(getattr(v, "label", str(v)) for v in value) or "—"
    if value in (None, ""):
        return "—"
    return str(getattr(value, "label", value))


def _render_form(
    form: MaterialForm,
    material: Material | None,
    status: int = 200,
    conflict: ConflictError | None = None,
) -> tuple[str, int]:
    if conflict is not None:
        conflict = ConflictError(
            conflict.message,
            {
                name: (_shown(stored), _shown(yours))
                for name, (stored, yours) in conflict.differences.items()
            },
        )
    return render_template(
        "materials/form.html", form=form, material=material, conflict=conflict
    ), status


def _stored_form(material: Material) -> MaterialForm:
    form = MaterialForm(formdata=None, obj=material)
    form.kind.data = material.kind.value
    form.audiences.data = [a.value for a in material.audiences]
    form.language_code.choices = language_choices()
    form.language_code.data = material.language_code or ""
    form.version.data = str(material.version)
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires("materials.manage")
def create() -> Response | tuple[str, int]:
    form = MaterialForm()
    form.language_code.choices = language_choices()
    if not form.validate_on_submit():
        return _render_form(form, None, status=400 if request.method == "POST" else 200)
    try:
        material = materials.create_material(_form_data(form), current_user)
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_form(form, None, status=400)
    db.session.commit()
    flash(f"{material.title} was added to the catalogue.", "success")
    return redirect(url_for("materials.show", material_id=material.id))


@bp.route("/<int:material_id>/edit", methods=["GET", "POST"])
@requires("materials.manage")
def edit(material_id: int) -> Response | tuple[str, int]:
    material = _get(material_id)
    if request.method == "GET":
        return _render_form(_stored_form(material), material)
    form = MaterialForm()
    form.language_code.choices = language_choices()
    if not form.validate_on_submit():
        return _render_form(form, material, status=400)
    try:
        materials.update_material(material, _form_data(form), current_user, form.version.data)
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_form(form, material, status=400)
    except ConflictError as conflict:
        db.session.rollback()
        fresh = _stored_form(material)
        fresh.form_errors.append(conflict.message)
        return _render_form(fresh, material, status=409, conflict=conflict)
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("materials.show", material_id=material.id))


def _retire_or_reinstate(material_id: int, retire: bool) -> Response:
    material = _get(material_id)
    try:
        if retire:
            materials.retire_material(material, current_user)
        else:
            materials.reinstate_material(material, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(f"Not changed: {error.message}.", "error")
        return redirect(url_for("materials.show", material_id=material_id))
    db.session.commit()
    if retire:
        flash(
            f"{material.title} was retired: past outreach keeps it; new outreach no longer "
            "offers it.",
            "success",
        )
    else:
        flash(f"{material.title} is offered for new outreach again.", "success")
    return redirect(url_for("materials.show", material_id=material_id))


@bp.post("/<int:material_id>/retire")
@requires("materials.manage")
def retire(material_id: int) -> Response:
    return _retire_or_reinstate(material_id, retire=True)


@bp.post("/<int:material_id>/reinstate")
@requires("materials.manage")
def reinstate(material_id: int) -> Response:
    return _retire_or_reinstate(material_id, retire=False)
