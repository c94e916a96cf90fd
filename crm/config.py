"""Settings: safe defaults, overridden by ``CRM_*`` environment variables.

Production is the default mode, so a forgotten setting fails closed: the app refuses to start
without a real secret key or with debug on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_SECRET_KEY_LENGTH = 32
ENVIRONMENTS = ("production", "development", "testing")
# How the connection to the SMTP server is protected, and the port each mode usually has:
# plain (or opportunistic) SMTP on 25, submission with STARTTLS on 587, TLS from the first
# byte ("SMTPS") on 465.
MAIL_SECURITY_PORTS = {"none": 25, "starttls": 587, "tls": 465}
# Off production the default is a local mail catcher (e.g. ``python -m aiosmtpd -n``), so a
# development install never hands mail to a real server by accident.
DEVELOPMENT_MAIL_HOST = "127.0.0.1"
DEVELOPMENT_MAIL_PORT = 1025
DEVELOPMENT_MAIL_SECURITY = "none"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# crm scheduler: a shorter dispatch interval than the jobs' own (a minute) is for tests and
# for operators who want mail sooner; more than an hour would leave reminders an hour late.
SCHEDULER_INTERVAL_RANGE = (1, 3600)


class ConfigError(RuntimeError):
    """A setting that makes the app unsafe or unable to run; the message says which and why."""


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name}={value!r} is not a yes/no value (use 1 or 0)")


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a whole number") from None


def _mail_config(env: Mapping[str, str], production: bool, base_url: str) -> dict[str, Any]:
    """The CRM_MAIL_* settings, checked: a wrong one stops the app at start with a message
    naming it, instead of every reminder failing later."""
    security = env.get("CRM_MAIL_SECURITY", "").strip().lower()
    if not security:
        security = "starttls" if production else DEVELOPMENT_MAIL_SECURITY
    if security not in MAIL_SECURITY_PORTS:
        raise ConfigError(
            f"CRM_MAIL_SECURITY={env['CRM_MAIL_SECURITY']!r} is unknown; use none, starttls "
            "(usually port 587) or tls (usually port 465)"
        )
    host = env.get("CRM_MAIL_HOST", "").strip()
    if not host:
        host = "localhost" if production else DEVELOPMENT_MAIL_HOST
    raw_port = env.get("CRM_MAIL_PORT", "").strip()
    if raw_port:
        if not raw_port.isascii() or not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise ConfigError(
                f"CRM_MAIL_PORT={raw_port!r} is not a port number (1 to 65535, e.g. 587)"
            )
        port = int(raw_port)
    elif not production and security == DEVELOPMENT_MAIL_SECURITY:
        port = DEVELOPMENT_MAIL_PORT
    else:
        port = MAIL_SECURITY_PORTS[security]
    username = env.get("CRM_MAIL_USERNAME", "").strip()
    password = env.get("CRM_MAIL_PASSWORD", "")
    if password and not username:
        raise ConfigError(
            "CRM_MAIL_PASSWORD is set but CRM_MAIL_USERNAME is not: set both or neither"
        )
    if production and username and security == "none" and host not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"CRM_MAIL_USERNAME is set with CRM_MAIL_SECURITY=none: the password would cross "
            f"the network to {host} in clear; use starttls or tls"
        )
    sender = env.get("CRM_MAIL_SENDER", "").strip()
    if not sender:
        sender = f"crm@{urlsplit(base_url).hostname or 'localhost'}"
    # Exactly one mailbox, as mail clients read it: a comma or a colon in an unquoted name
    # would make it two addresses or a group, and every message would be refused.
    mailboxes = getaddresses([sender])
    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', "", sender)
    address = mailboxes[0][1] if len(mailboxes) == 1 and not set(unquoted) & set(":;") else ""
    local, at, domain = address.partition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in local + domain):
        raise ConfigError(
            f"CRM_MAIL_SENDER={sender!r} is not an e-mail address (e.g. crm@example.org or "
            "'MTS CRM <crm@example.org>'; a name with a comma or a colon goes in double quotes)"
        )
    return {
        "CRM_MAIL_HOST": host,
        "CRM_MAIL_PORT": port,
        "CRM_MAIL_SECURITY": security,
        "CRM_MAIL_USERNAME": username,
        "CRM_MAIL_PASSWORD": password,
        "CRM_MAIL_SENDER": sender,
    }


def _scheduler_interval(env: Mapping[str, str]) -> int | None:
    """``CRM_SCHEDULER_INTERVAL_SECONDS``: None (unset) keeps each job's own interval."""
    raw = env.get("CRM_SCHEDULER_INTERVAL_SECONDS", "").strip()
    if not raw:
        return None
    seconds = _int(raw, "CRM_SCHEDULER_INTERVAL_SECONDS")
    low, high = SCHEDULER_INTERVAL_RANGE
    if not low <= seconds <= high:
        raise ConfigError(
            f"CRM_SCHEDULER_INTERVAL_SECONDS={raw!r} is out of range: use {low} to {high} "
            "seconds (or leave it unset for a minute)"
        )
    return seconds


