"""What the organisation and people views share: choices of select fields, form values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, request
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from crm.extensions import db
from crm.models import Country, Language, Organisation, Person, Role, User
from crm.security import can
from crm.services import merge, reference, register
from crm.services.errors import ConflictError, NeedsConfirmation, ValidationError
from crm.services.records import get_record
from crm.services.search import RegisterFilter
from crm.templating import option_tags
from crm.views.forms_support import attach_error

STEWARD_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.ORGANISER)


def country_choices(blank: str = "—") -> list[SelectChoice]:
    countries = reference.vocabulary(Country)
    return [SelectChoice("", blank)] + [SelectChoice(c, n) for c, n in countries]


def country_options(selected: str, blank: str) -> Markup:
    """The <option>s of a country filter (``templating.option_tags``)."""
    return option_tags(reference.vocabulary(Country), selected, blank)


def language_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(c, n) for c, n in reference.vocabulary(Language)]


_OFFICERS = (
    sa.select(User.id, User.full_name, User.email)
    .where(User.is_active.is_(True), User.role.in_(STEWARD_ROLES))
    .order_by(User.full_name, User.email)
)


def officer_choices() -> list[SelectChoice]:
    users = db.session.execute(_OFFICERS).all()
    return [SelectChoice("", "—")] + [SelectChoice(str(i), n or e) for i, n, e in users]


def fill_choices(form: FlaskForm) -> None:
    """Give the select fields of a register form their current options."""
    for name, options in (
        ("country_code", country_choices),
        ("language_code", language_choices),
        ("responsible_officer_id", officer_choices),
    ):
        if hasattr(form, name):
            getattr(form, name).choices = options()


def tag_list(raw: str | None) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


def form_data(form: FlaskForm, *names: str) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in names}


def list_context(f: RegisterFilter) -> dict[str, Any]:
    return {
        "filter": f,
        "country_options": country_options,
        "officers": officer_choices(),
    }


def record_form(form_class: type[FlaskForm], record: Any) -> FlaskForm:
    """An edit form filled from the stored record (tags and officer in their form shape)."""
    form = form_class(formdata=None, obj=record)
    form.tags.data = ", ".join(t.name for t in record.tags)
    form.responsible_officer_id.data = str(record.responsible_officer_id or "")
    fill_choices(form)
    return form


def refusal_of_changes(record: Any) -> str | None:
    """Why ``record`` takes no edits (the register service's rule), as a message, or None."""
    try:
        register.refuse_changes_to(record)
    except ValidationError as error:
        return f"Not changed: {error.message}."
    return None


def edit_record(
    record: Any,
    form_class: type[FlaskForm],
    fields: tuple[str, ...],
    update: Callable[..., object],
    render_form: Callable[..., tuple[str, int]],
    done_url: str,
) -> Response | tuple[str, int]:
    """The edit page of a register record: validate, save on the version the form was built
    from, and answer a stale save with 409 and the current values. A record that takes no
    edits (erased, deleted, merged away) sends the user back to its page, saying why."""
    refused = refusal_of_changes(record)
    if refused is not None:
        flash(refused, "error")
        return redirect(done_url)
    if request.method == "GET":
        form = record_form(form_class, record)  # filled with choices already
    else:
        form = form_class()
        fill_choices(form)
    if not form.validate_on_submit():
        return render_form(form, record, status=400 if request.method == "POST" else 200)
    try:
        update(
            record,
            form_data(form, *fields),
            current_user,
            form.version.data,
            tags=tag_list(form.tags.data),
        )
    except NeedsConfirmation as question:
        db.session.rollback()
        if question.erased is not None:
            form.confirm_duplicate.label.text = "Use it anyway: this person comes back knowingly"
            form.form_errors.append(f"{question.message} Tick 'Use it anyway' to go ahead.")
        else:
            form.form_errors.append(f"{question.message} Tick 'Save anyway' to go ahead.")
        return render_form(form, record, question.duplicates, 409, needs_confirmation=True)
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return render_form(form, record, status=400)
    except ConflictError as conflict:
        db.session.rollback()
        fresh = record_form(form_class, record)
        fresh.form_errors.append(conflict.message)
        return render_form(fresh, record, status=409, conflict=conflict)
    db.session.commit()
    flash("Saved.", "success")
    return redirect(done_url)


def delete_or_restore(
    record: Any, restore: bool, show_url: str, list_url: str, name: str
) -> Response:
    """Soft-delete a record (it leaves lists; an admin can restore it) or restore it."""
    try:
        if restore:
            register.restore_record(record, current_user)
        else:
            register.delete_record(record, current_user)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(show_url)
    db.session.commit()
    if restore:
        flash(f"{name} was restored.", "success")
        return redirect(show_url)
    flash(f"{name} was deleted. An admin can restore it.", "success")
    return redirect(list_url)


def merged_survivor(
    model: type[Person] | type[Organisation], record_id: int
) -> Person | Organisation | None:
    """The record a merged-away record's page should lead to, or None to show the page.

    Admins, who may see deleted records, open the merged record itself with ``?merged=1``.
    """
    record = get_record(model, record_id)
    if record is None or record.merged_into_id is None:
        return None
    if request.args.get("merged") == "1" and can(current_user, "register.restore"):
        return None
    survivor = merge.merged_survivor(record)
    return survivor if survivor.id != record.id else None
