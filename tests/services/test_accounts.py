from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.models import AuditEntry, LoginFailure, Role, User
from crm.services import accounts
from crm.services.errors import ValidationError
from tests import factories

WINDOW = timedelta(minutes=15)


def authenticate(email: str, password: str, address: str) -> User | None:
    """Both phases of a sign-in, as the view runs them."""
    attempt = accounts.begin_sign_in(email, address, 5, WINDOW)
    return accounts.finish_sign_in(attempt, password, 5, WINDOW)


def _users(db) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_create_user_hashes_with_argon2id_and_audits(app, db) -> None:  # noqa: ANN001
    user = accounts.create_user(
        " Ana.Garcia@AFM.example ", "coordinator", "a long passphrase 1", "Ana García"
    )
    assert user.email == "ana.garcia@afm.example"
    assert user.role is Role.COORDINATOR
    assert user.password_hash.startswith("$argon2id$")
    assert "a long passphrase" not in user.password_hash
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_id == user.id, AuditEntry.entity_type == "user"
        )
    )
    assert entry.action == "create"


@pytest.mark.parametrize(
    ("email", "role", "password", "name", "field", "message"),
    [
        ("", "officer", "a long passphrase 1", "", "email", "required"),
        ("not-an-address", "officer", "a long passphrase 1", "", "email", "not a valid"),
        ("a" * 250 + "@x.example", "officer", "a long passphrase 1", "", "email", "254"),
        ("ok@x.example", "superuser", "a long passphrase 1", "", "role", "unknown role"),
        ("ok@x.example", "officer", "short", "", "password", "at least 12"),
        ("ok@x.example", "officer", "aaaaaaaaaaaaaaaa", "", "password", "too few different"),
        ("ok@x.example", "officer", "ok@x.example", "", "password", "e-mail address"),
        ("ok@x.example", "officer", "a long passphrase 1", "n" * 201, "full_name", "200"),
    ],
)
def test_create_user_refuses_bad_input(
    app,
    db,
    email,
    role,
    password,
    name,
    field,  # noqa: ANN001
    message,
) -> None:
    before = _users(db)
    with pytest.raises(ValidationError) as raised:
        accounts.create_user(email, role, password, name)
    assert raised.value.field == field
    assert message in raised.value.message
    assert _users(db) == before


def test_duplicate_email_is_refused(app, db) -> None:  # noqa: ANN001
    factories.make_user(email="dup@x.example")
    with pytest.raises(ValidationError, match="already exists"):
        accounts.create_user("DUP@x.example", "viewer", "a long passphrase 1")


def test_password_change_rotates_the_session_token(app, db) -> None:  # noqa: ANN001
    user = factories.make_user()
    token = user.session_token
    new = "a new long passphrase"
    accounts.change_password(user, factories.PASSWORD, new, new)
    assert user.session_token != token
    assert accounts.verify_password(user, "a new long passphrase")
    assert not accounts.verify_password(user, factories.PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "again", "field"),
    [
        ("wrong password!!", "a new long passphrase", "a new long passphrase", "current_password"),
        (factories.PASSWORD, "a new long passphrase", "a different phrase", "confirmation"),
        (factories.PASSWORD, "short", "short", "new_password"),
    ],
)
def test_password_change_refuses_bad_input(app, db, current, new, again, field) -> None:  # noqa: ANN001
    user = factories.make_user()
    token, digest = user.session_token, user.password_hash
    with pytest.raises(ValidationError) as raised:
        accounts.change_password(user, current, new, again)
    assert raised.value.field == field
    assert (user.session_token, user.password_hash) == (token, digest)


def test_deactivation_rotates_the_session_token(app, db) -> None:  # noqa: ANN001
    admin, user = factories.make_user("admin"), factories.make_user()
    token = user.session_token
    accounts.update_user(user, "officer", False, user.full_name, actor=admin)
    assert not user.is_active and user.session_token != token


def test_admin_cannot_demote_or_deactivate_themselves(app, db) -> None:  # noqa: ANN001
    admin = factories.make_user("admin")
    with pytest.raises(ValidationError, match="your own role"):
        accounts.update_user(admin, "viewer", True, "", actor=admin)


def test_throttle_counts_failures_per_account_and_per_address(app, db) -> None:  # noqa: ANN001
    user = factories.make_user()
    for _ in range(5):
        assert authenticate(user.email, "wrong", "10.0.0.1") is None
    with pytest.raises(accounts.Throttled) as raised:
        # Right password, other address: the account itself is locked for the window.
        authenticate(user.email, factories.PASSWORD, "10.0.0.2")
    assert 0 < raised.value.retry_after <= 15 * 60 + 1
    with pytest.raises(accounts.Throttled):
        # Same address, other account: the address is locked too.
        authenticate("someone@else.example", "x", "10.0.0.1")


def test_old_failures_do_not_count(app, db) -> None:  # noqa: ANN001
    user = factories.make_user()
    old = accounts.utcnow() - timedelta(minutes=16)
    db.session.add_all(
        [LoginFailure(email=user.email, ip_address="10.0.0.9", at=old) for _ in range(5)]
    )
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.9") == user
    assert accounts.prune_login_failures(timedelta(minutes=15)) == 5


def test_unknown_and_inactive_accounts_fail_like_wrong_passwords(app, db) -> None:  # noqa: ANN001
    user = factories.make_user()
    user.is_active = False
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.3") is None
    assert authenticate("nobody@x.example", "x", "10.0.0.3") is None
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(LoginFailure.ip_address == "10.0.0.3"))
        == 2
    )


def test_a_parallel_burst_cannot_pass_the_limit(app, db) -> None:  # noqa: ANN001
    user = factories.make_user()
    attempt = accounts.begin_sign_in(user.email, "10.0.0.4", 5, WINDOW)
    # Five other tries were recorded while this one was on its way to the password check.
    db.session.add_all([LoginFailure(email=user.email, ip_address="10.0.0.5") for _ in range(5)])
    with pytest.raises(accounts.Throttled):
        accounts.finish_sign_in(attempt, factories.PASSWORD, 5, WINDOW)


def test_a_successful_sign_in_is_not_counted_and_keeps_the_version(app, db) -> None:  # noqa: ANN001
    user = factories.make_user()
    db.session.commit()
    version = user.version
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.6") == user
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(LoginFailure.email == user.email)) == 0
    )
    db.session.expire_all()
    assert user.last_login_at is not None and user.version == version


def test_ipv6_clients_are_counted_per_64_prefix(app, db) -> None:  # noqa: ANN001
    assert accounts.throttle_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert accounts.throttle_address("192.0.2.7") == "192.0.2.7"
    for n in range(5):
        authenticate(f"guess{n}@x.example", "x", f"2001:db8:1:2::{n + 1}")
    with pytest.raises(accounts.Throttled):
        authenticate("another@x.example", "x", "2001:db8:1:2:ffff::9")


def test_retry_after_waits_until_a_try_is_free_again(app, db) -> None:  # noqa: ANN001
    now = accounts.utcnow()
    db.session.add_all(
        [
            LoginFailure(
                email="late@x.example", ip_address="10.0.0.8", at=now - timedelta(minutes=14 - n)
            )
            for n in range(6)
        ]
    )
    with pytest.raises(accounts.Throttled) as raised:
        accounts.begin_sign_in("late@x.example", "10.0.0.8", 5, WINDOW)
    # Six in the window, limit five: two must age out; the second oldest is 13 minutes old.
    assert 115 <= raised.value.retry_after <= 125
