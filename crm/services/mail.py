"""Mail through SMTP: the settings, one connection, composing a message, checking the settings.

Services have no app to ask, so ``create_app`` hands the settings over once (``configure``),
as it hands the time zone to ``crm.clock``; a caller holding settings of its own (the CLI,
tests) passes them instead. Every failure is put into plain words by ``describe_failure``:
``crm mail test`` prints them, and the outbox keeps them as a message's last error for the
admins' page.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import functools
import hashlib
import secrets
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from crm.services.checks import clean_email
from crm.services.errors import ValidationError

SECURITY_MODES = ("none", "starttls", "tls")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "mail"
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes and how (``CRM_MAIL_*``), and the address its links point to."""

    host: str
    port: int
    security: str = "none"  # none, starttls or tls
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = "crm@localhost"
    base_url: str = "http://127.0.0.1:5000"
    timeout: float = DEFAULT_TIMEOUT  # seconds for each network step

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailSettings:
        """The settings of an app's config (checked there by ``crm.config``)."""
        return cls(
            host=config["CRM_MAIL_HOST"],
            port=int(config["CRM_MAIL_PORT"]),
            security=config["CRM_MAIL_SECURITY"],
            username=config.get("CRM_MAIL_USERNAME") or "",
            password=config.get("CRM_MAIL_PASSWORD") or "",
            sender=config["CRM_MAIL_SENDER"],
            base_url=config["CRM_BASE_URL"],
        )

    @property
    def domain(self) -> str:
        """The host of ``CRM_BASE_URL``: the right-hand side of our Message-IDs."""
        return urlsplit(self.base_url).hostname or "localhost"

    def link(self, path: str) -> str:
        """An absolute link to a page of the app (``/followups/7``)."""
        return self.base_url.rstrip("/") + path

    def describe(self) -> str:
        login = f", as {self.username}" if self.username else ""
        return f"{self.host}:{self.port} (security {self.security}{login})"


_configured: MailSettings | None = None


def configure(settings: MailSettings) -> None:
    """Use these settings from now on where no caller passes its own (``create_app``)."""
    global _configured
    _configured = settings


def configured() -> MailSettings:
    if _configured is None:
        raise RuntimeError("mail is not configured: create_app() hands the settings over")
    return _configured


