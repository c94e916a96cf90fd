"""Data protection on a person's record: consent, restriction, subject access, erasure."""

from __future__ import annotations

import json
from datetime import datetime, time

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    url_for,
)
from flask_login import current_user
from werkzeug import wrappers

from crm.extensions import db
from crm.forms.register import ConsentForm, ErasureForm, RestrictionForm
from crm.models import utcnow
from crm.security import requires
from crm.services import privacy
from crm.services.errors import ValidationError
from crm.templating import viewer_timezone
from crm.views.forms_support import attach_error
from crm.views.people import _get, render_person

bp = Blueprint("privacy", __name__)


def _back(person_id: int) -> wrappers.Response:  # what redirect returns
    return redirect(url_for("people.show", person_id=person_id, _anchor="data-protection"))


@bp.post("/people/<int:person_id>/consents")
@requires("register.write")
def add_consent(person_id: int) -> wrappers.Response | tuple[str, int]:
    person = _get(person_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return render_person(person, 400, "consent", consent_form=form)
    try:
        # A day in the viewer's calendar; noon keeps it on that day in every time zone.
        given_at = datetime.combine(form.given_on.data, time(12), viewer_timezone())
        privacy.record_consent(
            person, form.purpose.data, form.status.data, form.source.data, given_at, current_user
        )
    except ValidationError as error:
        db.session.rollback()
        if error.field == "given_at":
            error.field = "given_on"
        attach_error(form, error)
        return render_person(_get(person_id), 400, "consent", consent_form=form)
    db.session.commit()
    flash("Consent recorded.", "success")
    return _back(person_id)


@bp.post("/people/<int:person_id>/restriction")
@requires("register.write")
def set_restriction(person_id: int) -> wrappers.Response | tuple[str, int]:
    person = _get(person_id)
    form = RestrictionForm()
    if not form.validate_on_submit():
        return render_person(person, 400, "restriction", restriction_form=form)
    try:
        changed = privacy.set_restriction(
            person, bool(form.restricted.data), form.reason.data, current_user
        )
    except ValidationError as error:
        db.session.rollback()
        attach_error(form, error)
        return render_person(_get(person_id), 400, "restriction", restriction_form=form)
    db.session.commit()
    if changed:
        flash(
            "Processing restricted." if person.is_restricted else "Restriction lifted.", "success"
        )
    return _back(person_id)


@bp.post("/people/<int:person_id>/subject-access.<any(json, zip):fmt>")
@requires("privacy.manage")
def subject_access(person_id: int, fmt: str) -> Response:
    """A POST behind CSRF: the export is audited (in the service), so it is not a link."""
    person = _get(person_id)
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "json":
        held = privacy.subject_access_export(person, current_user)
        mimetype = "application/json"
        data = json.dumps(held, ensure_ascii=False, indent=2).encode("utf-8")
    else:
        mimetype, data = "application/zip", privacy.subject_access_csv(person, current_user)
    db.session.commit()
    filename = f"subject-access-{person.id}-{stamp}.{fmt}"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/people/<int:person_id>/erase")
@requires("privacy.manage")
def erase(person_id: int) -> wrappers.Response:
    person = _get(person_id)
    form = ErasureForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError("tick the confirmation to erase")
        key = current_app.config["CRM_ERASURE_KEY"].encode("utf-8")
        privacy.erase_person(person, current_user, key)
    except ValidationError as error:
        db.session.rollback()
        flash(f"Not erased: {error}", "error")
    else:
        db.session.commit()
        flash(f"Person #{person_id} was erased. Their outreach still counts in reports.", "success")
    return _back(person_id)
