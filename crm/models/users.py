"""Accounts, roles and the sign-in throttle."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, StrEnum, TimestampMixin, VersionedMixin, enum_type, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    OFFICER = "officer"
    ORGANISER = "organiser"
    VIEWER = "viewer"


def new_token() -> str:
    return secrets.token_urlsafe(32)


class User(TimestampMixin, VersionedMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[Role] = mapped_column(enum_type(Role))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # No longer read: sessions are rows of user_sessions now. Dropping the column needs a
    # rebuild of this table on SQLite, whose implicit DELETE would fire the ON DELETE SET NULL
    # of every table that points at users; left for a migration that switches foreign keys off.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # Secret part of the private follow-up calendar feed URL.
    calendar_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # The private follow-up feed (crm.services.events.tokens): the SHA-256 (hex) of its
    # secret, never the secret itself, which is shown once; None: no feed.
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    feed_token_created_at: Mapped[datetime | None]
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    # The local hour (0-23, in ``timezone``) of the daily digest of overdue and today's
    # follow-ups; None: no digest.
    digest_hour: Mapped[int | None] = mapped_column(sa.SmallInteger, server_default=sa.text("8"))
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("digest_hour BETWEEN 0 AND 23", name="digest_hour_of_the_day"),
        sa.Index("uq_users_feed_token_hash", "feed_token_hash", unique=True),
    )

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    # The id of the UserSession this request runs in, set by the service that started or
    # found it; not a column (one user has a session per browser).
    # Declarative refuses a plain (non-Mapped) annotation, so only the type checker sees it.
    if TYPE_CHECKING:
        signed_in_session: str | None = None
    else:
        signed_in_session = None

    def get_id(self) -> str:
        """The id of the signed-in session, which Flask-Login keeps in the session cookie and
        the remember-me cookie: deleting the session's row ends both on the server."""
        if self.signed_in_session is None:
            raise RuntimeError("no session: sign in through accounts.start_session")
        return self.signed_in_session

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(Base):
    """One signed-in browser. A random token is all the cookies carry, and the row keeps its
    hash; signing out, a password change or a deactivation deletes the row, and with it every
    copy of those cookies."""

    __tablename__ = "user_sessions"

    # The SHA-256 of the random token the cookies carry (accounts.session_key), not the token.
    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Fixed at sign-in (no write per request): the remember-me lifetime when "keep me signed
    # in" was ticked, else a working day.
    expires_at: Mapped[datetime] = mapped_column(index=True)
    is_remembered: Mapped[bool] = mapped_column(default=False)


class LoginFailure(Base):
    """One failed sign-in or current-password check, counted per account and address. Kept
    in the database so every worker process sees the same count."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip_address: Mapped[str] = mapped_column(sa.String(45))

    __table_args__ = (
        sa.Index("ix_login_failures_email_at", "email", "at"),
        sa.Index("ix_login_failures_ip_address_at", "ip_address", "at"),
    )