def message_id(reminder_id: int, key: str, domain: str) -> str:
    """The Message-ID of an outbox row: the same on every attempt, so that a message sent
    again after a dispatcher died shows once in mail clients."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"<reminder-{reminder_id}.{digest}@{domain}>"


# --- Connecting ---------------------------------------------------------------------------


class Step:
    """What a connection was doing when it failed, for the words of the failure."""

    def __init__(self) -> None:
        self.name = "connecting"


def connect(settings: MailSettings, step: Step | None = None) -> smtplib.SMTP:
    """An open connection, greeted, with TLS as ``security`` says and logged in when a user
    name is set; the caller quits it. Raises what smtplib, ssl and socket raise; ``step``
    tells how far it got, for ``describe_failure``."""
    step = step or Step()
    context = ssl.create_default_context()  # the system's trust store (SSL_CERT_FILE too)
    # gethostname, not smtplib's getfqdn default: that asks DNS and can hang for seconds.
    local_name = socket.gethostname() or "localhost"
    step.name = "connecting"
    smtp: smtplib.SMTP
    if settings.security == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            local_hostname=local_name,
            timeout=settings.timeout,
            context=context,
        )
    else:
        smtp = smtplib.SMTP(
            settings.host, settings.port, local_hostname=local_name, timeout=settings.timeout
        )
    try:
        step.name = "greeting"
        smtp.ehlo()
        if settings.security == "starttls":
            step.name = "starting TLS"
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.username:
            step.name = "logging in"
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    step.name = "sending"
    return smtp


def close_quietly(smtp: smtplib.SMTP | None) -> None:
    """Say goodbye if the server still listens; a broken connection is just closed."""
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _words(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_words(error.smtp_error)}"


_SECURITY_HINT = (
    "is CRM_MAIL_SECURITY right? Port 465 usually wants tls, 587 starttls, 25 none or starttls"
)


def describe_failure(error: BaseException, settings: MailSettings, step: str = "sending") -> str:
    """An SMTP, TLS or network failure in plain words, naming the setting to look at."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(error, socket.gaierror):
        return f"host not found: {settings.host!r} (CRM_MAIL_HOST) does not resolve"
    if isinstance(error, ConnectionRefusedError):
        return (
            f"connection refused: nothing accepts mail at {where} "
            "(check CRM_MAIL_HOST and CRM_MAIL_PORT; is the mail server running?)"
        )
    if isinstance(error, TimeoutError):
        hint = ""
        if step in ("connecting", "greeting") and settings.security != "tls":
            hint = (
                f" (a server that expects TLS from the first byte waits in silence: "
                f"{_SECURITY_HINT})"
            )
        return f"timeout: {where} did not answer within {settings.timeout:g} s while {step}{hint}"
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"TLS handshake with {where} failed: its certificate is not trusted "
            f"({error.verify_message}); check CRM_MAIL_HOST is the name on the certificate"
        )
    if isinstance(error, ssl.SSLError):
        reason = error.reason or error.strerror or str(error)
        return f"TLS handshake with {where} failed ({reason}): {_SECURITY_HINT}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        if step == "starting TLS":
            return f"{where} does not offer STARTTLS: {_SECURITY_HINT}"
        if step == "logging in":
            return (
                f"{where} offers no login (AUTH) on this connection: unset CRM_MAIL_USERNAME, "
                "or use CRM_MAIL_SECURITY starttls or tls (many servers allow login over TLS only)"
            )
        return f"{where} does not support what was asked while {step}: {error}"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return (
            f"authentication failed: {where} refused CRM_MAIL_USERNAME={settings.username!r} "
            f"with this CRM_MAIL_PASSWORD ({_reply(error)})"
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return (
            f"sender refused: {where} does not accept CRM_MAIL_SENDER={settings.sender!r} "
            f"({_reply(error)})"
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address} ({code} {_words(text)})"
            for address, (code, text) in error.recipients.items()
        )
        return f"recipient refused by {where}: {refused}"
    if isinstance(error, smtplib.SMTPDataError):
        return f"message refused by {where}: {_reply(error)}"
    if isinstance(error, smtplib.SMTPConnectError):
        return f"{where} refused the session: {_reply(error)}"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        hint = ""
        if step in ("connecting", "greeting"):
            hint = f" ({_SECURITY_HINT})"
        return f"{where} closed the connection while {step}{hint}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{where} answered {_reply(error)} while {step}"
    if isinstance(error, OSError):
        return f"cannot talk to {where} while {step}: {error.strerror or error}"
    return f"{type(error).__name__} while {step} with {where}: {error}"


# --- Composing ----------------------------------------------------------------------------

_loader = jinja2.FileSystemLoader(str(TEMPLATES))
# auto_reload off: the templates do not change while a process runs, and checking each one's
# time on disk cost four stat calls per message.
_html = jinja2.Environment(
    loader=_loader,
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    auto_reload=False,
)
_text = jinja2.Environment(
    loader=_loader,
    auto_reload=False,
    autoescape=False,  # the plain-text part is not HTML: nothing to escape
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def one_line(text: str) -> str:
    """Text for a header: a line break in a title must not become a header of its own."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: its envelope and either its bytes (the usual case) or,
    for an address beyond ASCII, the ``EmailMessage`` that smtplib sends with SMTPUTF8."""

    sender: str  # the envelope's sender (the bare address of CRM_MAIL_SENDER)
    to: str
    message_id: str
    data: bytes | None = None
    message: EmailMessage | None = None

    def send(self, smtp: smtplib.SMTP) -> None:
        """Hand it to the server; raises what smtplib raises."""
        if self.data is not None:
            smtp.sendmail(self.sender, [self.to], self.data)
        else:
            assert self.message is not None
            smtp.send_message(self.message)

    def parsed(self) -> EmailMessage:
        """As a mail client reads it (tests, ``compose``)."""
        if self.message is not None:
            return self.message
        assert self.data is not None
        parsed: EmailMessage = email.message_from_bytes(self.data, policy=email.policy.default)
        return parsed


def _quoted_printable(text: str) -> bytes:
    """A body as quoted-printable UTF-8 with CRLF line ends: 7-bit safe, lines of at most
    76 characters, readable where it is plain ASCII."""
    crlf = "\r\n".join(text.splitlines()) + "\r\n"
    return binascii.b2a_qp(crlf.encode(), istext=True)


def _header_line(name: str, value: str) -> str:
    """``Name: value``, folded, with encoded words where the value is not ASCII."""
    line = f"{name}: {value}"
    plain = value.isascii() and "=?" not in value  # "=?" would read as an encoded word
    if plain and len(line) <= 78:
        return line  # nothing to fold or encode (most subjects)
    charset = "us-ascii" if plain else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep="\r\n")


