from __future__ import annotations

import hashlib
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


def _users(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_create_user_hashes_with_argon2id_and_audits(app, db) -> None:
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
    field,
    message,
) -> None:
    before = _users(db)
    with pytest.raises(ValidationError) as raised:
        accounts.create_user(email, role, password, name)
    assert raised.value.field == field
    assert message in raised.value.message
    assert _users(db) == before


def test_duplicate_email_is_refused(app, db) -> None:
    factories.make_user(email="dup@x.example")
    with pytest.raises(ValidationError, match="already exists"):
        accounts.create_user("DUP@x.example", "viewer", "a long passphrase 1")


def change_password(
    user: User, current: str, new: str, again: str, keep: str | None = None
) -> None:
    """Both phases of a password change, as the account page runs them."""
    attempt = accounts.begin_password_change(user, new, again, "10.0.1.1", 5, WINDOW)
    accounts.change_password(user, attempt, current, new, again, 5, WINDOW, keep_session=keep)


def _session(user: User, remember: bool = False) -> str:
    """The token a new session's cookies carry."""
    accounts.start_session(user, remember, timedelta(hours=12), timedelta(days=30))
    return user.signed_in_session


def test_password_change_ends_every_other_session(app, db) -> None:
    user = factories.make_user()
    here, elsewhere, remembered = _session(user), _session(user), _session(user, remember=True)
    new = "a new long passphrase"
    change_password(user, factories.PASSWORD, new, new, keep=here)
    assert accounts.verify_password(user, "a new long passphrase")
    assert not accounts.verify_password(user, factories.PASSWORD)
    assert accounts.user_of_session(here) == user
    assert accounts.user_of_session(elsewhere) is None
    assert accounts.user_of_session(remembered) is None


@pytest.mark.parametrize(
    ("current", "new", "again", "field"),
    [
        ("wrong password!!", "a new long passphrase", "a new long passphrase", "current_password"),
        (factories.PASSWORD, "a new long passphrase", "a different phrase", "confirmation"),
        (factories.PASSWORD, "short", "short", "new_password"),
    ],
)
def test_password_change_refuses_bad_input(app, db, current, new, again, field) -> None:
    user = factories.make_user()
    other, digest = _session(user), user.password_hash
    with pytest.raises(ValidationError) as raised:
        change_password(user, current, new, again)
    assert raised.value.field == field
    assert user.password_hash == digest
    assert accounts.user_of_session(other) == user


