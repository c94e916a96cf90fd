"""Sign-in, sign-out and the user's own account."""

from __future__ import annotations

from datetime import timedelta
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


def _limits() -> tuple[int, timedelta]:
    config = current_app.config
    return config["CRM_LOGIN_MAX_FAILURES"], config["CRM_LOGIN_WINDOW"]


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _wait_message(throttled: accounts.Throttled) -> str:
    minutes = max(1, round(throttled.retry_after / 60))
    return f"Please wait about {minutes} minute{'s' if minutes != 1 else ''} and try again."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    next_target = safe_next(request.args.get("next") or request.form.get("next"))
    if current_user.is_authenticated:
        return redirect(next_target or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        remember = bool(form.remember.data)
        try:
            attempt = accounts.begin_sign_in(form.email.data or "", _client_address(), *_limits())
            db.session.commit()  # counted before the password is checked
            user = accounts.finish_sign_in(attempt, form.password.data or "", *_limits())
        except accounts.Throttled as throttled:
            db.session.rollback()
            form.form_errors.append(
                "Too many failed sign-ins for this account or from this address. "
                + _wait_message(throttled)
            )
            return (
                render_template("auth/login.html", form=form, next=next_target),
                429,
                {"Retry-After": str(throttled.retry_after)},
            )
        if user is None:
            db.session.commit()
            # 200 like any re-shown form (401 would demand an HTTP auth challenge).
            form.form_errors.append("The e-mail address or the password is wrong.")
            return render_template("auth/login.html", form=form, next=next_target), 200
        config = current_app.config
        accounts.start_session(
            user, remember, config["PERMANENT_SESSION_LIFETIME"], config["REMEMBER_COOKIE_DURATION"]
        )
        db.session.commit()
        session.clear()  # a fresh session on sign-in, against session fixation
        login_user(user, remember=remember)
        return redirect(next_target or url_for("main.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, next=next_target), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    accounts.end_session(current_user.signed_in_session)
    db.session.commit()
    logout_user()  # also marks the remember-me cookie for deletion: keep the session's note of it
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        new, confirmation = form.new_password.data or "", form.confirmation.data or ""
        try:
            attempt = accounts.begin_password_change(
                user, new, confirmation, _client_address(), *_limits()
            )
            db.session.commit()  # counted before the current password is checked
            accounts.change_password(
                user,
                attempt,
                form.current_password.data or "",
                new,
                confirmation,
                *_limits(),
                keep_session=user.signed_in_session,
            )
        except accounts.Throttled as throttled:
            db.session.rollback()
            form.form_errors.append(
                f"Too many wrong passwords for this account. {_wait_message(throttled)}"
            )
            return (
                render_template("auth/account.html", form=form),
                429,
                {"Retry-After": str(throttled.retry_after)},
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
            return render_template("auth/account.html", form=form), 400
        db.session.commit()
        flash("Password changed. You were signed out everywhere else.", "success")
        return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/account.html", form=form), status
