"""User accounts: creation, passwords, roles, deactivation and the sign-in throttle."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from crm.extensions import db
from crm.models import LoginFailure, Role, User, utcnow
from crm.models.users import new_token
from crm.services import audit
from crm.services.errors import ValidationError

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


def update_user(user: User, role: Role | str, is_active: bool, full_name: str, actor: User) -> None:
    role = parse_role(role) if isinstance(role, str) else role
    full_name = full_name.strip()
    if len(full_name) > 200:
        raise ValidationError("the name must have at most 200 characters", field="full_name")
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


def _recent_failures(column: sa.ColumnElement[str], value: str, since: datetime) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginFailure)
            .where(column == value, LoginFailure.at >= since)
        )
        or 0
    )


def check_throttle(email: str, ip_address: str, max_failures: int, window: timedelta) -> None:
    """Raise ``Throttled`` if the account or the address failed too often within the window."""
    since = utcnow() - window
    email = email.strip().lower()
    if (
        _recent_failures(LoginFailure.email, email, since) >= max_failures
        or _recent_failures(LoginFailure.ip_address, ip_address, since) >= max_failures
    ):
        oldest = db.session.scalar(
            sa.select(sa.func.min(LoginFailure.at)).where(
                LoginFailure.at >= since,
                sa.or_(LoginFailure.email == email, LoginFailure.ip_address == ip_address),
            )
        )
        retry = int(((oldest or utcnow()) + window - utcnow()).total_seconds()) + 1
        raise Throttled(max(retry, 1))


def authenticate(
    email: str, password: str, ip_address: str, max_failures: int, window: timedelta
) -> User | None:
    """Return the active user these credentials belong to, or None after recording a failure.

    Raises ``Throttled`` before checking anything once the limit is reached, so a guesser
    learns nothing more from further tries.
    """
    email = email.strip().lower()[:254]
    check_throttle(email, ip_address, max_failures, window)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None or not user.is_active:
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        user = None
    elif not verify_password(user, password):
        user = None
    if user is None:
        db.session.add(LoginFailure(email=email, ip_address=ip_address[:45]))
        prune_login_failures()  # keeps the table small without a scheduled job
        return None
    user.last_login_at = utcnow()
    return user


def prune_login_failures(older_than: timedelta = timedelta(days=1)) -> int:
    result = db.session.execute(
        sa.delete(LoginFailure).where(LoginFailure.at < utcnow() - older_than)
    )
    return result.rowcount or 0
