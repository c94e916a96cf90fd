"""Accounts, roles and the sign-in throttle."""

from __future__ import annotations

import secrets
from datetime import datetime

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
    # Flask-Login's "alternative id": rotating it ends every other session and remember cookie.
    session_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    # Secret part of the private follow-up calendar feed URL.
    calendar_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Flask-Login protocol -------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session token plus the sign-in time, which also ends up in the remember-me
        cookie: the user loader refuses ids older than the remember-me lifetime, so a copied
        cookie stops working on the server, not only in the browser."""
        return f"{self.session_token}.{int(utcnow().timestamp())}"

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginFailure(Base):
    """One failed sign-in. Kept in the database so every worker process sees the same count."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip_address: Mapped[str] = mapped_column(sa.String(45))

    __table_args__ = (
        sa.Index("ix_login_failures_email_at", "email", "at"),
        sa.Index("ix_login_failures_ip_address_at", "ip_address", "at"),
    )
