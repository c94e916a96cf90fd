"""The CRM_MAIL_* settings: defaults per mode and security, and the ones refused at start."""

from __future__ import annotations

import pytest

from crm.config import ConfigError, build_config
from crm.services.mail import MailSettings

PRODUCTION = {"CRM_SECRET_KEY": "k" * 40, "CRM_ERASURE_KEY": "e" * 40}


def _mail(tmp_path, environ: dict[str, str]) -> MailSettings:
    return MailSettings.from_config(build_config(str(tmp_path), environ))


def test_development_sends_to_a_local_catcher(tmp_path) -> None:
    settings = _mail(tmp_path, {"CRM_ENV": "development"})
    assert (settings.host, settings.port, settings.security) == ("127.0.0.1", 1025, "none")
    assert (settings.username, settings.password) == ("", "")
    assert settings.sender == "crm@127.0.0.1"


@pytest.mark.parametrize(("security", "port"), [("none", 25), ("starttls", 587), ("tls", 465)])
def test_production_port_follows_the_security_mode(tmp_path, security: str, port: int) -> None:
    settings = _mail(tmp_path, {**PRODUCTION, "CRM_MAIL_SECURITY": security.upper()})
    assert (settings.host, settings.port, settings.security) == ("localhost", port, security)


def test_production_defaults_to_starttls_and_a_sender_at_the_base_url(tmp_path) -> None:
    settings = _mail(tmp_path, {**PRODUCTION, "CRM_BASE_URL": "https://crm.example.org/"})
    assert (settings.port, settings.security) == (587, "starttls")
    assert settings.sender == "crm@crm.example.org" and settings.domain == "crm.example.org"
    assert settings.link("/followups/3") == "https://crm.example.org/followups/3"


def test_every_setting_is_read(tmp_path) -> None:
    settings = _mail(
        tmp_path,
        {
            **PRODUCTION,
            "CRM_MAIL_HOST": "smtp.example.org",
            "CRM_MAIL_PORT": "2525",
            "CRM_MAIL_SECURITY": "tls",
            "CRM_MAIL_USERNAME": "crm@example.org",
            "CRM_MAIL_PASSWORD": "correct horse",
            "CRM_MAIL_SENDER": "MTS CRM <crm@example.org>",
        },
    )
    assert settings == MailSettings(
        host="smtp.example.org", port=2525, security="tls", username="crm@example.org",
        password="correct horse", sender="MTS CRM <crm@example.org>",
        base_url="http://127.0.0.1:5000",
    )  # fmt: skip
    assert "correct horse" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CRM_MAIL_SECURITY": "ssl"}, "CRM_MAIL_SECURITY='ssl' is unknown"),
        ({"CRM_MAIL_PORT": "smtp"}, "CRM_MAIL_PORT='smtp' is not a port number"),
        ({"CRM_MAIL_PORT": "0"}, "CRM_MAIL_PORT='0' is not a port number"),
        ({"CRM_MAIL_PORT": "65536"}, "is not a port number"),
        ({"CRM_MAIL_PORT": "٥٨٧"}, "is not a port number"),  # digits, but not ASCII ones
        ({"CRM_MAIL_PORT": "-25"}, "is not a port number"),
        ({"CRM_MAIL_PASSWORD": "secret"}, "CRM_MAIL_PASSWORD is set but CRM_MAIL_USERNAME"),
        ({"CRM_MAIL_SENDER": "crm"}, "CRM_MAIL_SENDER='crm' is not an e-mail address"),
        ({"CRM_MAIL_SENDER": "crm@"}, "is not an e-mail address"),
        # A comma or a colon outside quotes: two mailboxes, or a group; servers refuse them.
        ({"CRM_MAIL_SENDER": "MTS CRM, Brussels <crm@example.org>"}, "in double quotes"),
        ({"CRM_MAIL_SENDER": "CRM: reminders <crm@example.org>"}, "in double quotes"),
        (
            {"CRM_MAIL_HOST": "smtp.example.org", "CRM_MAIL_SECURITY": "none",
             "CRM_MAIL_USERNAME": "crm", "CRM_MAIL_PASSWORD": "pw"},
            "the password would cross the network to smtp.example.org in clear",
        ),
    ],
)  # fmt: skip
def test_wrong_settings_stop_the_app_naming_them(tmp_path, environ, message) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(str(tmp_path), {**PRODUCTION, **environ})


def test_a_quoted_name_may_hold_a_comma(tmp_path) -> None:
    sender = '"MTS CRM, Brussels" <crm@example.org>'
    config = build_config(str(tmp_path), {**PRODUCTION, "CRM_MAIL_SENDER": sender})
    assert config["CRM_MAIL_SENDER"] == sender


def test_a_login_in_clear_to_a_local_relay_is_allowed(tmp_path) -> None:
    settings = _mail(tmp_path, {**PRODUCTION, "CRM_MAIL_SECURITY": "none",
                                "CRM_MAIL_USERNAME": "crm", "CRM_MAIL_PASSWORD": "pw"})  # fmt: skip
    assert (settings.host, settings.port, settings.username) == ("localhost", 25, "crm")
