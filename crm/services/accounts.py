"""User accounts: creation, passwords, roles, deactivation, sessions and the sign-in
throttle."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm.extensions import db
from crm.models import AuditAction, LoginFailure, Role, User, utcnow
from crm.models.base import rows_matched
from crm.models.users import UserSession, new_token
from crm.services import audit

# normalise_email moved to checks (which accounts' callers also use); still importable here.
from crm.services.checks import clean_int, clean_text, clean_timezone, normalise_email
from crm.services.errors import ValidationError
from crm.services.versioning import check_version

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def check_password_strength(password: str, email: str = "", field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", field=field
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"the password must have at most {MAX_PASSWORD_LENGTH} characters", field=field
        )
    if email and password.lower() == email.lower():
        raise ValidationError("the password must not be the e-mail address", field=field)
    if len(set(password)) < 5:
        raise ValidationError("the password repeats too few different characters", field=field)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValidationError(
            f"unknown role {value!r}; choose one of {', '.join(r.value for r in Role)}",
            field="role",
        ) from None


def create_user(
    email: str, role: Role | str, password: str, full_name: str = "", actor: User | None = None
) -> User:
    email = normalise_email(email)
    role = parse_role(role) if isinstance(role, str) else role
    full_name = clean_text(full_name, "full_name", 200) or ""
    check_password_strength(password, email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationError(f"a user with the e-mail {email} already exists", field="email")
    user = User(email=email, role=role, full_name=full_name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(
        AuditAction.CREATE,
        "user",
        user.id,
        actor,
        {"email": [None, email], "role": [None, role.value]},
    )
    return user


def _check_new_password(user: User, new: str, confirmation: str) -> None:
    if new != confirmation:
        raise ValidationError("the two new passwords differ", field="confirmation")
    check_password_strength(new, user.email, field="new_password")


def begin_password_change(
    user: User, new: str, confirmation: str, ip_address: str, max_failures: int, window: timedelta
) -> LoginFailure:
    """Refuse an unusable new password (not counted: no secret was tried), then count this
    try against the account like a sign-in before the current password is checked.

    A stolen session must not be a way to guess the password faster than the sign-in page
    allows. The caller commits the attempt before calling ``change_password``.
    """
    _check_new_password(user, new, confirmation)
    return begin_sign_in(user.email, ip_address, max_failures, window)


def change_password(
    user: User,
    attempt: LoginFailure,
    current: str,
    new: str,
    confirmation: str,
    max_failures: int,
    window: timedelta,
    keep_session: str | None = None,
) -> None:
    """Set a new password and end every session of the user but ``keep_session`` (the one
    that changed it). A wrong current password stays counted as a failure."""
    _check_new_password(user, new, confirmation)
    _raise_if_throttled(attempt.email, attempt.ip_address, max_failures, window, attempt)
    if not verify_password(user, current):
        raise ValidationError("the current password is wrong", field="current_password")
    _forget_failures(attempt)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_sessions(user, keep=keep_session)
    audit.record(AuditAction.PASSWORD_CHANGE, "user", user.id, user)


def update_user(
    user: User,
    role: Role | str,
    is_active: bool,
    full_name: str,
    actor: User,
    expected_version: object = None,
) -> None:
    """Change a user's role, name or status; ``expected_version`` is the version the editing
    form was built from (``None`` skips the check, for callers without a form)."""
    role = parse_role(role) if isinstance(role, str) else role
    full_name = clean_text(full_name, "full_name", 200) or ""
    if expected_version is not None:
        check_version(
            user,
            expected_version,
            {"role": role, "is_active": is_active, "full_name": full_name},
            f"The account {user.email}",
        )
    if user.id == actor.id and (role != user.role or not is_active):
        raise ValidationError(
            "you cannot change your own role or deactivate yourself", field="role"
        )
    changes: dict[str, list[object]] = {}
    if role != user.role:
        changes["role"] = [user.role.value, role.value]
        user.role = role
    if is_active != user.is_active:
        changes["is_active"] = [user.is_active, is_active]
        user.is_active = is_active
        if not is_active:
            end_sessions(user)
    if full_name != user.full_name:
        changes["full_name"] = [user.full_name, full_name]
        user.full_name = full_name
    if changes:
        audit.record(AuditAction.UPDATE, "user", user.id, actor, changes)


def update_preferences(user: User, *, timezone: object, digest_hour: object) -> User:
    """Set the time zone a user works in (None or "": the programme's) and the local hour of
    their daily digest (0-23; None or "": no digest). Both are read wherever the user's
    times are: due dates they set, "today" in their lists, when their digest goes."""
    zone = clean_timezone(timezone, "timezone")
    if isinstance(digest_hour, str):
        digest_hour = digest_hour.strip()  # "  " is an empty field: no digest
    elif isinstance(digest_hour, float) and digest_hour.is_integer():
        digest_hour = int(digest_hour)  # 8.0 from a JSON number; 8.5 and NaN stay refused
    hour = clean_int(digest_hour, "digest_hour", 0, 23)
    changes: dict[str, list[object]] = {}
    if zone != user.timezone:
        changes["timezone"] = [user.timezone, zone]
        user.timezone = zone
    if hour != user.digest_hour:
        changes["digest_hour"] = [user.digest_hour, hour]
        user.digest_hour = hour
    if changes:
        db.session.flush()
        audit.record(
            AuditAction.UPDATE, "user", user.id, user, changes, summary="changed preferences"
        )
    return user


def verify_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return True


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def throttle_address(ip_address: str) -> str:
    """The address a failure is counted against: IPv6 clients get a whole /64 each, so that
    rotating through one's own prefix does not reset the count."""
    try:
        address = ipaddress.ip_address(ip_address)
    except ValueError:
        return ip_address[:45]
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# Failures are kept (and a pair's doubling wait counted) for a day, then pruned.
LOOKBACK = timedelta(days=1)
# One account from all addresses together may fail this many times the per-address limit
# within as many windows: a single address cannot lock its owner out, while guesses spread
# over many addresses (or IPv6 prefixes) are held to today's average rate of one limit per
# window (50 in 150 minutes instead of 5 in 15, with the defaults): no faster than before.
ACCOUNT_CEILING_FACTOR = 10
# One address may fail this many times the limit within a window, whatever the accounts: a
# spray of guesses over many accounts meets a wall, while the few typos of an office behind
# one NAT (or a proxy) do not lock every colleague out, as a limit of N did.
ADDRESS_CEILING_FACTOR = 10


def _window_free_at(
    column: sa.orm.QueryableAttribute[str],
    value: str,
    limit: int,
    window: timedelta,
    others: list[sa.ColumnElement[bool]],
) -> datetime | None:
    """When the ``limit``-per-``window`` rule on ``column`` lets one more try through, if it
    does not now: enough failures must age out of the window."""
    since = utcnow() - window
    recent = sa.select(LoginFailure.at).where(column == value, LoginFailure.at >= since, *others)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(recent.subquery())) or 0
    if count < limit:
        return None
    freeing = db.session.scalar(recent.order_by(LoginFailure.at).offset(count - limit))
    return (freeing or utcnow()) + window


