"""What arrives: the due reminder and the assigned notice, sent by ``send_due`` to a real
SMTP smtp, after the writes that planned them (times relative to the real clock, which
the planning hook reads)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from crm.extensions import db
from crm.models.followups import FollowUpStatus, ReminderKind, ReminderStatus
from crm.services import mail
from crm.services.reminders.dispatch import send_due
from tests import factories
from tests.outbox import make_follow_up, move_due, outbox
from tests.smtp import SMTPServer, smtp_server


@pytest.fixture()
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as running:
        yield running


def _now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _to(smtp: SMTPServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.handler.messages() if m["To"] == address]


def _user(role: str = "officer", zone: str = "Europe/Berlin"):
    user = factories.make_user(role)
    user.timezone, user.digest_hour = zone, None
    db.session.flush()
    return user


def test_the_due_reminder_says_what_when_and_about_what(app, smtp) -> None:
    officer = _user()
    organisation = factories.make_organisation("VDW Verein Deutscher Werkzeugmaschinenfabriken")
    person = factories.make_person("Jürgen", "Schäfer", organisation=organisation)
    due = _now() + timedelta(hours=2)
    follow_up = make_follow_up(officer, due, title="Send the <training> dates",
                               person_id=person.id, organisation_id=organisation.id)  # fmt: skip
    assert send_due(due - timedelta(minutes=1), settings=smtp.settings()).sent == 0
    assert send_due(due, settings=smtp.settings()).sent == 1
    (message,) = _to(smtp, officer.email)
    local = due.astimezone(ZoneInfo("Europe/Berlin"))
    assert str(message["Subject"]).strip().startswith("Follow-up due ")
    assert str(message["Subject"]).strip().endswith(": Send the <training> dates")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"{local:%H:%M} (Europe/Berlin)" in text and f"{local:%H:%M} (Europe/Berlin)" in html
    assert "Jürgen Schäfer; VDW Verein Deutscher Werkzeugmaschinenfabriken" in text
    assert f"https://crm.example.org/followups/{follow_up.id}" in text
    assert "Send the &lt;training&gt; dates" in html
    (row,) = outbox(follow_up)
    assert row.status == ReminderStatus.SENT and message["Message-ID"] == row.message_id
    assert row.message_id == mail.message_id(row.id, row.key, "crm.example.org")


def test_a_moved_due_date_is_reminded_at_the_new_time_only(app, smtp) -> None:
    officer = _user()
    first = _now() + timedelta(hours=1)
    follow_up = make_follow_up(officer, first)
    later = first + timedelta(days=2)
    move_due(follow_up, later)
    assert send_due(first + timedelta(minutes=5), settings=smtp.settings()).sent == 0
    assert send_due(later, settings=smtp.settings()).sent == 1
    assert len(_to(smtp, officer.email)) == 1


def test_completed_or_cancelled_follow_ups_send_nothing(app, smtp) -> None:
    officer = _user()
    done = make_follow_up(officer, _now() + timedelta(hours=1))
    dropped = make_follow_up(officer, _now() + timedelta(hours=1))
    done.status, done.completed_at = FollowUpStatus.DONE, _now()
    dropped.status, dropped.cancelled_at = FollowUpStatus.CANCELLED, _now()
    db.session.flush()
    assert send_due(_now() + timedelta(hours=2), settings=smtp.settings()).sent == 0
    assert _to(smtp, officer.email) == []


def test_reassigning_tells_the_new_assignee_and_reminds_only_them(app, smtp) -> None:
    first, second = _user(), _user("organiser", zone="Europe/Lisbon")
    due = _now() + timedelta(hours=3)
    follow_up = make_follow_up(first, due, title="Invite SYMOP to the webinar")
    follow_up.assignee_id = second.id
    db.session.flush()
    report = send_due(settings=smtp.settings())
    assert report.sent == 1
    (notice,) = _to(smtp, second.email)
    assert str(notice["Subject"]).strip().startswith("Follow-up assigned to you, due ")
    assert "(Europe/Lisbon)" in notice.get_body(("plain",)).get_content()
    assert _to(smtp, first.email) == []
    send_due(due, settings=smtp.settings())
    assert len(_to(smtp, second.email)) == 2 and _to(smtp, first.email) == []
    kinds = sorted((r.kind.value, r.recipient_id, r.status.value) for r in outbox(follow_up))
    assert kinds == [
        (ReminderKind.ASSIGNED.value, second.id, "sent"),
        (ReminderKind.DUE.value, first.id, "cancelled"),
        (ReminderKind.DUE.value, second.id, "sent"),
    ]


def test_a_deactivated_assignee_gets_nothing(app, smtp) -> None:
    officer = _user()
    make_follow_up(officer, _now() - timedelta(minutes=5))
    officer.is_active = False
    db.session.flush()
    report = send_due(settings=smtp.settings())
    assert (report.sent, report.cancelled) == (0, 1)
