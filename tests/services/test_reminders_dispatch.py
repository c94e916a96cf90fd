"""Dispatch exactly once, on a database of its own whose commits are real (the claims of two
passes must see each other's), against a real SMTP server in this process.

Each test clears the outbox and the follow-ups first; users are new per test.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.extensions import db
from crm.models import FollowUp, Reminder, SchedulerRun, User
from crm.models.followups import FollowUpStatus, ReminderStatus
from crm.services import mail
from crm.services.reminders import dispatch
from crm.services.reminders.dispatch import BACKOFF, LEASE, MAX_ATTEMPTS, SendReport, send_due
from crm.services.reminders.marks import MarkFailed
from tests import factories
from tests.conftest import csrf_token, migrated_scratch_app, sign_in
from tests.outbox import make_follow_up
from tests.smtp import SMTPServer, smtp_server

pytestmark = pytest.mark.slow  # a database of its own, migrated


@pytest.fixture(scope="module")
def outbox_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    folder = tmp_path_factory.mktemp("outbox")
    with migrated_scratch_app(database_url, folder) as application:
        yield application


@pytest.fixture()
def empty_outbox(outbox_app: Flask) -> Flask:
    """The outbox's app with no reminders, follow-ups or runs left by another test, and
    no digests (those are tested in the test transaction, test_reminders_digests.py)."""
    with outbox_app.app_context():
        db.session.execute(sa.delete(Reminder))
        db.session.execute(sa.delete(FollowUp))
        db.session.execute(sa.delete(SchedulerRun))
        # Users of earlier tests stay: without a digest, they plan nothing here.
        db.session.execute(sa.update(User).values(digest_hour=None))
        db.session.commit()
    return outbox_app


@pytest.fixture()
def ctx(empty_outbox: Flask) -> Iterator[Flask]:
    """An app context on the outbox's database for the whole test (no test requests in it:
    they would share its ``g``)."""
    with empty_outbox.app_context():
        yield empty_outbox
        db.session.rollback()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _due_rows(count: int, users: int = 5, due: datetime | None = None) -> list[User]:
    """``count`` follow-ups due a little before now (within the catch-up), spread over
    ``users`` officers without digests; committed, so that every pass sees them."""
    officers = [factories.make_user() for _ in range(users)]
    for officer in officers:
        officer.digest_hour = None
    due = due or _now() - timedelta(minutes=30)
    for n in range(count):
        make_follow_up(officers[n % users], due - timedelta(seconds=n))
    db.session.commit()
    return officers


def _rows() -> list[Reminder]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Reminder).order_by(Reminder.id)))


def test_two_passes_racing_send_each_of_500_messages_once(ctx: Flask) -> None:
    _due_rows(500)
    with smtp_server() as server:
        settings = server.settings()
        start = threading.Barrier(2)
        reports: dict[str, SendReport] = {}
        errors: list[BaseException] = []

        def run(name: str) -> None:
            try:
                with ctx.app_context():
                    start.wait()
                    reports[name] = send_due(runner=name, batch=20, settings=settings)
            except BaseException as error:  # reported below, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=run, args=(f"racer-{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert not errors, errors
        received = server.handler.message_ids()
    assert len(received) == 500
    assert Counter(received).most_common(1)[0][1] == 1  # none twice
    assert sum(r.sent for r in reports.values()) == 500
    assert all(r.sent > 0 for r in reports.values()), reports  # both passes took a share
    rows = _rows()
    assert {r.status for r in rows} == {ReminderStatus.SENT}
    assert {r.message_id for r in rows} == set(received)
    assert all(r.message_id == mail.message_id(r.id, r.key, "crm.example.org") for r in rows)
    assert {r.attempts for r in rows} == {1}
    assert {r.claimed_by.split("/")[0] for r in rows} == {"racer-1", "racer-2"}


def test_a_lease_that_ran_out_is_claimed_again_with_the_same_message_id(ctx: Flask) -> None:
    _due_rows(3, users=1)
    now = _now()
    # A dispatcher claims them and dies before it sends anything.
    claimed = dispatch.claim(now, "gone.example:4242/dead", 10, "crm.example.org")
    assert len(claimed) == 3
    first = {r.id: r.message_id for r in _rows()}
    assert all(first.values()) and {r.status for r in _rows()} == {ReminderStatus.SENDING}
    with smtp_server() as server:
        early = send_due(now + LEASE - timedelta(minutes=1), settings=server.settings())
        assert early.sent == 0 and server.received == []  # the lease still holds
        late = send_due(now + LEASE + timedelta(seconds=5), settings=server.settings())
    assert late.sent == 3
    rows = _rows()
    assert {r.id: r.message_id for r in rows} == first
    assert sorted(server.handler.message_ids()) == sorted(first.values())
    assert {(r.status, r.attempts) for r in rows} == {(ReminderStatus.SENT, 2)}


def test_smtp_down_then_up_every_message_arrives_once(ctx: Flask) -> None:
    _due_rows(20, users=2)
    server = SMTPServer()  # not started: nothing listens on its port
    now = _now()
    down = send_due(now, settings=server.settings())
    assert (down.sent, down.retried, down.failed) == (0, 20, 0)
    rows = _rows()
    assert {(r.status, r.attempts) for r in rows} == {(ReminderStatus.PENDING, 1)}
    assert all(r.last_error.startswith("connection refused") for r in rows)
    assert all(now + BACKOFF[0] <= r.next_attempt_at <= now + BACKOFF[0] + timedelta(seconds=30)
               for r in rows)  # fmt: skip
    server.start()
    try:
        waiting = send_due(now + timedelta(seconds=30), settings=server.settings())
        assert waiting.sent == 0 and server.received == []  # the back-off holds
        up = send_due(now + timedelta(minutes=2), settings=server.settings())
    finally:
        server.stop()
    assert up.sent == 20
    ids = server.handler.message_ids()
    assert len(ids) == 20 and len(set(ids)) == 20
    assert {(r.status, r.attempts) for r in _rows()} == {(ReminderStatus.SENT, 2)}


@pytest.mark.parametrize("refusal", ["451 4.3.0 Mailbox busy, try again later",
                                     "550 5.1.1 Mailbox unavailable"])  # fmt: skip
def test_refused_first_attempts_are_tried_again(ctx: Flask, refusal: str) -> None:
    _due_rows(4, users=1)
    now = _now()
    with smtp_server() as server:
        server.handler.refuse_first, server.handler.refusal = 6, refusal
        first = send_due(now, settings=server.settings())
        assert (first.sent, first.retried) == (0, 4)
        assert {r.last_error for r in _rows()} == {
            f"message refused by 127.0.0.1:{server.port}: {refusal}"
        }
        second = send_due(now + BACKOFF[0] + timedelta(seconds=5), settings=server.settings())
        third = send_due(
            now + BACKOFF[0] + BACKOFF[1] + timedelta(seconds=10), settings=server.settings()
        )
    assert (second.sent, second.retried, third.sent) == (2, 2, 2)
    ids = server.handler.message_ids()
    assert len(ids) == 4 and len(set(ids)) == 4


def test_after_the_last_attempt_it_fails_shows_on_the_admin_page_and_retry_sends_it(
    empty_outbox: Flask,
) -> None:
    app = empty_outbox
    with app.app_context():
        (officer,) = _due_rows(1, users=1)
        admin = factories.make_user("admin")
        admin.digest_hour = None
        db.session.commit()
        officer_email, admin_email = officer.email, admin.email
    with smtp_server() as server:
        server.handler.refuse_first, server.handler.refusal = -1, "554 5.7.1 Relay access denied"
        at = _now()
        with app.app_context():
            for attempt in range(1, MAX_ATTEMPTS + 1):
                report = send_due(at, settings=server.settings())
                (row,) = _rows()
                assert row.attempts == attempt
                if attempt < MAX_ATTEMPTS:
                    assert (report.retried, row.status) == (1, ReminderStatus.PENDING)
                    assert row.next_attempt_at is not None
                    at = row.next_attempt_at + timedelta(seconds=1)
            assert (report.failed, row.status, row.next_attempt_at) == (
                1,
                ReminderStatus.FAILED,
                None,
            )
            assert send_due(at + timedelta(days=1), settings=server.settings()).sent == 0
            row_id = row.id

        # Requests outside any app context of the test: each gets its own, as in production.
        client = app.test_client()
        assert sign_in(client, admin_email).status_code == 302
        page = client.get("/admin/mail").get_data(as_text=True)
        assert officer_email in page and "554 5.7.1 Relay access denied" in page
        assert f"/admin/mail/{row_id}/retry" in page
        token = csrf_token(client, "/admin/mail")
        assert client.post(f"/admin/mail/{row_id}/retry").status_code == 400  # no CSRF token
        response = client.post(f"/admin/mail/{row_id}/retry", data={"csrf_token": token})
        assert response.status_code == 302
        assert "is queued again" in client.get("/admin/mail").get_data(as_text=True)

        server.handler.refuse_first = 0
        server.handler.clear()
        with app.app_context():
            (row,) = _rows()
            assert (row.status, row.attempts) == (ReminderStatus.PENDING, 0)
            assert send_due(settings=server.settings()).sent == 1
            assert server.handler.message_ids() == [row.message_id]
            assert _rows()[0].status == ReminderStatus.SENT


def test_a_follow_up_completed_while_its_reminder_was_claimed_is_not_sent(ctx: Flask) -> None:
    _due_rows(2, users=1)
    now = _now()
    dispatch.claim(now, "gone.example:1/dead", 10, "crm.example.org")
    done = db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id)).first()
    done.status, done.completed_at = FollowUpStatus.DONE, now
    db.session.commit()
    with smtp_server() as server:
        report = send_due(now + LEASE + timedelta(seconds=5), settings=server.settings())
    assert (report.sent, report.cancelled) == (1, 1)
    assert len(server.received) == 1
    statuses = {r.follow_up_id: r.status for r in _rows()}
    assert statuses[done.id] == ReminderStatus.CANCELLED


def test_a_pass_past_its_deadline_gives_its_claim_back(ctx: Flask) -> None:
    _due_rows(3, users=1)
    with smtp_server() as server:
        report = send_due(settings=server.settings(), deadline=time.monotonic() - 1)
        assert report.sent == 0 and server.received == []
        rows = _rows()
        assert {(r.status, r.attempts) for r in rows} == {(ReminderStatus.PENDING, 0)}
        assert send_due(settings=server.settings()).sent == 3


def test_send_due_from_the_command_line(ctx: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm.cli import cli

    _due_rows(3, users=1)
    with smtp_server() as server:
        monkeypatch.setitem(ctx.config, "CRM_MAIL_PORT", server.port)
        result = ctx.test_cli_runner().invoke(cli, ["reminders", "send-due"])
        assert result.exit_code == 0, result.output
        assert "send-due: sent 3, failed 0" in result.output
        assert len(server.received) == 3
        (run,) = db.session.scalars(sa.select(SchedulerRun)).all()
        assert (run.job, run.sent, run.failed, run.error) == ("send-due", 3, 0, None)

        # One message on its last attempt, refused: failed for good, exit status 1.
        make_follow_up(factories.make_user(), _now() - timedelta(minutes=1))
        db.session.commit()
        db.session.execute(sa.update(Reminder).where(Reminder.status == ReminderStatus.PENDING)
                           .values(attempts=MAX_ATTEMPTS - 1))  # fmt: skip
        db.session.commit()
        server.handler.refuse_first = -1
        result = ctx.test_cli_runner().invoke(cli, ["reminders", "send-due"])
    assert result.exit_code == 1
    assert "failed 1" in result.output and "/admin/mail" in result.output


def test_tls_and_a_login_on_the_way_out(ctx: Flask, tmp_path: Path, monkeypatch) -> None:
    from tests.smtp import make_certificate

    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    _due_rows(2, users=1)
    with smtp_server(
        security="starttls", certificate=certificate, login=("crm", "pw 1234567")
    ) as server:
        assert send_due(settings=server.settings()).sent == 2
    assert len(server.received) == 2 and server.logins == ["crm"]


def test_two_send_due_processes_at_once_send_each_message_once(ctx: Flask) -> None:
    """The console command, twice at the same moment, as cron and an operator might."""
    import os
    import subprocess

    from tests.livedb import crm_executable

    _due_rows(500)
    with smtp_server() as server:
        env = {
            **os.environ,
            "CRM_ENV": "development",
            "CRM_DATABASE_URL": ctx.config["SQLALCHEMY_DATABASE_URI"],
            "CRM_BASE_URL": "https://crm.example.org",
            "CRM_MAIL_HOST": server.host,
            "CRM_MAIL_PORT": str(server.port),
            "CRM_MAIL_SECURITY": "none",
        }
        command = [*crm_executable(), "reminders", "send-due"]
        passes = [
            subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
            for _ in range(2)
        ]  # fmt: skip
        outputs = [p.communicate(timeout=300) for p in passes]
        received = server.handler.message_ids()
    assert [p.returncode for p in passes] == [0, 0], outputs
    assert len(received) == 500 and len(set(received)) == 500
    assert {r.status for r in _rows()} == {ReminderStatus.SENT}
    runs = db.session.scalars(sa.select(SchedulerRun)).all()
    assert len(runs) == 2 and sum(run.sent for run in runs) == 500


@pytest.fixture()
def failing_mark(ctx: Flask) -> Iterator[Callable[[int], None]]:
    """``fail(reminder_id)``: from then on, the database refuses to mark that row sent (a
    trigger raises), as a database that fails under a mark would."""
    sqlite = db.engine.dialect.name == "sqlite"

    def fail(reminder_id: int) -> None:
        if sqlite:
            db.session.execute(sa.text(
                "CREATE TRIGGER crm_test_mark_fails BEFORE UPDATE OF status ON reminders "
                f"WHEN NEW.status = 'sent' AND OLD.id = {int(reminder_id)} "
                "BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END"
            ))  # fmt: skip
        else:
            db.session.execute(sa.text(
                "CREATE FUNCTION crm_test_mark_fails() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$"
            ))  # fmt: skip
            db.session.execute(sa.text(
                "CREATE TRIGGER crm_test_mark_fails BEFORE UPDATE ON reminders FOR EACH ROW "
                f"WHEN (NEW.status = 'sent' AND OLD.id = {int(reminder_id)}) "
                "EXECUTE FUNCTION crm_test_mark_fails()"
            ))  # fmt: skip
        db.session.commit()

    yield fail
    db.session.rollback()
    if sqlite:
        db.session.execute(sa.text("DROP TRIGGER IF EXISTS crm_test_mark_fails"))
    else:
        db.session.execute(sa.text("DROP TRIGGER IF EXISTS crm_test_mark_fails ON reminders"))
        db.session.execute(sa.text("DROP FUNCTION IF EXISTS crm_test_mark_fails()"))
    db.session.commit()


def test_a_mark_the_database_refuses_stops_the_pass_and_nothing_is_lost(
    ctx: Flask, failing_mark: Callable[[int], None]
) -> None:
    _due_rows(5, users=1)
    order = [
        r.id
        for r in db.session.scalars(sa.select(Reminder).order_by(Reminder.remind_at, Reminder.id))
    ]
    db.session.commit()
    failing_mark(order[2])
    now = _now()
    with smtp_server() as server:
        with pytest.raises(MarkFailed, match=f"reminder {order[2]}"):
            send_due(now, settings=server.settings())
        # The third was accepted before its mark failed; the fourth was never completed.
        rows = {r.id: r for r in _rows()}
        sent_ids = [rows[i].message_id for i in order]
        assert server.handler.message_ids() == sent_ids[:3]
        assert [rows[i].status for i in order] == [
            ReminderStatus.SENT, ReminderStatus.SENT, ReminderStatus.SENDING,
            ReminderStatus.PENDING, ReminderStatus.PENDING,
        ]  # fmt: skip
        assert [rows[i].attempts for i in order[3:]] == [0, 0]  # given back, not counted
        db.session.commit()
        db.session.execute(sa.text(
            "DROP TRIGGER crm_test_mark_fails"
            + ("" if db.engine.dialect.name == "sqlite" else " ON reminders")
        ))  # fmt: skip
        db.session.commit()
        # The rest goes at once; the third when its lease has run out, with its Message-ID.
        assert send_due(now + timedelta(seconds=1), settings=server.settings()).sent == 2
        assert send_due(now + LEASE + timedelta(seconds=5), settings=server.settings()).sent == 1
        received = server.handler.message_ids()
    assert Counter(received) == Counter({**dict.fromkeys(sent_ids, 1), sent_ids[2]: 2})
    assert {r.status for r in _rows()} == {ReminderStatus.SENT}


def test_a_marks_connection_the_database_drops_stops_the_pass_and_nothing_is_lost(
    ctx: Flask,
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: a SQLite mark has no connection to lose")
    _due_rows(6, users=1)
    order = [
        r.id
        for r in db.session.scalars(sa.select(Reminder).order_by(Reminder.remind_at, Reminder.id))
    ]
    db.session.commit()
    killer = sa.create_engine(db.engine.url, isolation_level="AUTOCOMMIT")

    def drop_the_marks_connection(accepted: int) -> None:
        if accepted == 2:  # the first message is marked; the second is being accepted
            with killer.connect() as connection:
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE '%%reminders SET status = ''sent''%%'"
                )

    now = _now()
    try:
        with smtp_server() as server:
            server.handler.on_accept = drop_the_marks_connection
            with pytest.raises(MarkFailed, match=f"reminder {order[1]}"):
                send_due(now, settings=server.settings())
            server.handler.on_accept = None
            rows = {r.id: r for r in _rows()}
            db.session.commit()
            # The second was accepted and could not be marked: it waits for its lease. The
            # third was never completed; it and the rest went back on a new connection.
            assert [rows[i].status for i in order] == [
                ReminderStatus.SENT, ReminderStatus.SENDING, *[ReminderStatus.PENDING] * 4,
            ]  # fmt: skip
            assert len(server.handler.message_ids()) == 2
            assert send_due(now + timedelta(seconds=1), settings=server.settings()).sent == 4
            assert (
                send_due(now + LEASE + timedelta(seconds=5), settings=server.settings()).sent == 1
            )
            received = server.handler.message_ids()
    finally:
        killer.dispose()
    assert len(received) == 7 and len(set(received)) == 6  # the second twice, one Message-ID
    assert {r.status for r in _rows()} == {ReminderStatus.SENT}
