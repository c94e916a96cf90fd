"""``mail.render`` writes the message's bytes itself (for the dispatcher's speed): what a mail
client reads from them must be what the templates said, whatever the text holds."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import UTC, datetime

import pytest

from crm.services import mail
from crm.services.mail import MailSettings, render
from tests.smtp import smtp_server

SETTINGS = MailSettings(
    host="127.0.0.1", port=25, sender="MTS CRM <crm@crm.example.org>",
    base_url="https://crm.example.org",
)  # fmt: skip


def _render(title: str, to: str = "sofia.berger@vdw.example", **context: object) -> mail.Outgoing:
    subject = f"Follow-up due today: {title}"
    return render(
        SETTINGS,
        to=to,
        subject=subject,
        template="due",
        context={
            "recipient": "Sofia Berger",
            "intro": "This follow-up of yours is due today.",
            "subject": subject,
            "item": {
                "title": title,
                "due_label": "Tue 8 Dec 2026, 14:30 (Europe/Berlin)",
                "about": ["VDW"],
                "path": "/followups/7",
            },
            **context,
        },
        message_id="<reminder-7.0123abcd@crm.example.org>",
        at=datetime(2026, 12, 8, 12, 0, tzinfo=UTC),
    )


def _read(outgoing: mail.Outgoing) -> email.message.EmailMessage:
    assert outgoing.data is not None
    return email.message_from_bytes(outgoing.data, policy=email.policy.default)  # type: ignore[return-value]


@pytest.mark.parametrize(
    "title",
    [
        "Call VDW about the training dates",
        "Müller & Söhne: Angebot prüfen, 日本語 too",
        "A title far longer than one header line may be, " * 4,
        ".a line that starts with a dot",
        'Ask <b>them</b> = "now" =?utf-8?q?not-an-encoded-word?=',
    ],
)
def test_what_a_client_reads_is_what_was_rendered(title: str) -> None:
    outgoing = _render(title)
    message = _read(outgoing)
    assert message["Subject"] == f"Follow-up due today: {' '.join(title.split())}"
    assert (message["From"], message["To"]) == (SETTINGS.sender, "sofia.berger@vdw.example")
    assert message["Message-ID"] == "<reminder-7.0123abcd@crm.example.org>"
    assert message["Date"] == "Tue, 08 Dec 2026 12:00:00 +0000"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"Follow-up: {title}" in text
    assert "https://crm.example.org/followups/7" in text
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.replace('"', "&#34;") in html or escaped.replace('"', "&quot;") in html
    assert outgoing.sender == "crm@crm.example.org"  # the envelope: the bare address


def test_the_bytes_are_seven_bit_with_short_crlf_lines() -> None:
    data = _render("Müller " * 40).data
    assert data is not None
    assert data.isascii()
    lines = data.split(b"\r\n")
    assert b"\n" not in b"".join(lines)  # no bare line feeds
    assert max(len(line) for line in lines) <= 78


def test_a_line_break_cannot_smuggle_a_header_in() -> None:
    message = _read(_render("Hello\r\nBcc: evil@example.org"))
    assert message["Bcc"] is None and "\n" not in str(message["Subject"])
    with pytest.raises(ValueError, match="line break"):
        _render("x", to="a@b.example\r\nBcc: evil@example.org")


def test_an_address_beyond_ascii_goes_through_the_email_package() -> None:
    outgoing = _render("Angebot", to="jürgen@müller.example")
    assert outgoing.data is None and outgoing.message is not None
    assert outgoing.parsed()["To"] == "jürgen@müller.example"


def test_the_server_receives_exactly_the_rendered_bytes_dot_stuffing_undone() -> None:
    outgoing = _render(".starts with a dot")
    with smtp_server() as server:
        smtp = mail.connect(server.settings())
        try:
            outgoing.send(smtp)
        finally:
            mail.close_quietly(smtp)
    (received,) = server.received
    assert received.mail_from == "crm@crm.example.org"
    assert received.rcpt_tos == ["sofia.berger@vdw.example"]
    assert received.message.as_bytes(policy=email.policy.SMTP) == outgoing.data
    boundary = re.search(rb'boundary="([^"]+)"', outgoing.data or b"")
    assert boundary and boundary.group(1).startswith(b"=_crm_")
