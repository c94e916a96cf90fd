"""Sign-in wiring, role checks, CSRF failures and the security headers of every response."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, abort, render_template, request
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.extensions import db, login_manager
from crm.models import User
from crm.permissions import PERMISSIONS, can
from crm.services import accounts

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def requires(permission: str) -> Callable[[F], F]:
    """Sign-in plus a role that holds ``permission``; anything else gets 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def load_user(user_id: str) -> User | None:
    """The user behind the session id of a session or remember-me cookie, while that session
    lives on the server (signing out deletes it)."""
    return accounts.user_of_session(user_id)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        # Pages show personal data: no shared or back-button cache of them.
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_security(app: Flask) -> None:
    if app.config["CRM_PROXY_HOPS"]:
        # Trust X-Forwarded-* only from the configured number of proxies in front of us.
        hops = app.config["CRM_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see this page."
    login_manager.login_message_category = "info"
    # Flask-Login's own session protection keys on X-Forwarded-For, which clients can forge;
    # sessions are rows on the server instead, which signing out deletes.
    login_manager.session_protection = None
    app.after_request(_security_headers)
    app.jinja_env.globals["can"] = can

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_template(
            "errors/error.html",
            code=400,
            title="Form expired or not ours",
            message="The form could not be accepted: "
            f"{error.description} Reload the page and try again.",
        ), 400

    @app.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError) -> tuple[str, int]:
        # The version check in the services catches most conflicts with a detailed answer;
        # this catches a save that raced past it between the check and the UPDATE.
        db.session.rollback()
        return render_template(
            "errors/error.html",
            code=409,
            title="Changed in the meantime",
            message="Someone else saved this record a moment before you. "
            "Nothing was overwritten: reload it and apply your changes "
            "again.",
        ), 409

    for code, title, message in (
        (403, "Not allowed", "Your role does not allow this. Ask an admin if you need it."),
        (404, "Not found", "There is nothing at this address."),
        (405, "Method not allowed", "This address does not accept that kind of request."),
        (409, "Conflict", "Someone else changed this record in the meantime."),
        (500, "Something went wrong", "The error was logged. Please try again in a moment."),
    ):
        app.register_error_handler(code, _error_page(code, title, message))


def _error_page(code: int, title: str, message: str) -> Callable[[Exception], tuple[str, int]]:
    def handler(error: Exception) -> tuple[str, int]:
        if code == 500:
            db.session.rollback()
        return render_template("errors/error.html", code=code, title=title, message=message), code

    return handler