def build_config(instance_path: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the Flask config for this process, read from ``environ`` (default: os.environ)."""
    env = os.environ if environ is None else environ
    mode = env.get("CRM_ENV", "production").strip().lower()
    if mode not in ENVIRONMENTS:
        raise ConfigError(f"CRM_ENV={mode!r} is unknown; use one of {', '.join(ENVIRONMENTS)}")
    production = mode == "production"

    database_url = env.get("CRM_DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "crm.sqlite3")
    )
    if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    base_url = env.get("CRM_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    timezone_name = env.get("CRM_TIMEZONE", "Europe/Brussels")
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CRM_TIMEZONE={timezone_name!r} is not a known IANA time zone") from None

    secure_default = "1" if production else "0"
    cookie_secure = _flag(env.get("CRM_COOKIE_SECURE", secure_default), "CRM_COOKIE_SECURE")
    remember_days = _int(env.get("CRM_REMEMBER_DAYS", "30"), "CRM_REMEMBER_DAYS")
    if not 0 < remember_days <= 30:
        raise ConfigError("CRM_REMEMBER_DAYS must be between 1 and 30")

    config: dict[str, Any] = {
        "ENV_NAME": mode,
        "DEBUG": _flag(env.get("CRM_DEBUG", "0"), "CRM_DEBUG"),
        "TESTING": mode == "testing",
        "SECRET_KEY": env.get("CRM_SECRET_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "CRM_BASE_URL": base_url,
        "CRM_TIMEZONE": timezone_name,
        "CRM_PROXY_HOPS": _int(env.get("CRM_PROXY_HOPS", "0"), "CRM_PROXY_HOPS"),
        "CRM_LOGIN_MAX_FAILURES": _int(
            env.get("CRM_LOGIN_MAX_FAILURES", "5"), "CRM_LOGIN_MAX_FAILURES"
        ),
        "CRM_LOGIN_WINDOW": timedelta(minutes=15),
        "SESSION_COOKIE_SECURE": cookie_secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "crm_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        "REMEMBER_COOKIE_NAME": "crm_remember",
        "REMEMBER_COOKIE_DURATION": timedelta(days=remember_days),
        "REMEMBER_COOKIE_SECURE": cookie_secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # Long forms must survive a coffee break; the token stays bound to the session.
        "WTF_CSRF_TIME_LIMIT": 12 * 3600,
        "WTF_CSRF_SSL_STRICT": base_url.startswith("https://"),
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        **_mail_config(env, production, base_url),
        "CRM_SCHEDULER_INTERVAL_SECONDS": _scheduler_interval(env),
    }
    if not config["SECRET_KEY"] and not production:
        # Development and tests get a per-process key; sessions just do not survive restarts.
        config["SECRET_KEY"] = os.urandom(32).hex()
    # Keys the hashes that recognise erased people's e-mails; unlike the secret key it must
    # never be rotated, or erased people would come back through the next import.
    config["CRM_ERASURE_KEY"] = env.get("CRM_ERASURE_KEY", "")
    if not config["CRM_ERASURE_KEY"] and not production:
        config["CRM_ERASURE_KEY"] = "development-only-erasure-key-not-for-production"
    return config


def check_production_safety(config: Mapping[str, Any]) -> None:
    """Refuse settings that would make a production server unsafe, saying which one and why."""
    if config.get("ENV_NAME") != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if not key:
        raise ConfigError(
            "CRM_SECRET_KEY is not set: production needs a random secret of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters, e.g. python -c 'import secrets; "
            "print(secrets.token_hex(32))'"
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            f"CRM_SECRET_KEY is {len(key)} characters long: production needs at least "
            f"{MIN_SECRET_KEY_LENGTH} so that sessions cannot be forged"
        )
    erasure_key = config.get("CRM_ERASURE_KEY") or ""
    if len(erasure_key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "CRM_ERASURE_KEY is missing or shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters: it keys the hashes by which erased people "
            "are recognised; generate it once like CRM_SECRET_KEY and never change it"
        )
    if config.get("DEBUG"):
        raise ConfigError(
            "CRM_DEBUG is on in production: the debugger would let any visitor run code; "
            "unset CRM_DEBUG or set CRM_ENV=development on your own machine"
        )
