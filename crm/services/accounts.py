"""User accounts: creation, passwords, roles, deactivation and the sign-in throttle."""

from __future__ import annotations

import ipaddress
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from crm.extensions import db
from crm.models import LoginFailure, Role, User, utcnow
from crm.models.users import new_token
from crm.services import audit
from crm.services.errors import ValidationError
from crm.services.versioning import check_version

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def normalise_email(raw: str, field: str = "email") -> str:
    value = (raw or "").strip()
    if not value:
        raise ValidationError("an e-mail address is required", field=field)
    if len(value) > 254:
        raise ValidationError("the e-mail address is longer than 254 characters", field=field)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(
            f"{value!r} is not a valid e-mail address: {error}", field=field
        ) from None
    return checked.normalized.lower()


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
    full_name = full_name.strip()
    if len(full_name) > 200:
        raise ValidationError("the name must have at most 200 characters", field="full_name")
    check_password_strength(password, email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationError(f"a user with the e-mail {email} already exists", field="email")
    user = User(email=email, role=role, full_name=full_name, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create", "user", user.id, actor, {"email": [None, email], "role": [None, role.value]}
    )
    return user


def change_password(user: User, current: str, new: str, confirmation: str) -> None:
    """Set a new password and end every other session of the user (the caller re-signs in)."""
    if not verify_password(user, current):
        raise ValidationError("the current password is wrong", field="current_password")
    if new != confirmation:
        raise ValidationError("the two new passwords differ", field="confirmation")
    check_password_strength(new, user.email, field="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.session_token = new_token()
    audit.record("password-change", "user", user.id, user)


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
    full_name = full_name.strip()
    if len(full_name) > 200:
        raise ValidationError("the name must have at most 200 characters", field="full_name")
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
    changes = {}
    if role != user.role:
        changes["role"] = [user.role.value, role.value]
        user.role = role
    if is_active != user.is_active:
        changes["is_active"] = [user.is_active, is_active]
        user.is_active = is_active
        if not is_active:
            user.session_token = new_token()  # ends all of the user's sessions at once
    if full_name != user.full_name:
        changes["full_name"] = [user.full_name, full_name]
        user.full_name = full_name
    if changes:
        audit.record("update", "user", user.id, actor, changes)


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


def _raise_if_throttled(email: str, address: str, limit: int, window: timedelta) -> None:
    since = utcnow() - window
    for column, value in ((LoginFailure.email, email), (LoginFailure.ip_address, address)):
        recent = sa.select(LoginFailure.at).where(column == value, LoginFailure.at >= since)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(recent.subquery())) or 0
        if count >= limit:
            # The wait until enough failures have aged out of the window to allow one more try.
            freeing = db.session.scalar(recent.order_by(LoginFailure.at).offset(count - limit))
            retry = int(((freeing or utcnow()) + window - utcnow()).total_seconds()) + 1
            raise Throttled(max(retry, 1))


def begin_sign_in(
    email: str, ip_address: str, max_failures: int, window: timedelta
) -> LoginFailure:
    """Check the limit, then record this attempt as a failure before any password is checked.

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
    """Return the active user the credentials belong to (the attempt is then forgotten), or
    None, leaving the attempt counted as a failure."""
    # Our own attempt is among the rows now: more than the limit means a parallel burst.
    _raise_if_throttled(attempt.email, attempt.ip_address, max_failures + 1, window)
    user = db.session.scalar(sa.select(User).where(User.email == attempt.email))
    if user is None or not user.is_active:
        try:
            _hasher.verify(_DUMMY_HASH, password)  # the same work as a real check
        except VerificationError:
            pass
        return None
    if not verify_password(user, password):
        return None
    db.session.delete(attempt)
    # A plain UPDATE: signing in is not an edit and must not bump the record's version.
    db.session.execute(sa.update(User).where(User.id == user.id).values(last_login_at=utcnow()))
    return user


def prune_login_failures(older_than: timedelta = timedelta(days=1)) -> int:
    result = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.at < utcnow() - older_than)
    )
    return result.rowcount or 0
