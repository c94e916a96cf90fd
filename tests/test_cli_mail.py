"""``crm mail test ADDRESS``: exit 0 and "sent", or exit 1 and what is wrong, against real
SMTP servers (aiosmtpd in this process)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from crm.cli import cli
from tests.livedb import crm_executable, free_port
from tests.smtp import SMTPServer, make_certificate, smtp_server


def _point_at(app: Flask, monkeypatch: pytest.MonkeyPatch, **settings: object) -> None:
    for name, value in settings.items():
        monkeypatch.setitem(app.config, f"CRM_MAIL_{name.upper()}", value)


def _mail_test(app: Flask, address: str = "admin@programme.example"):
    return app.test_cli_runner().invoke(cli, ["mail", "test", address])


def test_a_working_server_gets_the_test_message(app, monkeypatch) -> None:
    with smtp_server() as server:
        _point_at(app, monkeypatch, host=server.host, port=server.port, security="none")
        result = _mail_test(app)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("sent: a test message to admin@programme.example through")
    (received,) = server.received
    assert received.rcpt_tos == ["admin@programme.example"]


def test_a_refused_port(app, monkeypatch) -> None:
    _point_at(app, monkeypatch, host="127.0.0.1", port=free_port(), security="none")
    result = _mail_test(app)
    assert result.exit_code == 1
    assert "not sent: connection refused" in result.output and "CRM_MAIL_PORT" in result.output


def test_a_wrong_security_mode(app, monkeypatch) -> None:
    with smtp_server() as server:  # plain SMTP, told to speak TLS
        _point_at(app, monkeypatch, host=server.host, port=server.port, security="tls")
        result = _mail_test(app)
    assert result.exit_code == 1
    assert "TLS handshake" in result.output and "is CRM_MAIL_SECURITY right?" in result.output
    assert server.received == []


def test_bad_credentials(app, monkeypatch, tmp_path: Path) -> None:
    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with smtp_server(security="starttls", certificate=certificate,
                     login=("crm", "the right passphrase")) as server:  # fmt: skip
        _point_at(app, monkeypatch, host=server.host, port=server.port, security="starttls",
                  username="crm", password="a wrong passphrase")  # fmt: skip
        result = _mail_test(app)
    assert result.exit_code == 1
    assert "not sent: authentication failed" in result.output
    assert "a wrong passphrase" not in result.output  # the password is never shown
    assert server.received == []


def test_a_bad_address(app, monkeypatch) -> None:
    with smtp_server() as server:
        _point_at(app, monkeypatch, host=server.host, port=server.port, security="none")
        result = _mail_test(app, "not-an-address")
    assert result.exit_code == 1 and "not a valid e-mail address" in result.output
    assert server.received == []


@pytest.mark.slow  # the installed console command, in subprocesses
def test_the_console_command_reads_the_settings_from_the_environment(tmp_path: Path) -> None:
    server = SMTPServer()
    env = {
        **os.environ,
        "CRM_ENV": "development",
        "CRM_DATABASE_URL": "sqlite:///" + str(tmp_path / "unused.sqlite3"),
        "CRM_MAIL_HOST": server.host,
        "CRM_MAIL_PORT": str(server.port),
        "CRM_MAIL_SECURITY": "none",
        "CRM_BASE_URL": "https://crm.example.org",
    }

    def run() -> subprocess.CompletedProcess[str]:
        command = [*crm_executable(), "mail", "test", "admin@programme.example"]
        return subprocess.run(
            command, env=env, text=True, capture_output=True, timeout=60, check=False
        )

    down = run()  # nothing listens on the port yet
    assert down.returncode == 1 and "connection refused" in down.stderr
    server.start()
    try:
        up = run()
    finally:
        server.stop()
    assert up.returncode == 0, up.stderr
    assert "sent: a test message" in up.stdout
    (received,) = server.received
    assert received.message["From"] == "crm@crm.example.org"
    env["CRM_MAIL_SECURITY"] = "ssl"
    refused = run()
    assert refused.returncode != 0 and "CRM_MAIL_SECURITY='ssl' is unknown" in refused.stderr
