"""A real SMTP server in the test process (aiosmtpd), collecting what it accepts.

It listens on a free port of 127.0.0.1 in a thread of its own; it can refuse the first N
messages with a 4xx or 5xx reply, be stopped and started again on the same port (a mail
server that is down, then back), offer STARTTLS or speak TLS from the first byte with a
throwaway certificate made for the test, and ask for a login.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from crm.services.mail import MailSettings
from tests.livedb import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Collector:
    """The handler: keeps every message it accepts; refuses the first ``refuse_first`` DATA
    commands with ``refusal`` (``refuse_first=-1``: all of them)."""

    refuse_first: int = 0
    refusal: str = "451 4.3.0 Mailbox busy, try again later"
    delay: float = 0.0  # seconds to think before answering DATA (a slower server)
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    # Called with the count of messages accepted so far, before the server says so.
    on_accept: Callable[[int], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _data_commands: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self._data_commands += 1
            refuse = self.refuse_first < 0 or self._data_commands <= self.refuse_first
            if refuse:
                self.refused += 1
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop: one message at a time
        if refuse:
            return self.refusal
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)  # type: ignore[arg-type]
            )
            count = len(self.received)
        if self.on_accept is not None:
            self.on_accept(count)
        return "250 2.0.0 OK: queued"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received]

    def message_ids(self) -> list[str]:
        with self._lock:
            return [r.message_id for r in self.received]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.refused = 0
            self._data_commands = 0


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class SMTPServer:
    """An aiosmtpd server on a free port; ``security`` is none, starttls or tls (TLS needs a
    ``certificate`` from ``make_certificate``); ``login`` (user, password) makes it ask for
    one (over TLS only unless ``login_over_plain``)."""

    def __init__(
        self,
        *,
        security: str = "none",
        certificate: tuple[Path, Path] | None = None,
        login: tuple[str, str] | None = None,
        login_over_plain: bool = False,
        smtputf8: bool = False,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.security = security
        self.handler = Collector()
        self.login = login
        self.logins: list[str] = []
        self._certificate = certificate
        self._login_over_plain = login_over_plain
        self._smtputf8 = smtputf8
        self._controller: Controller | None = None

    def _context(self) -> ssl.SSLContext | None:
        if self.security == "none":
            return None
        assert self._certificate is not None, "TLS needs a certificate"
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, self._certificate))
        return context

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.login is not None
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append(user)
            if (user, password) == self.login:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        context = self._context()
        options: dict[str, Any] = {}
        if self.security == "starttls":
            options["tls_context"] = context
        if self.login is not None:
            options["authenticator"] = self._authenticate
            # aiosmtpd counts only STARTTLS as TLS; a server speaking TLS from the first byte
            # is encrypted all along, so it may offer login at once.
            options["auth_require_tls"] = self.security == "starttls" or (
                self.security == "none" and not self._login_over_plain
            )
        self._controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            ssl_context=context if self.security == "tls" else None,
            ready_timeout=10,
            enable_SMTPUTF8=self._smtputf8,
            **options,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, **overrides: Any) -> MailSettings:
        """Settings of the app that point at this server."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "sender": "crm@crm.example.org",
            "base_url": "https://crm.example.org",
            "timeout": 5.0,
        }
        if self.login is not None:
            values["username"], values["password"] = self.login
        values.update(overrides)
        return MailSettings(**values)

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@contextmanager
def smtp_server(**options: Any) -> Iterator[SMTPServer]:
    """A started ``SMTPServer``, stopped at the end whatever happens."""
    server = SMTPServer(**options)
    server.start()
    try:
        yield server
    finally:
        server.stop()
