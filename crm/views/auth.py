"""Sign-in, sign-out and the user's own account."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from functools import cache
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
from crm.forms.followups import PreferencesForm
from crm.services import accounts
from crm.services.checks import clean_timezone
from crm.services.errors import ValidationError
from crm.templating import option_tags
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
                _account_page(form),
                429,
                {"Retry-After": str(throttled.retry_after)},
            )
        except ValidationError as error:
            db.session.rollback()
            attach_error(form, error)
            return _account_page(form), 400
        db.session.commit()
        flash("Password changed. You were signed out everywhere else.", "success")
        return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return _account_page(form), status


# Preferences: the time zone a user works in and the hour of their digest ------------------

DIGEST_HOURS = tuple((str(hour), f"{hour:02d}:00") for hour in range(24))


@cache
def zone_choices() -> tuple[tuple[str, str], ...]:
    """Every IANA time zone the system knows that a user may choose, sorted (the names
    ``clean_timezone`` takes, about 600)."""
    known = []
    for name in zoneinfo.available_timezones():
        try:
            if clean_timezone(name) == name:
                known.append(name)
        except ValidationError:
            continue  # "localtime" and the like: no place a user works in
    return tuple((name, name) for name in sorted(known))


def _preferences_form() -> PreferencesForm:
    form = PreferencesForm(formdata=None)
    form.timezone.data = current_user.timezone or ""
    hour = current_user.digest_hour
    form.digest_hour.data = "" if hour is None else str(hour)
    return form


def _account_page(form: PasswordChangeForm, prefs: PreferencesForm | None = None) -> str:
    prefs = prefs or _preferences_form()
    programme = current_app.config["CRM_TIMEZONE"]
    return render_template(
        "auth/account.html",
        form=form,
        prefs=prefs,
        zone_options=option_tags(
            zone_choices(), str(prefs.timezone.data or ""), f"The programme’s ({programme})"
        ),
        hour_options=option_tags(DIGEST_HOURS, str(prefs.digest_hour.data or ""), "Off"),
    )


@bp.post("/account/preferences")
@login_required
def preferences() -> Response | tuple[str, int]:
    prefs = PreferencesForm()
    blank = PasswordChangeForm(formdata=None)
    if not prefs.validate():
        return _account_page(blank, prefs), 400
    try:
        accounts.update_preferences(
            current_user._get_current_object(),
            timezone=prefs.timezone.data,
            digest_hour=prefs.digest_hour.data,
        )
    except ValidationError as error:
        db.session.rollback()
        attach_error(prefs, error)
        return _account_page(blank, prefs), 400
    db.session.commit()
    flash("Preferences saved.", "success")
    return redirect(url_for("auth.account") + "#preferences")
