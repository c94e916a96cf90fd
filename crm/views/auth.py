"""Sign-in, sign-out and the user's own account."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms.auth import LoginForm, PasswordChangeForm
from crm.services import accounts
from crm.services.errors import ValidationError
from crm.views.forms_support import attach_error

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no other host, no protocol-relative ``//host``."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    if not target.startswith("/") or target.startswith("//"):
        return None
    joined = urlsplit(urljoin(request.host_url, target))
    if joined.netloc != urlsplit(request.host_url).netloc or joined.scheme not in ("http", "https"):
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int, dict[str, str]]:
    next_target = safe_next(request.args.get("next") or request.form.get("next"))
    if current_user.is_authenticated:
        return redirect(next_target or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        config = current_app.config
        limits = (config["CRM_LOGIN_MAX_FAILURES"], config["CRM_LOGIN_WINDOW"])
        try:
            attempt = accounts.begin_sign_in(
                form.email.data or "", request.remote_addr or "unknown", *limits
            )
            db.session.commit()  # counted before the password is checked
            user = accounts.finish_sign_in(attempt, form.password.data or "", *limits)
        except accounts.Throttled as throttled:
            db.session.rollback()
            minutes = max(1, round(throttled.retry_after / 60))
            message = (
                "Too many failed sign-ins for this account or from this address. "
                f"Please wait about {minutes} minute{'s' if minutes != 1 else ''} and try again."
            )
            form.form_errors.append(message)
            return (
                render_template("auth/login.html", form=form, next=next_target),
                429,
                {"Retry-After": str(throttled.retry_after)},
            )
        db.session.commit()
        if user is None:
            # 200 like any re-shown form (401 would demand an HTTP auth challenge).
            form.form_errors.append("The e-mail address or the password is wrong.")
            return render_template("auth/login.html", form=form, next=next_target), 200
        session.clear()  # a fresh session on sign-in, against session fixation
        login_user(user, remember=bool(form.remember.data))
        return redirect(next_target or url_for("main.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, next=next_target), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()  # also marks the remember-me cookie for deletion: keep the session's note of it
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response | str | tuple[str, int]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
                form.confirmation.data or "",
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
            return render_template("auth/account.html", form=form), 400
        db.session.commit()
        # The session token changed: sign this session in again, every other one is over.
        login_user(current_user._get_current_object(), remember=False)
        flash("Password changed. You were signed out everywhere else.", "success")
        return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/account.html", form=form), status
