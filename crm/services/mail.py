"""Mail through SMTP: the settings, one connection, composing a message, checking the settings.

Services have no app to ask, so ``create_app`` hands the settings over once (``configure``),
as it hands the time zone to ``crm.clock``; a caller holding settings of its own (the CLI,
tests) passes them instead. Every failure is put into plain words by ``describe_failure``:
``crm mail test`` prints them, and the outbox keeps them as a message's last error for the
admins' page.
"""

from __future__ import annotations

import binascii
import email.policy
import hashlib
import re
import secrets
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
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
        """The host of ``CRM_BASE_URL``: the right-hand side of our Message-IDs, in ASCII
        (an internationalised name in its IDNA form)."""
        host = urlsplit(self.base_url).hostname or "localhost"
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:  # not a name IDNA can write: the ids still need a right side
            return "localhost"

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
    if smtp.sock is not None and smtp.sock.family in (socket.AF_INET, socket.AF_INET6):
        # ``send`` writes a message's last line on its own: without this, Nagle's algorithm
        # holds it back until the server acknowledges the rest (up to 40 ms a message).
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
# auto_reload off: the templates do not change while a dispatcher runs, and checking their
# files before each message costs more than rendering them.
_html = jinja2.Environment(
    loader=_loader,
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    auto_reload=False,
)
_text = jinja2.Environment(
    loader=_loader,
    autoescape=False,  # the plain-text part is not HTML: nothing to escape
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    auto_reload=False,
)


@dataclass(frozen=True)
class Message:
    """A message ready for the wire: its envelope and its bytes (CRLF line ends, 7-bit unless
    ``smtputf8``: an address that is not ASCII needs a server that offers SMTPUTF8)."""

    sender: str  # the envelope's MAIL FROM
    recipient: str  # its one RCPT TO
    message_id: str
    data: bytes
    smtputf8: bool = False

    def parsed(self) -> EmailMessage:
        """The message as a mail client reads it (tests, the admins' preview)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def one_line(text: str) -> str:
    """Text for a header: a line break in a title must not become a header of its own."""
    return " ".join(text.split())


# Writing a message out. The standard library's EmailMessage parses every header it is given
# and folds it again when written: about 1 ms a message, where a dispatcher sends thousands
# in a row and the wire takes half that. Our messages have one fixed shape (the headers
# below, a plain-text and an HTML part), so they are written directly, in 7 bit: headers
# through ``_header`` and RFC 2047 encoded words, bodies in quoted-printable (binascii's, in
# C). The boundary begins with "=_", which quoted-printable never writes ("=" is always
# followed by a hex digit or a line end), so no body can contain it.
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_ENCODED_WORD_BYTES = 39  # 52 characters of base64: a word of 64, beside "Subject:" in 78
_LINE = 78  # RFC 5322's recommended length of a line, line end excluded


def _encoded_words(text: str) -> list[str]:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), no character split over two."""
    words: list[str] = []
    chunk = b""
    for character in text:
        encoded = character.encode("utf-8")
        if len(chunk) + len(encoded) > _ENCODED_WORD_BYTES:
            words.append(chunk.decode("utf-8"))
            chunk = b""
        chunk += encoded
    if chunk or not words:
        words.append(chunk.decode("utf-8"))
    return [
        "=?utf-8?b?" + binascii.b2a_base64(word.encode("utf-8"), newline=False).decode() + "?="
        for word in words
    ]


def _header(name: str, value: str) -> bytes:
    """An unstructured header (a subject), folded at spaces to lines of 78 characters.

    Plain when every word is printable ASCII short enough for a line and nothing in it
    reads as an encoded word; otherwise RFC 2047 encoded words, each on a line of its own
    (the folding between two encoded words is not part of the text)."""
    words = one_line(value).split(" ")
    longest = _LINE - len(name) - 2  # a word alone on the first line, after "Name: "
    plain = "=?" not in value and all(
        _PRINTABLE.fullmatch(word) and len(word) <= longest for word in words if word
    )
    if not plain:
        words = _encoded_words(one_line(value))
    lines: list[str] = []
    line = f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > _LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines).encode("ascii") + b"\r\n"


def _message_id_header(message_id: str) -> bytes:
    """A msg-id as it is: folding or encoding would make it unreadable to mail clients."""
    if not (message_id.isascii() and _MSG_ID.fullmatch(message_id)):
        raise ValueError(f"not a Message-ID: {message_id!r}")
    return b"Message-ID: %s\r\n" % message_id.encode("ascii")


_MSG_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>")


def _address_header(name: str, address: str) -> tuple[bytes, str, bool]:
    """A From or To header of one mailbox, its address for the envelope, and whether it
    needs SMTPUTF8 (an address that is not ASCII); the standard library parses and folds
    it (a display name may need quoting or encoding). Remembered: a dispatcher writes the
    same few thousand addresses again and again."""
    known = _addresses.get((name, address))
    if known is None:
        header = email.policy.SMTP.header_factory(name, address)
        addresses: tuple[Any, ...] = getattr(header, "addresses", ())
        if len(addresses) != 1:
            raise ValueError(f"{name} must be one mailbox, not {address!r}")
        addr_spec = addresses[0].addr_spec
        smtputf8 = not addr_spec.isascii()
        policy = email.policy.SMTPUTF8 if smtputf8 else email.policy.SMTP
        known = (policy.fold_binary(name, header), addr_spec, smtputf8)
        if len(_addresses) >= _MEMO_LIMIT:
            _addresses.clear()
        _addresses[(name, address)] = known
    return known