@functools.lru_cache(maxsize=8)
def _envelope_sender(sender: str) -> str:
    """The bare address of ``CRM_MAIL_SENDER`` (which may carry a display name)."""
    return parseaddr(sender)[1] or sender


def render(
    settings: MailSettings,
    *,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    message_id: str,
    at: datetime | None = None,
) -> Outgoing:
    """A message with a plain-text and an HTML part from ``templates/mail/TEMPLATE.txt`` and
    ``.html`` (the HTML one autoescaped); ``link(path)`` in them makes absolute links.

    Written to bytes directly (multipart/alternative, both parts quoted-printable): the
    ``EmailMessage`` API parses every header it is given and took three quarters of the
    dispatcher's time per message. An address beyond ASCII goes through ``EmailMessage``,
    which knows how to send it."""
    values = {**context, "link": settings.link, "base_url": settings.base_url}
    text = _text.get_template(f"{template}.txt").render(values)
    html = _html.get_template(f"{template}.html").render(values)
    subject = one_line(subject)
    date = format_datetime((at or datetime.now(UTC)).astimezone(UTC))
    envelope_sender = _envelope_sender(settings.sender)
    for value in (to, settings.sender, message_id):
        if "\r" in value or "\n" in value:
            raise ValueError(f"a line break in a header value: {value!r}")
    if not (to.isascii() and settings.sender.isascii()):
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = settings.sender
        message["To"] = to
        message["Date"] = date
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return Outgoing(envelope_sender, to, message_id, message=message)
    # "=_" never occurs in quoted-printable text, so the boundary cannot occur in a part.
    boundary = f"=_crm_{secrets.token_hex(12)}"
    head = "\r\n".join(
        (
            f"From: {settings.sender}",
            f"To: {to}",
            _header_line("Subject", subject),
            f"Date: {date}",
            f"Message-ID: {message_id}",
            # RFC 3834: an automatic message; vacation responders do not answer it.
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/alternative; boundary="{boundary}"',
            "",
            "",
        )
    ).encode()
    parts = [head]
    for subtype, body in (("plain", text), ("html", html)):
        parts.append(
            f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode()
        )
        parts.append(_quoted_printable(body))
    parts.append(f"--{boundary}--\r\n".encode())
    return Outgoing(envelope_sender, to, message_id, data=b"".join(parts))


def compose(
    settings: MailSettings,
    *,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    message_id: str,
    at: datetime | None = None,
) -> EmailMessage:
    """``render``'s message as a mail client reads it."""
    return render(
        settings,
        to=to,
        subject=subject,
        template=template,
        context=context,
        message_id=message_id,
        at=at,
    ).parsed()


# --- Checking the settings ----------------------------------------------------------------


def check_settings(settings: MailSettings, address: str) -> str | None:
    """Connect, greet, start TLS and log in as the settings say, then send a test message to
    ``address``. None when the server accepted it; otherwise what went wrong, in words."""
    try:
        recipient = clean_email(address, field="ADDRESS")
    except ValidationError as error:
        return error.message
    if not recipient:
        return "give the e-mail address to send the test message to"
    step = Step()
    smtp: smtplib.SMTP | None = None
    try:
        smtp = connect(settings, step)
        render(
            settings,
            to=recipient,
            subject="Test message from the MTS engagement CRM",
            template="test",
            context={"settings": settings.describe()},
            message_id=make_msgid("crm-test", domain=settings.domain),
        ).send(smtp)
    except (smtplib.SMTPException, OSError) as error:
        return describe_failure(error, settings, step.name)
    finally:
        close_quietly(smtp)
    return None