def test_a_refused_new_password_is_not_counted(app, db) -> None:
    user = factories.make_user()
    with pytest.raises(ValidationError):
        accounts.begin_password_change(user, "short", "short", "10.0.1.2", 5, WINDOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0


def test_wrong_current_passwords_are_throttled_per_account(app, db) -> None:
    user = factories.make_user()
    new = "a new long passphrase"
    for _ in range(5):
        with pytest.raises(ValidationError):
            change_password(user, "a wrong guess", new, new)
    with pytest.raises(accounts.Throttled):
        change_password(user, factories.PASSWORD, new, new)
    # The same count as sign-in: the account cannot be guessed at twice as fast.
    with pytest.raises(accounts.Throttled):
        authenticate(user.email, factories.PASSWORD, "10.0.1.1")


def test_a_session_belongs_to_its_user_until_it_ends(app, db) -> None:
    user = factories.make_user()
    first, second = _session(user), _session(user)
    assert first != second and len(first) >= 40
    found = accounts.user_of_session(first)
    assert found == user and found.get_id() == first
    accounts.end_session(first)
    assert accounts.user_of_session(first) is None
    assert accounts.user_of_session(second) == user
    for forged in ("", "x" * 65, "not-a-session"):
        assert accounts.user_of_session(forged) is None


def test_the_server_keeps_only_a_hash_of_each_session(app, db) -> None:
    """A copy of the database (a backup) holds no session anyone could sign in with."""
    from crm.models.users import UserSession

    user = factories.make_user()
    token = _session(user)
    stored = db.session.scalars(sa.select(UserSession.id).where(UserSession.user_id == user.id))
    assert list(stored) == [hashlib.sha256(token.encode()).hexdigest()]
    assert accounts.user_of_session(token) == user
    assert accounts.user_of_session(accounts.session_key(token)) is None


def test_sessions_end_when_their_time_is_up_and_are_pruned(app, db) -> None:
    from crm.models.users import UserSession

    user = factories.make_user()
    plain, remembered = _session(user), _session(user, remember=True)
    rows = {row.id: row for row in db.session.scalars(sa.select(UserSession))}
    plain_row, remembered_row = (
        rows[accounts.session_key(plain)],
        rows[accounts.session_key(remembered)],
    )
    now = accounts.utcnow()
    assert timedelta(hours=11) < plain_row.expires_at - now <= timedelta(hours=12)
    assert timedelta(days=29) < remembered_row.expires_at - now <= timedelta(days=30)
    plain_row.expires_at = now - timedelta(seconds=1)
    db.session.flush()
    assert accounts.user_of_session(plain) is None
    assert accounts.user_of_session(remembered) == user
    _session(user)  # every sign-in prunes ended sessions
    assert db.session.get(UserSession, accounts.session_key(plain)) is None


def test_deactivation_ends_every_session(app, db) -> None:
    admin, user = factories.make_user("admin"), factories.make_user()
    sessions = [_session(user), _session(user, remember=True)]
    accounts.update_user(user, "officer", False, user.full_name, actor=admin)
    assert not user.is_active
    assert [accounts.user_of_session(s) for s in sessions] == [None, None]


def test_control_characters_in_a_name_are_refused(app, db) -> None:
    admin, user = factories.make_user("admin"), factories.make_user(full_name="Jan Novák")
    with pytest.raises(ValidationError) as raised:
        accounts.create_user("nul@x.example", "viewer", "a long passphrase 1", "Ana\x00García")
    assert raised.value.field == "full_name" and "U+0000" in raised.value.message
    with pytest.raises(ValidationError) as raised:
        accounts.update_user(user, "officer", True, "Jan\u0085Novák", actor=admin)
    assert raised.value.field == "full_name"
    assert user.full_name == "Jan Novák"


def test_normalise_email_is_still_importable_from_accounts(app) -> None:
    from crm.services import checks

    assert accounts.normalise_email is checks.normalise_email
    assert accounts.normalise_email(" Ana@AFM.example ") == "ana@afm.example"


def test_admin_cannot_demote_or_deactivate_themselves(app, db) -> None:
    admin = factories.make_user("admin")
    with pytest.raises(ValidationError, match="your own role"):
        accounts.update_user(admin, "viewer", True, "", actor=admin)


def test_failures_lock_the_account_from_that_address_only(app, db) -> None:
    user = factories.make_user()
    for _ in range(5):
        assert authenticate(user.email, "wrong", "10.0.0.1") is None
    with pytest.raises(accounts.Throttled) as raised:
        authenticate(user.email, factories.PASSWORD, "10.0.0.1")
    assert 0 < raised.value.retry_after <= 15 * 60 + 1
    # The owner, elsewhere, still gets in: one address cannot lock an account for everyone.
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.2") == user


def test_one_address_is_limited_across_accounts(app, db) -> None:
    db.session.add_all(
        [LoginFailure(email=f"sprayed{n}@x.example", ip_address="10.0.0.3") for n in range(49)]
    )
    assert authenticate("sprayed49@x.example", "Summer2026!", "10.0.0.3") is None  # the 50th
    with pytest.raises(accounts.Throttled):
        authenticate("someone@else.example", "x", "10.0.0.3")


def test_a_few_failures_from_an_office_address_do_not_lock_out_its_colleagues(app, db) -> None:
    """Behind one NAT everyone shares an address: five wrong tries on other accounts (or
    unknown e-mails) must not stop a colleague with the right password."""
    colleague = factories.make_user()
    for n in range(5):
        assert authenticate(f"typo{n}@x.example", "wrong", "192.0.2.10") is None
    wrong_user = factories.make_user()
    for _ in range(5):
        assert authenticate(wrong_user.email, "wrong", "192.0.2.10") is None
    assert authenticate(colleague.email, factories.PASSWORD, "192.0.2.10") == colleague


def test_each_further_failure_from_an_address_doubles_the_wait(app, db) -> None:
    user = factories.make_user()
    now = accounts.utcnow()

    def fail(address: str, *minutes_ago: float) -> None:
        for minutes in minutes_ago:
            at = now - timedelta(minutes=minutes)
            db.session.add(LoginFailure(email=user.email, ip_address=address, at=at))
        db.session.flush()

    # Five failures five hours ago, then a sixth after the first wait of 15 minutes:
    # the next try waits 30 minutes after it.
    fail("10.0.0.4", 300, 299, 298, 297, 296, 20)
    with pytest.raises(accounts.Throttled) as raised:
        authenticate(user.email, factories.PASSWORD, "10.0.0.4")
    assert 9 * 60 <= raised.value.retry_after <= 10 * 60 + 1
    # A seventh, after that wait: an hour.
    fail("10.0.0.14", 300, 299, 298, 297, 296, 70, 35)
    with pytest.raises(accounts.Throttled) as raised:
        authenticate(user.email, factories.PASSWORD, "10.0.0.14")
    assert 24 * 60 <= raised.value.retry_after <= 25 * 60 + 1


def test_a_success_clears_the_failures_of_that_address(app, db) -> None:
    user = factories.make_user()
    for _ in range(4):
        authenticate(user.email, "wrong", "10.0.0.5")
    authenticate(user.email, "wrong", "10.0.0.6")
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.5") == user
    remaining = db.session.scalars(sa.select(LoginFailure.ip_address)).all()
    assert remaining == ["10.0.0.6"]


def test_many_addresses_meet_a_ceiling_ten_times_higher_per_account(app, db) -> None:
    user = factories.make_user()
    db.session.add_all(
        [LoginFailure(email=user.email, ip_address=f"10.1.0.{n // 5}") for n in range(49)]
    )
    assert authenticate(user.email, "wrong", "10.1.1.1") is None  # the fiftieth
    with pytest.raises(accounts.Throttled):
        authenticate(user.email, factories.PASSWORD, "10.1.1.2")


def test_guesses_spread_over_time_and_addresses_keep_the_old_rate(app, db) -> None:
    """Fifty failures from ten addresses two hours ago: each address's own wait is over, but
    the account's ceiling counts over 150 minutes, so the average rate stays 5 per 15."""
    user = factories.make_user()
    earlier = accounts.utcnow() - timedelta(minutes=120)
    db.session.add_all(
        [
            LoginFailure(email=user.email, ip_address=f"10.2.0.{n // 5}", at=earlier)
            for n in range(50)
        ]
    )
    with pytest.raises(accounts.Throttled) as throttled:
        authenticate(user.email, factories.PASSWORD, "10.2.1.1")
    assert 25 * 60 <= throttled.value.retry_after <= 31 * 60  # free once they are 150 min old
    db.session.execute(
        sa.update(LoginFailure)
        .where(LoginFailure.email == user.email)
        .values(at=accounts.utcnow() - timedelta(minutes=151))
    )
    assert authenticate(user.email, factories.PASSWORD, "10.2.1.1") == user


def test_old_failures_do_not_count(app, db) -> None:
    user = factories.make_user()
    old = accounts.utcnow() - timedelta(minutes=16)
    db.session.add_all(
        [LoginFailure(email=f"other{n}@x.example", ip_address="10.0.0.9", at=old) for n in range(5)]
        + [LoginFailure(email=user.email, ip_address="10.0.0.9", at=old) for _ in range(5)]
    )
    # The address's five and the pair's five are 16 minutes old: the 15-minute wait is over.
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.9") == user
    assert accounts.prune_login_failures(timedelta(minutes=15)) == 5


def test_unknown_and_inactive_accounts_fail_like_wrong_passwords(app, db) -> None:
    user = factories.make_user()
    user.is_active = False
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.3") is None
    assert authenticate("nobody@x.example", "x", "10.0.0.3") is None
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(LoginFailure.ip_address == "10.0.0.3"))
        == 2
    )