_addresses: dict[tuple[str, str], tuple[bytes, str, bool]] = {}
_MEMO_LIMIT = 10_000


def _quoted_printable(text: str) -> bytes:
    """A body in quoted-printable with CRLF line ends, ending with one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return encoded.replace(b"\n", b"\r\n")


_PART = (
    b'Content-Type: text/%s; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
)


@dataclass(frozen=True)
class Draft:
    """What a message says, before it is written out: its recipient, subject, Message-ID,
    date (None: when written) and the templates' names and context (``compose``)."""

    to: str
    subject: str
    template: str
    context: Mapping[str, Any]
    message_id: str
    at: datetime | None = None


def compose(settings: MailSettings, draft: Draft) -> Message:
    """The message of a draft, with a plain-text and an HTML part from
    ``templates/mail/TEMPLATE.txt`` and ``.html`` (the HTML one autoescaped); ``link(path)``
    in them makes absolute links. Needs no database: a dispatcher writes the next message
    while the server answers for the one before."""
    template, context = draft.template, draft.context
    values = {**context, "link": settings.link, "base_url": settings.base_url}
    text = _text.get_template(f"{template}.txt").render(values)
    html = _html.get_template(f"{template}.html").render(values)
    sender_line, sender, sender_utf8 = _address_header("From", settings.sender)
    to_line, recipient, to_utf8 = _address_header("To", draft.to)
    boundary = b"=_" + secrets.token_hex(12).encode("ascii")  # its header stays in 78
    date = format_datetime((draft.at or datetime.now(UTC)).astimezone(UTC))
    data = b"".join(
        (
            _header("Subject", draft.subject),
            sender_line,
            to_line,
            b"Date: %s\r\n" % date.encode("ascii"),
            _message_id_header(draft.message_id),
            # RFC 3834: an automatic message; vacation responders do not answer it.
            b"Auto-Submitted: auto-generated\r\n",
            b"MIME-Version: 1.0\r\n",
            b'Content-Type: multipart/alternative; boundary="%s"\r\n\r\n' % boundary,
            b"--%s\r\n" % boundary,
            _PART % b"plain",
            _quoted_printable(text),
            b"\r\n--%s\r\n" % boundary,
            _PART % b"html",
            _quoted_printable(html),
            b"\r\n--%s--\r\n" % boundary,
        )
    )
    return Message(sender, recipient, draft.message_id, data, sender_utf8 or to_utf8)


# --- Sending ------------------------------------------------------------------------------

_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def send(
    smtp: smtplib.SMTP,
    message: Message,
    *,
    meanwhile: Callable[[], None] | None = None,
    before_end: Callable[[], None] | None = None,
) -> None:
    """Send one message over an open connection, as ``smtplib.SMTP.sendmail`` does and with
    its exceptions, with two hooks for a dispatcher. ``meanwhile`` is called while the server
    answers MAIL FROM (a round trip the sender would otherwise only wait through: the
    dispatcher writes out its next message then); it must not raise. ``before_end`` is called
    once the whole message has been handed over and before its final dot, the point where
    the server takes it. The dispatcher waits there for the previous message's mark; if
    ``before_end`` raises, the message is never completed and the connection must be closed.
    The envelope's addresses are sent as they are: ``compose`` took them from parsed headers.
    """
    options: list[str] = []
    if message.smtputf8:
        if not smtp.has_extn("smtputf8"):
            raise smtplib.SMTPNotSupportedError(
                f"the address {message.recipient!r} or {message.sender!r} is not ASCII and "
                "the server does not offer SMTPUTF8"
            )
        options = ["SMTPUTF8", "BODY=8BITMIME"]
        smtp.command_encoding = "utf-8"  # as smtplib's send_message does for SMTPUTF8
    try:
        _send(smtp, message, options, meanwhile, before_end)
    finally:
        smtp.command_encoding = "ascii"


def _send(
    smtp: smtplib.SMTP,
    message: Message,
    options: list[str],
    meanwhile: Callable[[], None] | None,
    before_end: Callable[[], None] | None,
) -> None:
    smtp.putcmd("mail", f"FROM:<{message.sender}>" + "".join(f" {o}" for o in options))
    if meanwhile is not None:
        _hook(smtp, meanwhile)
    code, reply = smtp.getreply()
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, message.sender)
    code, reply = smtp.docmd("rcpt", f"TO:<{message.recipient}>")
    if code not in (250, 251):
        _reset(smtp, code)
        raise smtplib.SMTPRecipientsRefused({message.recipient: (code, reply)})
    code, reply = smtp.docmd("data")
    if code != 354:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, reply)
    smtp.send(_LEADING_DOT.sub(b"..", message.data))
    if before_end is not None:
        _hook(smtp, before_end)
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        _reset(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


def _hook(smtp: smtplib.SMTP, hook: Callable[[], None]) -> None:
    """Run a hook of ``send``; if it raises, the connection is out of step with the server
    (a reply unread, or a message without its end): it is closed, never used again."""
    try:
        hook()
    except BaseException:
        smtp.close()
        raise


def _reset(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal: a server closing the session (421) is closed; else RSET, as smtplib."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


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
        message = compose(
            settings,
            Draft(
                to=recipient,
                subject="Test message from the MTS engagement CRM",
                template="test",
                context={"settings": settings.describe()},
                message_id=make_msgid("crm-test", domain=settings.domain),
            ),
        )
        send(smtp, message)
    except (smtplib.SMTPException, OSError) as error:
        return describe_failure(error, settings, step.name)
    finally:
        close_quietly(smtp)
    return None
