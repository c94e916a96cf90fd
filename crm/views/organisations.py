"""Organisations of the register: list, search, create, edit, delete, restore, detail."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.clock import local_today
from crm.extensions import db
from crm.forms.register import EndForm, LinkForm, OrganisationForm
from crm.models import (
    Organisation,
    OrganisationKind,
    OrganisationLink,
    Person,
    Position,
    SizeClass,
)
from crm.security import can, requires
from crm.services import register
from crm.services.errors import ConflictError, NeedsConfirmation, ValidationError
from crm.services.followups.listing import follow_ups_about
from crm.services.pagination import paginate
from crm.services.search import (
    ORGANISATION_SORTS,
    find_organisation,
    organisation_suggestions,
    organisations_query,
)
from crm.services.timeline import record_timeline
from crm.templating import viewer_timezone
from crm.views.forms_support import attach_error
from crm.views.lists import list_filter, refused_filter
from crm.views.outreach.records import quick_log
from crm.views.register_support import (
    delete_or_restore,
    edit_record,
    fill_choices,
    form_data,
    list_context,
    merged_survivor,
    tag_list,
)

bp = Blueprint("organisations", __name__, url_prefix="/organisations")
CONFIRM_HINT = "Open it, or tick 'Save anyway' if this is another organisation."

FIELDS = (
    "name",
    "acronym",
    "kind",
    "country_code",
    "city",
    "website",
    "email",
    "phone",
    "language_code",
    "headcount",
    "turnover_eur",
    "value_chain_role",
    "policy_body_type",
    "policy_level",
    "other_category",
    "responsible_officer_id",
    "notes",
)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    try:
        f = list_filter(ORGANISATION_SORTS)
    except ValidationError:
        return refused_filter("organisations/list.html", ORGANISATION_SORTS)
    query = organisations_query(f).options(selectinload(Organisation.tags))
    page = paginate(query, f.page, count_key=("organisations", f.selection()))
    return render_template(
        "organisations/list.html",
        page=page,
        errors=[],
        left_out=0,
        kinds=OrganisationKind,
        sizes=SizeClass,
        **list_context(f),
    ), 200


@bp.get("/lookup.json")
@login_required
def lookup() -> Response:
    """Names for the organisation field's suggestions while typing."""
    found = organisation_suggestions(request.args.get("q", "")[:200])
    return jsonify([{"id": o.id, "name": o.name, "country": o.country_code} for o in found])