def _pair_free_at(
    email: str,
    address: str,
    limit: int,
    window: timedelta,
    others: list[sa.ColumnElement[bool]],
) -> datetime | None:
    """When this address may try this account again: ``limit`` failures (within a day, since
    its last success) cost one window's wait after the last of them, and each further
    failure doubles it, up to a day."""
    pair = (LoginFailure.email == email, LoginFailure.ip_address == address, *others)
    count, latest = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(LoginFailure.at)).where(
            *pair, LoginFailure.at >= utcnow() - LOOKBACK
        )
    ).one()
    if count < limit or latest is None:
        return None
    wait = min(window * 2 ** min(count - limit, 16), LOOKBACK)
    return latest + wait


def _raise_if_throttled(
    email: str,
    address: str,
    limit: int,
    window: timedelta,
    attempt: LoginFailure | None = None,
) -> None:
    """Raise Throttled unless a try of ``email`` from ``address`` may go ahead now.

    With ``attempt`` (already recorded), it is left out and every other row counts, those of
    parallel tries included: a burst then cannot slip more tries past the limits than a
    sequence of tries could.
    """
    others = [LoginFailure.id != attempt.id] if attempt is not None else []
    now = utcnow()
    free_at = [
        _pair_free_at(email, address, limit, window, others),
        _window_free_at(
            LoginFailure.ip_address, address, limit * ADDRESS_CEILING_FACTOR, window, others
        ),
        _window_free_at(
            LoginFailure.email,
            email,
            limit * ACCOUNT_CEILING_FACTOR,
            window * ACCOUNT_CEILING_FACTOR,
            others,
        ),
    ]
    latest = max((at for at in free_at if at is not None and at > now), default=None)
    if latest is not None:
        raise Throttled(max(int((latest - now).total_seconds()) + 1, 1))