def test_a_parallel_burst_cannot_pass_the_limit(app, db) -> None:
    user = factories.make_user()
    attempt = accounts.begin_sign_in(user.email, "10.0.0.4", 5, WINDOW)
    # Five other tries were recorded while this one was on its way to the password check.
    db.session.add_all([LoginFailure(email=user.email, ip_address="10.0.0.4") for _ in range(5)])
    with pytest.raises(accounts.Throttled):
        accounts.finish_sign_in(attempt, factories.PASSWORD, 5, WINDOW)


def test_a_parallel_burst_from_many_addresses_cannot_pass_the_ceiling(app, db) -> None:
    user = factories.make_user()
    attempt = accounts.begin_sign_in(user.email, "10.2.0.1", 5, WINDOW)
    db.session.add_all(
        [LoginFailure(email=user.email, ip_address=f"10.2.1.{n // 4}") for n in range(50)]
    )
    with pytest.raises(accounts.Throttled):
        accounts.finish_sign_in(attempt, factories.PASSWORD, 5, WINDOW)


def test_a_successful_sign_in_is_not_counted_and_keeps_the_version(app, db) -> None:
    user = factories.make_user()
    db.session.commit()
    version = user.version
    assert authenticate(user.email, factories.PASSWORD, "10.0.0.6") == user
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(LoginFailure.email == user.email)) == 0
    )
    db.session.expire_all()
    assert user.last_login_at is not None and user.version == version


def test_ipv6_clients_are_counted_per_64_prefix(app, db) -> None:
    assert accounts.throttle_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert accounts.throttle_address("192.0.2.7") == "192.0.2.7"
    user = factories.make_user()
    for n in range(5):  # one account from five addresses of one /64: one address to us
        authenticate(user.email, "x", f"2001:db8:1:2::{n + 1}")
    with pytest.raises(accounts.Throttled):
        authenticate(user.email, factories.PASSWORD, "2001:db8:1:2:ffff::9")
    assert authenticate(user.email, factories.PASSWORD, "2001:db8:1:3::1") == user


def test_retry_after_waits_until_a_try_is_free_again(app, db) -> None:
    now = accounts.utcnow()
    minutes_ago = [14, 13] + [5] * 49
    db.session.add_all(
        [
            LoginFailure(
                email=f"late{n}@x.example", ip_address="10.0.0.8", at=now - timedelta(minutes=m)
            )
            for n, m in enumerate(minutes_ago)
        ]
    )
    with pytest.raises(accounts.Throttled) as raised:
        accounts.begin_sign_in("other@x.example", "10.0.0.8", 5, WINDOW)
    # 51 in the window from this address, its ceiling 50: two must age out; the second
    # oldest is 13 minutes old, so a try is free in two minutes.
    assert 115 <= raised.value.retry_after <= 125
