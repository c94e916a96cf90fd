"""Administration: users (create, change roles, deactivate) and the outbox of mail."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms.auth import UserCreateForm, UserEditForm
from crm.models import User
from crm.security import requires
from crm.services import accounts
from crm.services.errors import ConflictError, ValidationError
from crm.services.reminders import dispatch, outbox
from crm.views.forms_support import attach_error

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@requires("users.manage")
def users() -> str:
    rows = db.session.scalars(sa.select(User).order_by(User.is_active.desc(), User.email)).all()
    return render_template("admin/users.html", users=rows, form=UserCreateForm())


@bp.post("/users")
@requires("users.manage")
def create_user() -> Response | tuple[str, int]:
    form = UserCreateForm()
    if form.validate_on_submit():
        password = accounts.generate_password()
        try:
            user = accounts.create_user(
                form.email.data or "",
                form.role.data or "",
                password,
                form.full_name.data or "",
                actor=current_user,
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            db.session.commit()
            # Shown once; the user changes it on first sign-in under "My account".
            return render_template("admin/user_created.html", user=user, password=password), 201
    rows = db.session.scalars(sa.select(User).order_by(User.is_active.desc(), User.email)).all()
    return render_template("admin/users.html", users=rows, form=form), 400


def _user_or_404(user_id: int) -> User:
    # Ids beyond any record never get here: the URL converter (views/guards.py) answers 404.
    return db.session.get(User, user_id) or abort(404)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("users.manage")
def edit_user(user_id: int) -> Response | str | tuple[str, int]:
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit():
        try:
            accounts.update_user(
                user,
                form.role.data or "",
                bool(form.is_active.data),
                form.full_name.data or "",
                actor=current_user,
                expected_version=form.version.data,
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
        except ConflictError as conflict:
            db.session.rollback()
            user = _user_or_404(user_id)
            fresh = UserEditForm(formdata=None, obj=user)
            fresh.role.data = user.role.value
            fresh.form_errors.append(conflict.message)
            return render_template(
                "admin/user_edit.html", user=user, form=fresh, conflict=conflict
            ), 409
        else:
            db.session.commit()
            flash(f"{user.email} saved.", "success")
            return redirect(url_for("admin.users"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_edit.html", user=user, form=form), status


@bp.get("/mail")
@requires("mail.manage")
def mail() -> str:
    """Whether the scheduler runs, what waits and was sent, what failed (with a retry)."""
    return render_template("admin/mail.html", overview=outbox.outbox_overview())


@bp.post("/mail/<int:reminder_id>/retry")
@requires("mail.manage")
def mail_retry(reminder_id: int) -> Response:
    try:
        reminder = dispatch.retry(reminder_id, current_user)
    except ValidationError as error:
        db.session.rollback()
        if error.message == dispatch.NO_SUCH_MESSAGE:
            abort(404)
        flash(f"Not retried: {error.message}", "error")
    else:
        db.session.commit()
        flash(
            f"Message {reminder.id} to {reminder.recipient.email} is queued again: the "
            "next pass of the scheduler sends it.",
            "success",
        )
    return redirect(url_for("admin.mail"))
