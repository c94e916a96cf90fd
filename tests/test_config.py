from __future__ import annotations

import pytest

from crm import create_app
from crm.config import ConfigError, build_config, check_production_safety

GOOD_KEY = "k" * 40
GOOD = {"CRM_SECRET_KEY": GOOD_KEY, "CRM_ERASURE_KEY": "e" * 40}


def test_defaults_to_sqlite_in_instance_folder(tmp_path) -> None:
    config = build_config(str(tmp_path), {"CRM_ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/crm.sqlite3"
    assert config["CRM_TIMEZONE"] == "Europe/Brussels"


def test_postgresql_url_gets_the_psycopg_driver(tmp_path) -> None:
    config = build_config(
        str(tmp_path), {"CRM_DATABASE_URL": "postgresql://u@h/db", "CRM_SECRET_KEY": GOOD_KEY}
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "CRM_SECRET_KEY is not set"),
        ({"CRM_SECRET_KEY": "short"}, "5 characters long"),
        ({**GOOD, "CRM_DEBUG": "1"}, "CRM_DEBUG is on in production"),
        ({"CRM_SECRET_KEY": GOOD_KEY}, "CRM_ERASURE_KEY is missing"),
        ({**GOOD, "CRM_ERASURE_KEY": "short"}, "CRM_ERASURE_KEY is missing or shorter"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, environ, message) -> None:
    config = build_config(str(tmp_path), environ)
    with pytest.raises(ConfigError, match=message):
        check_production_safety(config)


def test_create_app_refuses_to_start_without_secret(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY"):
        create_app()


def test_production_with_a_good_key_starts_with_secure_cookies(tmp_path) -> None:
    config = build_config(str(tmp_path), GOOD)
    check_production_safety(config)
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["REMEMBER_COOKIE_DURATION"].days == 30


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CRM_ENV": "staging"}, "CRM_ENV='staging' is unknown"),
        ({"CRM_TIMEZONE": "Mars/Olympus"}, "not a known IANA time zone"),
        ({"CRM_DEBUG": "perhaps"}, "CRM_DEBUG='perhaps' is not a yes/no value"),
        ({"CRM_REMEMBER_DAYS": "90"}, "between 1 and 30"),
        ({"CRM_PROXY_HOPS": "one"}, "CRM_PROXY_HOPS='one' is not a whole number"),
    ],
)
def test_bad_settings_say_which_and_why(tmp_path, environ, message) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(str(tmp_path), environ)
