"""/admin/mail: the scheduler's runs and whether it looks alive, the outbox's figures, failed
messages with a retry (POST, CSRF, admins only); nothing personal beyond an e-mail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.models import AuditEntry, Reminder, SchedulerRun
from crm.models.followups import ReminderKind, ReminderStatus
from tests import factories
from tests.conftest import csrf_token
from tests.outbox import make_follow_up


def _failed(db, title: str = "Call Dr. Kowalczyk-Wiśniewska about her divorce") -> Reminder:
    officer = factories.make_user(email=f"officer.{datetime.now(UTC).timestamp()}@vdw.example")
    follow_up = make_follow_up(officer, datetime.now(UTC) + timedelta(hours=2), title=title)
    row = db.session.scalar(sa.select(Reminder).where(Reminder.follow_up_id == follow_up.id))
    row.status, row.attempts = ReminderStatus.FAILED, 6
    row.last_error = "message refused by smtp.example.org:587: 554 5.7.1 Relay access denied"
    row.message_id = "<reminder-1.abcdef01@crm.example.org>"
    db.session.commit()
    return row


@pytest.mark.parametrize("role", ["coordinator", "officer", "organiser", "viewer"])
def test_only_admins_see_it_and_retry(client, signed_in, db, role: str) -> None:
    row = _failed(db)
    signed_in(role)
    assert client.get("/admin/mail").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post(f"/admin/mail/{row.id}/retry", data={"csrf_token": token})
    assert response.status_code == 403
    assert db.session.get(Reminder, row.id).status == ReminderStatus.FAILED
    assert 'href="/admin/mail"' not in client.get("/account").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client) -> None:
    assert client.get("/admin/mail").status_code == 302


def test_the_page_shows_runs_figures_and_failures_but_no_titles(client, signed_in, db) -> None:
    row = _failed(db)
    email = row.recipient.email
    signed_in("admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "The scheduler has never run" in page
    assert email in page and "554 5.7.1 Relay access denied" in page
    assert "Kowalczyk" not in page and "divorce" not in page  # titles stay on their pages
    assert 'href="/admin/mail" aria-current="page"' in page  # in the navigation

    now = datetime.now(UTC)
    db.session.add(SchedulerRun(job="dispatch", runner="crm-1.internal:4242", started_at=now -
                   timedelta(minutes=1), finished_at=now, sent=12, failed=1))  # fmt: skip
    db.session.commit()
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Running: last pass" in page and "crm-1.internal:4242" in page
    run = db.session.scalar(sa.select(SchedulerRun))
    run.started_at = now - timedelta(minutes=4)
    db.session.commit()
    assert "Not running" in client.get("/admin/mail").get_data(as_text=True)


def test_the_figures_count_what_waits_and_what_went(client, signed_in, db) -> None:
    officer = factories.make_user()
    now = datetime.now(UTC)
    for n, status in enumerate(["pending", "pending", "sending", "sent", "sent", "cancelled"]):
        follow_up = make_follow_up(officer, now + timedelta(days=n + 1))
        row = db.session.scalar(sa.select(Reminder).where(Reminder.follow_up_id == follow_up.id))
        row.status = ReminderStatus(status)
        row.sent_at = now - timedelta(hours=n) if status == "sent" else None
    retrying = make_follow_up(officer, now + timedelta(days=9))
    row = db.session.scalar(sa.select(Reminder).where(Reminder.follow_up_id == retrying.id))
    row.attempts, row.next_attempt_at, row.last_error = 2, now + timedelta(minutes=4), "timeout"
    db.session.commit()
    signed_in("admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "<dt>Waiting to be sent</dt><dd>4</dd>" in page
    assert "<dt>Sent in the last 24 hours</dt><dd>2</dd>" in page
    assert "<dt>Being tried again</dt><dd>1</dd>" in page and "timeout" in page


def test_retry_puts_a_failed_message_back_and_audits_it(client, signed_in, db) -> None:
    row = _failed(db)
    admin = signed_in("admin")
    token = csrf_token(client, "/admin/mail")
    assert client.post(f"/admin/mail/{row.id}/retry").status_code == 400  # no CSRF token
    assert db.session.get(Reminder, row.id).status == ReminderStatus.FAILED
    response = client.post(f"/admin/mail/{row.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/mail"
    db.session.expire_all()
    stored = db.session.get(Reminder, row.id)
    assert (stored.status, stored.attempts, stored.next_attempt_at) == ("pending", 0, None)
    assert stored.message_id == "<reminder-1.abcdef01@crm.example.org>"  # kept for the resend
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity_type == "reminder"))
    assert (entry.actor_id, entry.entity_id) == (admin.id, row.id)
    assert entry.changes["status"] == ["failed", "pending"]
    # Again: it is no longer failed, nothing changes and the page says why.
    again = client.post(f"/admin/mail/{row.id}/retry", data={"csrf_token": token})
    assert again.status_code == 302
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Not retried: this message is pending, not failed" in page


@pytest.mark.parametrize("target", ["999999", str(2**63), "abc", "-1", "1.5", "NaN"])
def test_retry_of_no_such_message_is_a_404(client, signed_in, db, target: str) -> None:
    signed_in("admin")
    token = csrf_token(client, "/admin/mail")
    response = client.post(f"/admin/mail/{target}/retry", data={"csrf_token": token})
    assert response.status_code == 404


def test_a_get_of_the_retry_address_changes_nothing(client, signed_in, db) -> None:
    row = _failed(db)
    signed_in("admin")
    assert client.get(f"/admin/mail/{row.id}/retry").status_code == 405
    assert db.session.get(Reminder, row.id).status == ReminderStatus.FAILED


def test_a_failed_digest_is_listed_without_a_follow_up(client, signed_in, db) -> None:
    user = factories.make_user()
    digest = Reminder(
        key=f"digest:{user.id}:2026-12-08",
        kind=ReminderKind.DIGEST,
        recipient_id=user.id,
        digest_day=datetime(2026, 12, 8).date(),
        remind_at=datetime(2026, 12, 8, 7, tzinfo=UTC),
        status=ReminderStatus.FAILED,
        attempts=6,
        last_error="timeout",
    )
    db.session.add(digest)
    db.session.commit()
    signed_in("admin")
    page = client.get("/admin/mail").get_data(as_text=True)
    assert user.email in page and "Digest" in page and "follow-up" not in page.split("<h2")[2]
