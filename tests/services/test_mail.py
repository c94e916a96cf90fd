"""Mail against a real SMTP server (aiosmtpd in this process): composing, connecting in each
security mode, and the plain words ``check_settings`` finds for what is wrong."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from crm.services import mail
from crm.services.mail import Draft, MailSettings, check_settings, compose
from tests.livedb import free_port
from tests.smtp import make_certificate, smtp_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture()
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust the throwaway certificate as a system CA (OpenSSL reads SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _compose(settings: MailSettings, title: str) -> EmailMessage:
    return compose(
        settings,
        Draft(
            to="sofia.berger@vdw.example",
            subject=f"Follow-up due today: {title}",
            template="due",
            context={
                "recipient": "Sofia Berger",
                "intro": "This follow-up of yours is due today.",
                "subject": "s",
                "item": {
                    "title": title,
                    "due_label": "Tue 8 Dec 2026, 14:30 (Europe/Berlin)",
                    "about": ["VDW"],
                    "path": "/followups/7",
                },
            },
            message_id=mail.message_id(7, "due:7:3:20261208T1330Z", settings.domain),
        ),
    ).parsed()


def test_a_message_has_a_text_and_an_escaped_html_part_and_absolute_links() -> None:
    settings = MailSettings(host="h", port=25, sender="crm@crm.example.org",
                            base_url="https://crm.example.org/")  # fmt: skip
    message = _compose(settings, 'Ask <b>Müller & Söhne</b>\r\nBcc: evil@example.org "now"')
    assert message["From"] == "crm@crm.example.org"
    assert message["To"] == "sofia.berger@vdw.example"
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    # A line break in a title stays inside the subject: no header can be smuggled in.
    assert "\n" not in str(message["Subject"]) and message["Bcc"] is None
    assert message["Message-ID"].startswith("<reminder-7.") and message["Message-ID"].endswith(
        "@crm.example.org>"
    )
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Ask <b>Müller & Söhne</b>" in text  # plain text is not HTML: nothing escaped
    assert "&lt;b&gt;Müller &amp; Söhne&lt;/b&gt;" in html and "<b>Müller" not in html
    assert "https://crm.example.org/followups/7" in text
    assert 'href="https://crm.example.org/followups/7"' in html


def test_the_message_id_comes_from_the_row_alone() -> None:
    first = mail.message_id(42, "due:42:7:20261208T0800Z", "crm.example.org")
    assert first == mail.message_id(42, "due:42:7:20261208T0800Z", "crm.example.org")
    assert first != mail.message_id(42, "due:42:7:20261209T0800Z", "crm.example.org")
    assert first.startswith("<reminder-42.") and len(first.split(".")[1].split("@")[0]) == 8


def test_check_settings_sends_a_test_message_through_a_working_server() -> None:
    with smtp_server() as server:
        assert check_settings(server.settings(), "Admin@Programme.example") is None
    (received,) = server.received
    assert received.rcpt_tos == ["admin@programme.example"]
    assert received.message["Subject"] == "Test message from the MTS engagement CRM"
    assert received.message.get_body(("plain",)).get_content().startswith("This is a test")


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_check_settings_over_tls_with_a_login(certificate, trusted, security: str) -> None:
    with smtp_server(security=security, certificate=certificate,
                     login=("crm", "s3cret passphrase")) as server:  # fmt: skip
        assert check_settings(server.settings(), "admin@programme.example") is None
    assert server.logins == ["crm"] and len(server.received) == 1


def test_a_refused_port_is_named() -> None:
    settings = MailSettings(host="127.0.0.1", port=free_port(), timeout=5)
    problem = check_settings(settings, "admin@programme.example")
    assert problem is not None and problem.startswith("connection refused")
    assert "CRM_MAIL_PORT" in problem


def test_an_unknown_host_is_named() -> None:
    problem = check_settings(
        MailSettings(host="mail.nowhere.invalid", port=25, timeout=5), "a@b.example"
    )
    assert problem is not None and problem.startswith("host not found")
    assert "CRM_MAIL_HOST" in problem


def test_tls_against_a_plain_server_asks_about_the_security_mode() -> None:
    with smtp_server() as server:
        problem = check_settings(server.settings(security="tls"), "admin@programme.example")
    assert problem is not None and "TLS handshake" in problem
    assert "is CRM_MAIL_SECURITY right?" in problem
    assert server.received == []


def test_starttls_against_a_server_without_it_asks_about_the_security_mode() -> None:
    with smtp_server() as server:
        problem = check_settings(server.settings(security="starttls"), "admin@programme.example")
    assert problem is not None and "does not offer STARTTLS" in problem
    assert "is CRM_MAIL_SECURITY right?" in problem


def test_plain_smtp_against_a_tls_server_asks_about_the_security_mode(certificate) -> None:
    """The server waits for a TLS hello that never comes: some time out, aiosmtpd hangs up."""
    with smtp_server(security="tls", certificate=certificate) as server:
        problem = check_settings(server.settings(security="none", timeout=1), "a@b.example")
    assert problem is not None and "while connecting" in problem
    assert "is CRM_MAIL_SECURITY right?" in problem


def test_an_untrusted_certificate_is_named(certificate) -> None:
    with smtp_server(security="tls", certificate=certificate) as server:
        problem = check_settings(server.settings(), "admin@programme.example")
    assert problem is not None and "certificate is not trusted" in problem


def test_bad_credentials_are_named(certificate, trusted) -> None:
    with smtp_server(security="starttls", certificate=certificate,
                     login=("crm", "s3cret passphrase")) as server:  # fmt: skip
        problem = check_settings(server.settings(password="wrong"), "admin@programme.example")
    assert problem is not None and problem.startswith("authentication failed")
    assert "CRM_MAIL_USERNAME='crm'" in problem and "wrong" not in problem
    assert server.received == []


def test_a_login_where_the_server_offers_none_is_named() -> None:
    with smtp_server() as server:
        problem = check_settings(server.settings(username="crm", password="x"), "a@b.example")
    assert problem is not None and "offers no login" in problem


def test_a_refused_message_and_a_bad_address_are_named() -> None:
    with smtp_server() as server:
        server.handler.refuse_first = -1
        server.handler.refusal = "554 5.7.1 Message rejected as spam"
        problem = check_settings(server.settings(), "admin@programme.example")
        assert problem is not None and "554 5.7.1 Message rejected as spam" in problem
        assert check_settings(server.settings(), "not an address") is not None
        assert "not a valid e-mail address" in (check_settings(server.settings(), "x@") or "")
        assert check_settings(server.settings(), "") == (
            "give the e-mail address to send the test message to"
        )


# --- Writing messages out -----------------------------------------------------------------

_SETTINGS = MailSettings(host="h", port=25, sender='"Prögramme CRM" <crm@crm.example.org>',
                         base_url="https://crm.example.org")  # fmt: skip
# Any text a title or subject can hold: every character but controls and lone surrogates.
_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=300)


def _due(title: str, subject: str | None = None, to: str = "sofia@vdw.example") -> Draft:
    return Draft(
        to=to,
        subject=f"Follow-up due today: {title}" if subject is None else subject,
        template="due",
        context={
            "recipient": "Sofia Berger",
            "intro": "This follow-up of yours is due today.",
            "subject": "s",
            "item": {"title": title, "due_label": "today", "about": [], "path": "/followups/7"},
        },
        message_id="<reminder-7.0a1b2c3d@crm.example.org>",
    )


@given(subject=_TEXT, title=_TEXT)
@hypothesis_settings(max_examples=200, deadline=None)
def test_any_subject_and_title_read_back_as_written_in_lines_of_7_bit(
    subject: str, title: str
) -> None:
    message = compose(_SETTINGS, _due(title, subject))
    assert message.data.isascii() and not message.smtputf8
    head, _, body = message.data.partition(b"\r\n\r\n")
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))  # RFC 5322's advice
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))  # quoted-printable's limit
    assert b"\n" not in message.data.replace(b"\r\n", b"")  # CRLF only
    parsed = message.parsed()
    assert not parsed.defects
    assert str(parsed["Subject"]) == mail.one_line(subject)
    assert parsed["Message-ID"] == "<reminder-7.0a1b2c3d@crm.example.org>"
    # Quoted-printable keeps the canonical line ends (CRLF); a lone CR is a line end too.
    text = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Follow-up: " + title.replace("\r\n", "\n").replace("\r", "\n") + "\n" in text
    html = parsed.get_body(("html",)).get_content()
    assert html.startswith("<!doctype html>")


def test_a_subject_reads_as_an_encoded_word_is_encoded_not_taken_as_one() -> None:
    parsed = compose(_SETTINGS, _due("x", subject="=?utf-8?b?SGk=?= there")).parsed()
    assert str(parsed["Subject"]) == "=?utf-8?b?SGk=?= there"


def test_lines_that_begin_with_a_dot_arrive_as_written() -> None:
    title = "first\n.second\n..third\n."
    with smtp_server() as server:
        smtp = mail.connect(server.settings())
        try:
            mail.send(smtp, compose(server.settings(), _due(title)))
        finally:
            mail.close_quietly(smtp)
    (received,) = server.received
    text = received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Follow-up: first\n.second\n..third\n.\n" in text


def test_an_address_that_is_not_ascii_needs_a_server_with_smtputf8() -> None:
    draft = _due("x", to="müller@vdw.example")
    with smtp_server(smtputf8=True) as server:
        smtp = mail.connect(server.settings())
        try:
            mail.send(smtp, compose(server.settings(), draft))
        finally:
            mail.close_quietly(smtp)
    (received,) = server.received
    assert received.rcpt_tos == ["müller@vdw.example"]
    with smtp_server() as server:
        problem = check_settings(server.settings(), "müller@vdw.example")
    assert problem is not None and "does not offer SMTPUTF8" in problem
    assert server.received == []


def test_a_long_plain_word_is_encoded_rather_than_overflow_the_subject_line() -> None:
    message = compose(_SETTINGS, _due("x", subject="Due: " + "x" * 75))
    head = message.data.partition(b"\r\n\r\n")[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert str(message.parsed()["Subject"]) == "Due: " + "x" * 75


@pytest.mark.parametrize(
    "base_url", ["https://crm.engagement.mts-example-programme.org", "https://crm.bücher.example"]
)
def test_the_message_id_stays_one_readable_header_for_long_and_international_hosts(
    base_url: str,
) -> None:
    with smtp_server() as server:
        assert check_settings(server.settings(base_url=base_url), "admin@programme.example") is None
    (received,) = server.received
    message_id = received.message["Message-ID"]
    assert not received.message.defects and not message_id.defects
    assert message_id.isascii() and message_id.endswith(
        "@" + MailSettings(host="h", port=1, base_url=base_url).domain + ">"
    )
    assert mail.MailSettings(host="h", port=1, base_url=base_url).domain.isascii()


def test_a_hook_that_raises_closes_the_connection_the_message_never_ends() -> None:
    def fail() -> None:
        raise RuntimeError("the database is gone")

    with smtp_server() as server:
        for hook in ("meanwhile", "before_end"):
            smtp = mail.connect(server.settings())
            with pytest.raises(RuntimeError):
                mail.send(smtp, compose(server.settings(), _due("x")), **{hook: fail})
            assert smtp.sock is None  # closed: never used out of step with the server
    assert server.received == []
