"""The secrets of the private follow-up feeds (``/calendar/followups/<token>.ics``).

A feed URL is all a calendar client can carry, so its secret is the credential: 256 random
bits (``secrets.token_urlsafe(32)``), shown to the user once and stored only as its SHA-256.
A hash lookup answers in the same way for every wrong token, so nothing leaks from timing
whether a token ever existed; a deactivated account's feed is dead at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditAction, User, utcnow
from crm.services import audit

# What token_urlsafe(32) gives: 43 characters of the URL-safe base64 alphabet.
TOKEN_BYTES = 32
_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue_feed_token(user: User) -> str:
    """A new secret for the user's feed, replacing any earlier one (whose URL stops
    working); returned once, never stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    replaced = user.feed_token_hash is not None
    user.feed_token_hash = token_hash(token)
    user.feed_token_created_at = utcnow()
    db.session.flush()
    audit.record(
        AuditAction.FEED_TOKEN,
        "user",
        user.id,
        user,
        summary="regenerated the follow-up calendar feed"
        if replaced
        else "created the follow-up calendar feed",
    )
    return token


def revoke_feed_token(user: User) -> None:
    """End the user's feed: its URL answers 404 from now on."""
    if user.feed_token_hash is None:
        return
    user.feed_token_hash = None
    user.feed_token_created_at = None
    db.session.flush()
    audit.record(
        AuditAction.REVOKE_FEED_TOKEN,
        "user",
        user.id,
        user,
        summary="revoked the follow-up calendar feed",
    )


def user_for_feed_token(token: object) -> User | None:
    """The active user whose feed this secret opens; None for anything else (a wrong shape,
    an unknown or revoked secret, a deactivated account)."""
    if not isinstance(token, str) or not _SHAPE.fullmatch(token):
        return None
    user = db.session.scalar(sa.select(User).where(User.feed_token_hash == token_hash(token)))
    if user is None or not user.is_active:
        return None
    return user