def _get(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or (
        organisation.deleted_at is not None and not can(current_user, "register.restore")
    ):
        abort(404)
    return organisation


def _render_form(
    form: OrganisationForm,
    organisation: Organisation | None,
    duplicates: list[Organisation] | None = None,
    status: int = 200,
    conflict: ConflictError | None = None,
    needs_confirmation: bool = False,
) -> tuple[str, int]:
    return render_template(
        "organisations/form.html",
        form=form,
        organisation=organisation,
        duplicates=duplicates or [],
        conflict=conflict,
        # The decision stays on the page once taken, so a refused field does not undo it.
        needs_confirmation=needs_confirmation
        or (organisation is None and form.confirm_duplicate.data),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@requires("register.write")
def create() -> Response | tuple[str, int]:
    form = OrganisationForm()
    fill_choices(form)
    if not form.validate_on_submit():
        return _render_form(form, None, status=400 if request.method == "POST" else 200)
    try:
        organisation = register.create_organisation(
            form_data(form, *FIELDS),
            current_user,
            tags=tag_list(form.tags.data),
            confirmed=bool(form.confirm_duplicate.data),
        )
    except NeedsConfirmation as question:
        db.session.rollback()
        form.form_errors.append(f"{question.message} {CONFIRM_HINT}")
        return _render_form(form, None, question.duplicates, 409, needs_confirmation=True)
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return _render_form(form, None, status=400)
    db.session.commit()
    flash(f"{organisation.name} was added.", "success")
    return redirect(url_for("organisations.show", organisation_id=organisation.id))


def render_organisation(
    organisation: Organisation, status: int = 200, link_form: LinkForm | None = None
) -> tuple[str, int]:
    """The organisation's page; a refused link form comes back open with its errors."""
    positions = db.session.execute(
        sa.select(Position, Person)
        .join(Person)
        # Erased people are left out, as from every list (see search.people_query).
        .where(
            Position.organisation_id == organisation.id,
            Person.deleted_at.is_(None),
            Person.erased_at.is_(None),
        )
        .order_by(Position.ends_on.is_not(None), Person.sort_name, Person.id)
        .limit(500)
    ).all()
    links = db.session.scalars(
        sa.select(OrganisationLink)
        .where(
            sa.or_(
                OrganisationLink.source_id == organisation.id,
                OrganisationLink.target_id == organisation.id,
            )
        )
        .options(selectinload(OrganisationLink.source), selectinload(OrganisationLink.target))
        .order_by(OrganisationLink.link_type)
        .limit(500)
    ).all()
    timeline = record_timeline(organisation, with_changes=can(current_user, "register.audit"))
    return render_template(
        "organisations/detail.html",
        organisation=organisation,
        positions=positions,
        links=links,
        may_see_deleted=can(current_user, "register.restore"),
        timeline=timeline,
        link_form=link_form or LinkForm(formdata=None),
        open_panel="link" if link_form is not None else "",
        today=local_today(),
        quick_log=quick_log(organisation=organisation),
        follow_ups=follow_ups_about("organisation", organisation.id, zone=viewer_timezone()),
    ), status


@bp.get("/<int:organisation_id>")
@login_required
def show(organisation_id: int) -> Response | tuple[str, int]:
    """A merged-away organisation's page leads to the record that holds it now; admins can
    still open the merged record itself with ``?merged=1``."""
    survivor = merged_survivor(Organisation, organisation_id)
    if survivor is not None:
        return redirect(url_for("organisations.show", organisation_id=survivor.id))
    return render_organisation(_get(organisation_id))


@bp.route("/<int:organisation_id>/edit", methods=["GET", "POST"])
@requires("register.write")
def edit(organisation_id: int) -> Response | tuple[str, int]:
    organisation = _get(organisation_id)
    return edit_record(
        organisation,
        OrganisationForm,
        FIELDS,
        register.update_organisation,
        _render_form,
        url_for("organisations.show", organisation_id=organisation_id),
    )


@bp.post("/<int:organisation_id>/delete")
@requires("register.write")
def delete(organisation_id: int) -> Response:
    organisation = _get(organisation_id)
    return delete_or_restore(
        organisation,
        False,
        url_for("organisations.show", organisation_id=organisation_id),
        url_for("organisations.index"),
        organisation.name,
    )


@bp.post("/<int:organisation_id>/restore")
@requires("register.restore")
def restore(organisation_id: int) -> Response:
    organisation = _get(organisation_id)
    return delete_or_restore(
        organisation,
        True,
        url_for("organisations.show", organisation_id=organisation_id),
        url_for("organisations.index"),
        organisation.name,
    )


@bp.post("/<int:organisation_id>/links")
@requires("register.write")
def add_link(organisation_id: int) -> Response | tuple[str, int]:
    organisation = _get(organisation_id)
    form = LinkForm()
    if not form.validate_on_submit():
        return render_organisation(organisation, 400, form)
    try:
        target = find_organisation(form.target.data or "")
        register.add_link(
            organisation,
            target,
            form.link_type.data,
            form.starts_on.data,
            form.ends_on.data,
            current_user,
        )
    except ValidationError as error:
        db.session.rollback()
        if error.field == "organisation":
            error.field = "target"
        attach_error(form, error)
        return render_organisation(_get(organisation_id), 400, form)
    db.session.commit()
    flash(f"Linked to {target.name}.", "success")
    return redirect(url_for("organisations.show", organisation_id=organisation_id, _anchor="links"))


@bp.post("/<int:organisation_id>/links/<int:link_id>/end")
@requires("register.write")
def end_link(organisation_id: int, link_id: int) -> Response:
    _get(organisation_id)
    link = db.session.get(OrganisationLink, link_id)
    if link is None or organisation_id not in (link.source_id, link.target_id):
        abort(404)
    form = EndForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError("give the date the link ended")
        register.end_link(link, form.ends_on.data, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(f"The link was not ended: {error.message}", "error")
    else:
        db.session.commit()
        flash("The link was ended.", "success")
    return redirect(url_for("organisations.show", organisation_id=organisation_id, _anchor="links"))
