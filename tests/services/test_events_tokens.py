"""The private follow-up feed's secret: random, stored hashed, shown once, replaced on request,
dead when revoked or when the account is deactivated."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import AuditAction, AuditEntry
from crm.services.events import tokens
from tests import factories


@pytest.fixture()
def officer(app, db):
    return factories.make_user("officer")


def test_a_token_opens_its_users_feed_and_only_its_hash_is_stored(officer) -> None:
    token = tokens.issue_feed_token(officer)
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    assert officer.feed_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (officer.feed_token_hash, officer.calendar_token)
    assert officer.feed_token_created_at is not None
    assert tokens.user_for_feed_token(token) is officer
    other = factories.make_user("officer")
    assert tokens.user_for_feed_token(tokens.issue_feed_token(other)) is other


def test_regenerating_kills_the_old_url(officer) -> None:
    first = tokens.issue_feed_token(officer)
    second = tokens.issue_feed_token(officer)
    assert first != second
    assert tokens.user_for_feed_token(first) is None
    assert tokens.user_for_feed_token(second) is officer
    actions = _db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == [AuditAction.FEED_TOKEN, AuditAction.FEED_TOKEN]


def test_revoked_and_deactivated_feeds_are_dead(officer) -> None:
    token = tokens.issue_feed_token(officer)
    officer.is_active = False
    _db.session.flush()
    assert tokens.user_for_feed_token(token) is None
    officer.is_active = True
    tokens.revoke_feed_token(officer)
    assert officer.feed_token_hash is None
    assert tokens.user_for_feed_token(token) is None
    tokens.revoke_feed_token(officer)  # nothing to revoke: nothing audited twice
    assert _db.session.scalars(sa.select(AuditEntry.action)).all() == [
        AuditAction.FEED_TOKEN,
        AuditAction.REVOKE_FEED_TOKEN,
    ]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "short",
        "a" * 42,
        "a" * 44,
        "a" * 10_000,
        "a" * 42 + "/",
        "a" * 42 + "é",
        "../../etc/passwd",
        None,
        12345,
        b"a" * 43,
    ],
)
def test_wrong_shapes_find_nobody(officer, token) -> None:
    tokens.issue_feed_token(officer)
    assert tokens.user_for_feed_token(token) is None


def test_an_unknown_token_of_the_right_shape_finds_nobody(officer) -> None:
    tokens.issue_feed_token(officer)
    assert tokens.user_for_feed_token("A" * 43) is None
    assert tokens.user_for_feed_token(officer.calendar_token[:43]) is None
