"""``/account/calendar``: a user's private calendar feed of their open follow-ups.

The feed's address holds a secret (``tokens.issue_feed_token``): it is shown once, in the
answer to the POST that made it, and never again (only its hash is kept). Making a new one
ends the old address; revoking ends it without a new one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms.events import FeedTokenForm
from crm.services.events import tokens

bp = Blueprint("account_calendar", __name__, url_prefix="/account/calendar")


def feed_urls(secret: str) -> tuple[str, str]:
    """The private feed's addresses on this site (``CRM_BASE_URL``): webcal and web."""
    base = urlsplit(current_app.config["CRM_BASE_URL"])
    path = f"{base.path.rstrip('/')}/calendar/followups/{secret}.ics"
    return f"webcal://{base.netloc}{path}", f"{base.scheme}://{base.netloc}{path}"


def _page(status: int = 200, secret: str | None = None) -> tuple[str, int]:
    webcal, https = feed_urls(secret) if secret else ("", "")
    return render_template(
        "account/calendar.html",
        form=FeedTokenForm(formdata=None),
        has_feed=current_user.feed_token_hash is not None,
        created_at=current_user.feed_token_created_at,
        webcal=webcal,
        https=https,
    ), status


@bp.get("")
@login_required
def show() -> tuple[str, int]:
    return _page()


@bp.post("")
@login_required
def issue() -> tuple[str, int]:
    """A new secret (the old address, if any, stops working): shown in this answer only."""
    form = FeedTokenForm()
    if not form.validate():
        return _page(400)
    secret = tokens.issue_feed_token(current_user._get_current_object())
    db.session.commit()
    return _page(200, secret)


@bp.post("/revoke")
@login_required
def revoke() -> Response | tuple[str, int]:
    form = FeedTokenForm()
    if not form.validate():
        return _page(400)
    tokens.revoke_feed_token(current_user._get_current_object())
    db.session.commit()
    flash("Your follow-up feed was turned off: its address no longer works.", "success")
    return redirect(url_for("account_calendar.show"))