def begin_sign_in(
    email: str, ip_address: str, max_failures: int, window: timedelta
) -> LoginFailure:
    """Check the limits, then record this attempt as a failure before any password is
    checked.

    The caller commits the attempt first: parallel guesses then see each other's rows, so a
    burst cannot slip more than ``max_failures`` tries past the count.
    """
    email = email.strip().lower()[:254]
    address = throttle_address(ip_address)
    _raise_if_throttled(email, address, max_failures, window)
    attempt = LoginFailure(email=email, ip_address=address)
    db.session.add(attempt)
    db.session.flush()
    prune_login_failures()  # keeps the table small without a scheduled job
    return attempt


def finish_sign_in(
    attempt: LoginFailure, password: str, max_failures: int, window: timedelta
) -> User | None:
    """Return the active user the credentials belong to (the address's failures on the
    account are then forgotten), or None, leaving the attempt counted as a failure."""
    _raise_if_throttled(attempt.email, attempt.ip_address, max_failures, window, attempt)
    user = db.session.scalar(sa.select(User).where(User.email == attempt.email))
    if user is None or not user.is_active:
        try:
            _hasher.verify(_DUMMY_HASH, password)  # the same work as a real check
        except VerificationError:
            pass
        return None
    if not verify_password(user, password):
        return None
    _forget_failures(attempt)
    # A plain UPDATE: signing in is not an edit and must not bump the record's version.
    db.session.execute(sa.update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    return user


def _forget_failures(attempt: LoginFailure) -> None:
    """The password was right: this address's failures on the account were the owner's."""
    db.session.execute(
        sa.delete(LoginFailure).where(
            LoginFailure.email == attempt.email, LoginFailure.ip_address == attempt.ip_address
        )
    )


def prune_login_failures(older_than: timedelta = LOOKBACK) -> int:
    result = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.at < utcnow() - older_than)
    )
    return rows_matched(result)


# Sessions -----------------------------------------------------------------------------


def start_session(
    user: User, remember: bool, lifetime: timedelta, remember_lifetime: timedelta
) -> UserSession:
    """A new session for a user who just proved their password; its id goes in the cookies.

    Its end is fixed now (``remember_lifetime`` with "keep me signed in", else ``lifetime``)
    so that reading a page never has to write.
    """
    prune_sessions()  # keeps the table small without a scheduled job
    token = new_token()
    row = UserSession(
        id=session_key(token),
        user_id=user.id,
        is_remembered=remember,
        expires_at=utcnow() + (remember_lifetime if remember else lifetime),
    )
    db.session.add(row)
    db.session.flush()
    user.signed_in_session = token
    return row


def session_key(token: str) -> str:
    """What the server keeps of a session: a hash of the random token the cookies carry, so
    that a copy of the database (a backup) holds no session anyone could sign in with."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_of_session(session_id: str) -> User | None:
    """The active user of a live session, or None for an ended, expired or forged one."""
    if not session_id or len(session_id) > 64:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.id == session_key(session_id),
            UserSession.expires_at > utcnow(),
            User.is_active.is_(True),
        )
    )
    if user is not None:
        user.signed_in_session = session_id
    return user


def end_session(session_id: str | None) -> None:
    """Sign out: every copy of this session's cookies stops working."""
    if session_id:
        db.session.execute(sa.delete(UserSession).where(UserSession.id == session_key(session_id)))


def end_sessions(user: User, keep: str | None = None) -> int:
    """End every session of ``user`` but ``keep``; returns how many ended."""
    statement = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.id != session_key(keep))
    return rows_matched(db.session.execute(statement))


def prune_sessions() -> int:
    result = db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= utcnow()))
    return rows_matched(result)
