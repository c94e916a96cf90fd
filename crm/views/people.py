"""People of the register: list, search, create, edit, delete, restore, detail, positions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from crm.clock import local_today
from crm.extensions import db
from crm.forms.register import (
    ConsentForm,
    EndForm,
    ErasureForm,
    PersonForm,
    PositionForm,
    RestrictionForm,
)
from crm.models import ConsentRecord, OrganisationKind, Person, Position, SizeClass
from crm.security import can, requires
from crm.services import exports, register
from crm.services.errors import ConflictError, NeedsConfirmation, ValidationError
from crm.services.followups.listing import follow_ups_about
from crm.services.search import (
    PEOPLE_SORTS,
    find_organisation,
    people_page,
    people_query,
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
    refusal_of_changes,
    tag_list,
)

bp = Blueprint("people", __name__, url_prefix="/people")
CONFIRM_HINT = "Open the record, or tick 'Save anyway' if this is another person."
ERASED_HINT = "Record the new lawful basis below, then tick 'Add them again'."
# The question about an erased person's e-mail is not "is this someone else?": it is whether
# to bring them back, so its box says that.
ERASED_DECISION = "Add them again: the new lawful basis is recorded below"

FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "country_code",
    "language_code",
    "lawful_basis",
    "lawful_basis_source",
    "responsible_officer_id",
    "notes",
)


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    try:
        f = list_filter(PEOPLE_SORTS)
    except ValidationError:
        return refused_filter("people/list.html", PEOPLE_SORTS)
    may_export = can(current_user, "register.export") and not f.deleted
    return render_template(
        "people/list.html",
        page=people_page(f),
        errors=[],
        # One url_for for the page instead of one per row (a tenth of the list's time).
        person_url=url_for("people.show", person_id=0)[:-1],
        left_out=exports.left_out_count(people_query(f)) if may_export else 0,
        kinds=OrganisationKind,
        sizes=SizeClass,
        **list_context(f),
    ), 200


def _get(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or (
        person.deleted_at is not None and not can(current_user, "register.restore")
    ):
        abort(404)
    return person


def _render_form(
    form: PersonForm,
    person: Person | None,
    duplicates: list[Person] | None = None,
    status: int = 200,
    conflict: ConflictError | None = None,
    needs_confirmation: bool = False,
) -> tuple[str, int]:
    return render_template(
        "people/form.html",
        form=form,
        person=person,
        duplicates=duplicates or [],
        conflict=conflict,
        # The decision stays on the page once taken, so a refused field does not undo it.
        needs_confirmation=needs_confirmation or (person is None and form.confirm_duplicate.data),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@requires("register.write")
def create() -> Response | tuple[str, int]:
    form = PersonForm()
    fill_choices(form)
    if not form.validate_on_submit():
        return _render_form(form, None, status=400 if request.method == "POST" else 200)
    data = form_data(form, *FIELDS)
    try:
        position = None
        if (form.organisation.data or "").strip():
            organisation = find_organisation(form.organisation.data)
            position = {
                "organisation_id": organisation.id,
                "title": form.position_title.data,
                "role": form.position_role.data or "other",
                "starts_on": form.position_starts_on.data,
            }
        person = register.create_person(
            data,
            current_user,
            tags=tag_list(form.tags.data),
            position=position,
            # The key is configuration: the view hands it over, services never read the app.
            erasure_key=current_app.config["CRM_ERASURE_KEY"].encode("utf-8"),
            confirmed=bool(form.confirm_duplicate.data),
        )
    except NeedsConfirmation as question:
        db.session.rollback()
        hint = ERASED_HINT if question.erased is not None else CONFIRM_HINT
        if question.erased is not None:
            form.confirm_duplicate.label.text = ERASED_DECISION
        form.form_errors.append(f"{question.message} {hint}")
        return _render_form(form, None, question.duplicates, 409, needs_confirmation=True)
    except ValidationError as error:
        db.session.rollback()
        if error.field == "organisation_id":
            error.field = "organisation"
        attach_error(form, error)
        return _render_form(form, None, status=400)
    db.session.commit()
    flash(f"{person.full_name} was added.", "success")
    return redirect(url_for("people.show", person_id=person.id))


def render_person(
    person: Person, status: int = 200, open_panel: str = "", **forms: FlaskForm
) -> tuple[str, int]:
    """The person's page; a refused panel form comes back open, its errors beside its fields
    and what was typed still in them."""
    consents = db.session.scalars(
        sa.select(ConsentRecord)
        .where(ConsentRecord.person_id == person.id)
        .order_by(ConsentRecord.given_at.desc())
    ).all()
    # Positions with their organisations in one query; a deleted organisation's name only
    # for those who may see deleted records (the template says "a deleted organisation").
    positions = db.session.scalars(
        sa.select(Position)
        .where(Position.person_id == person.id)
        .options(joinedload(Position.organisation))
        .order_by(Position.starts_on, Position.id)
    ).all()
    timeline = record_timeline(person, with_changes=can(current_user, "register.audit"))
    panels = {
        "position_form": PositionForm(formdata=None),
        "consent_form": ConsentForm(formdata=None),
        "restriction_form": RestrictionForm(formdata=None),
        "erasure_form": ErasureForm(formdata=None),
        **forms,
    }
    return render_template(
        "people/detail.html",
        person=person,
        consents=consents,
        positions=positions,
        may_see_deleted=can(current_user, "register.restore"),
        timeline=timeline,
        open_panel=open_panel,
        today=local_today(),
        quick_log=quick_log(person=person),
        follow_ups=follow_ups_about("person", person.id, zone=viewer_timezone()),
        **panels,
    ), status


@bp.get("/<int:person_id>")
@login_required
def show(person_id: int) -> Response | tuple[str, int]:
    """A merged-away person's page leads to the record that holds them now; admins can
    still open the merged record itself with ``?merged=1``."""
    survivor = merged_survivor(Person, person_id)
    if survivor is not None:
        return redirect(url_for("people.show", person_id=survivor.id))
    return render_person(_get(person_id))


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@requires("register.write")
def edit(person_id: int) -> Response | tuple[str, int]:
    person = _get(person_id)

    def update(*args: Any, **kwargs: Any) -> object:
        return register.update_person(
            *args,
            **kwargs,
            erasure_key=current_app.config["CRM_ERASURE_KEY"].encode("utf-8"),
            confirmed=bool(request.form.get("confirm_duplicate")),
        )

    return edit_record(
        person,
        PersonForm,
        FIELDS,
        update,
        _render_form,
        url_for("people.show", person_id=person_id),
    )


@bp.post("/<int:person_id>/positions")
@requires("register.write")
def add_position(person_id: int) -> Response | tuple[str, int]:
    person = _get(person_id)
    refused = refusal_of_changes(person)
    if refused is not None:  # its page shows no position form to answer beside
        flash(refused, "error")
        return redirect(url_for("people.show", person_id=person_id, _anchor="positions"))
    form = PositionForm()
    if not form.validate_on_submit():
        return render_person(person, 400, "position", position_form=form)
    try:
        organisation = find_organisation(form.organisation.data or "")
        register.add_position(
            person,
            {
                "organisation_id": organisation.id,
                "title": form.title.data,
                "role": form.role.data,
                "starts_on": form.starts_on.data,
                "ends_on": form.ends_on.data,
            },
            current_user,
        )
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return render_person(_get(person_id), 400, "position", position_form=form)
    db.session.commit()
    flash(f"Position at {organisation.name} added.", "success")
    return redirect(url_for("people.show", person_id=person_id, _anchor="positions"))


@bp.post("/<int:person_id>/positions/<int:position_id>/end")
@requires("register.write")
def end_position(person_id: int, position_id: int) -> Response | tuple[str, int]:
    person = _get(person_id)
    position = db.session.get(Position, position_id)
    if position is None or position.person_id != person.id:
        abort(404)
    form = EndForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError("give the date the position ended", field="ends_on")
        register.end_position(position, form.ends_on.data, current_user)
    except ValidationError as error:
        db.session.rollback()
        flash(f"The position was not ended: {error.message}", "error")
    else:
        db.session.commit()
        flash("The position was ended.", "success")
    return redirect(url_for("people.show", person_id=person_id, _anchor="positions"))


@bp.post("/<int:person_id>/delete")
@requires("register.write")
def delete(person_id: int) -> Response:
    person = _get(person_id)
    return delete_or_restore(
        person,
        False,
        url_for("people.show", person_id=person_id),
        url_for("people.index"),
        person.full_name,
    )


@bp.post("/<int:person_id>/restore")
@requires("register.restore")
def restore(person_id: int) -> Response:
    person = _get(person_id)
    return delete_or_restore(
        person,
        True,
        url_for("people.show", person_id=person_id),
        url_for("people.index"),
        person.full_name,
    )
