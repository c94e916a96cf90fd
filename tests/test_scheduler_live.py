"""``crm scheduler`` as deployed: real processes on a scratch database (SQLite file or
PostgreSQL, whichever the suite runs on), a real SMTP server (aiosmtpd) in this process.

The schedulers, ``crm reminders send-due`` passes and gunicorn are the installed commands,
started in production mode with the dispatch interval shortened to a second
(``CRM_SCHEDULER_INTERVAL_SECONDS``) so that each test takes seconds. The test writes its
follow-ups through an app of its own on the same database (the planning hook plans their
reminders as it would for any write) and reads the outbox and the runs from there.
"""

from __future__ import annotations

import http.cookiejar
import re
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.extensions import db
from crm.models import FollowUp, Reminder, SchedulerRun, User
from crm.models.followups import ReminderKind, ReminderStatus
from crm.services import mail
from crm.services.reminders.dispatch import LEASE
from tests import factories
from tests.conftest import make_test_app
from tests.livedb import (
    crm_command,
    crm_executable,
    free_port,
    gunicorn,
    production_env,
    scratch_database,
)
from tests.outbox import make_follow_up
from tests.smtp import Collector, SMTPServer

pytestmark = pytest.mark.slow  # real processes on a scratch database

ADMIN = ("mail.admin@programme.example", "a long admin passphrase 42")
DOMAIN = "127.0.0.1"  # the host of CRM_BASE_URL in production_env


class WatchedCollector(Collector):
    """The test's SMTP handler, which also tells when a message is inside DATA: its whole
    text is with the server, the reply not yet sent (the moment a kill is most harmful)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_data = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.in_data.set()
        try:
            return await super().handle_DATA(server, session, envelope)
        finally:
            self.in_data.clear()


@dataclass
class Live:
    app: Flask  # the test's own app on the scratch database
    env: dict[str, str]  # what the processes run with
    smtp: SMTPServer
    folder: Path
    port: int  # for gunicorn (CRM_BASE_URL's port)

    @property
    def handler(self) -> WatchedCollector:
        return self.smtp.handler  # type: ignore[return-value]


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("scheduler")
    smtp = SMTPServer()
    smtp.handler = WatchedCollector()
    smtp.start()
    try:
        with scratch_database(database_url, folder) as url:
            port = free_port()
            env = production_env(
                url,
                port,
                CRM_MAIL_HOST=smtp.host,
                CRM_MAIL_PORT=str(smtp.port),
                CRM_MAIL_SECURITY="none",
                CRM_SCHEDULER_INTERVAL_SECONDS="1",
                PYTHONUNBUFFERED="1",
            )
            crm_command("db", "upgrade", env=env)
            crm_command("seed", env=env)
            crm_command("users", "create", ADMIN[0], "--role", "admin", env=env, stdin=ADMIN[1])
            application = make_test_app(url, folder, CRM_BASE_URL=env["CRM_BASE_URL"])
            yield Live(application, env, smtp, folder, port)
            with application.app_context():
                db.session.remove()
                db.engine.dispose()
    finally:
        smtp.stop()


@pytest.fixture()
def ctx(live: Live) -> Iterator[Live]:
    """An empty outbox (no follow-ups, reminders or runs of another test), an app context for
    the whole test, and an SMTP server that has received nothing yet."""
    with live.app.app_context():
        db.session.execute(sa.delete(Reminder))
        db.session.execute(sa.delete(FollowUp))
        db.session.execute(sa.delete(SchedulerRun))
        db.session.execute(sa.update(User).values(digest_hour=None))  # digests where a test asks
        db.session.commit()
        live.handler.clear()
        live.handler.delay = 0.0
        yield live
        db.session.rollback()


# --- Processes ------------------------------------------------------------------------------


class Process:
    """A ``crm`` command running in the background, its output in a log file."""

    def __init__(self, live: Live, *args: str, name: str) -> None:
        self.log_path = live.folder / f"{name}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("w")
        self.popen = subprocess.Popen(
            [*crm_executable(), *args], env=live.env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def runner(self) -> str:
        """``host:pid`` as the process names itself in its runs and claims."""
        return f"{_host()}:{self.pid}"

    def leads(self, log: str | None = None) -> bool:
        """Its log says it took the leader lock."""
        return f"crm scheduler {self.runner()} holds" in (log or self.log())

    def waits(self, log: str | None = None) -> bool:
        """Its log says it waits for another scheduler."""
        return "waiting, trying again every" in (log or self.log())

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def signal(self, number: int) -> None:
        self.popen.send_signal(number)

    def wait(self, timeout: float = 30) -> int:
        return self.popen.wait(timeout=timeout)

    def end(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()


@contextmanager
def processes() -> Iterator[list[Process]]:
    """Whatever the test starts is ended at the end, whatever happens. All are asked to stop
    at once, then waited for: ended one by one, a scheduler that waited for the lock took it
    from the leader stopping before it and ran a job (seen on a loaded machine)."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in started:
            process.end()


def _host() -> str:
    import socket

    return socket.gethostname()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60, step: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


# --- The outbox -----------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def settled(objects: list[Any]) -> list[Any]:
    """Objects read as they are now, detached, and the transaction ended: the test must
    hold no transaction while the processes work (on SQLite every transaction of ours
    takes the write lock, and an expired attribute read later would begin one)."""
    db.session.expunge_all()
    db.session.commit()
    return objects


def due_follow_ups(
    count: int,
    users: int = 5,
    due: datetime | None = None,
    spacing: timedelta = timedelta(seconds=1),
) -> list[str]:
    """``count`` follow-ups due at ``due`` and before it, ``spacing`` apart, over ``users``
    officers without digests; committed. Returns the officers' e-mail addresses."""
    officers = [factories.make_user() for _ in range(users)]
    for officer in officers:
        officer.digest_hour = None
    emails = [officer.email for officer in officers]
    due = due or _now() - timedelta(minutes=30)
    for n in range(count):
        make_follow_up(officers[n % users], due - n * spacing)
    db.session.commit()
    settled([])
    return emails


def rows(kind: ReminderKind | None = ReminderKind.DUE) -> list[Reminder]:
    """The outbox now (its due reminders unless ``kind`` says otherwise; None: all)."""
    query = sa.select(Reminder).order_by(Reminder.id)
    if kind is not None:
        query = query.where(Reminder.kind == kind)
    return settled(list(db.session.scalars(query)))


def runs_by(runner: str, job: str = "dispatch") -> list[SchedulerRun]:
    return settled(
        list(
            db.session.scalars(
                sa.select(SchedulerRun)
                .where(SchedulerRun.runner == runner, SchedulerRun.job == job)
                .order_by(SchedulerRun.id)
            )
        )
    )


def claimers(reminders: list[Reminder]) -> set[str]:
    """The processes (``host:pid``) that claimed the rows, without each pass's token."""
    return {r.claimed_by.rsplit("/", 1)[0] for r in reminders if r.claimed_by}


# --- The web app beside them ----------------------------------------------------------------


class Browser:
    """A signed-in admin reading pages of the live app, as a person would meanwhile."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        html = self.get("/login")[1]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        assert token, "no CSRF token on /login"
        data = urllib.parse.urlencode(
            {"email": ADMIN[0], "password": ADMIN[1], "csrf_token": token.group(1)}
        ).encode()
        with self.opener.open(base_url + "/login", data=data, timeout=30) as response:
            assert response.geturl() == base_url + "/", "the admin could not sign in"

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.status, response.read().decode()


# --- The tests --------------------------------------------------------------------------------


def test_four_web_workers_two_schedulers_and_two_passes_send_500_reminders_once(
    ctx: Live,
) -> None:
    officers = due_follow_ups(500)
    planned = rows()
    expected = {r.follow_up_id for r in planned}
    assert len(expected) == 500 and {r.kind for r in planned} == {ReminderKind.DUE}
    # A slower server (each message a few milliseconds) keeps the race open for seconds.
    ctx.handler.delay = 0.008
    pages: list[int] = []
    with (
        gunicorn(ctx.env, ctx.port, ctx.folder, workers=4) as base_url,
        processes() as started,
    ):
        browser = Browser(base_url)
        for n in (1, 2):
            started.append(Process(ctx, "scheduler", name=f"scheduler-{n}"))
        for n in (1, 2):
            started.append(Process(ctx, "reminders", "send-due", name=f"send-due-{n}"))
        schedulers, passes = started[:2], started[2:]
        # Meanwhile people use the app: its workers answer and send nothing themselves.
        while len(ctx.handler.received) < 500 and len(pages) < 2000:
            pages.append(browser.get("/admin/mail")[0])
        wait_for("500 messages", lambda: len(ctx.handler.received) >= 500, timeout=180)
        for send_due in passes:
            assert send_due.wait(timeout=120) == 0, send_due.log()
            assert "send-due: sent" in send_due.log()
        time.sleep(2)  # two more dispatch intervals: nothing more arrives
        received = ctx.handler.message_ids()
        logs = [s.log() for s in schedulers]
        leaders = [s for s, log in zip(schedulers, logs, strict=True) if s.leads(log)]
        waiting = [s for s, log in zip(schedulers, logs, strict=True) if s.waits(log)]

    assert len(received) == 500
    assert Counter(received).most_common(1)[0][1] == 1  # none twice
    outbox = rows()
    assert len(rows(kind=None)) == 500
    assert {r.status for r in outbox} == {ReminderStatus.SENT}
    assert {r.follow_up_id for r in outbox} == expected  # one message per follow-up
    assert {r.message_id for r in outbox} == set(received)
    assert all(r.message_id == mail.message_id(r.id, r.key, DOMAIN) for r in outbox)
    recipients = Counter(r.rcpt_tos[0] for r in ctx.handler.received)
    assert recipients == {email: 100 for email in officers}

    # Only the scheduler holding the lock and the two passes claimed; not a web worker.
    assert len(leaders) == 1 and len(waiting) == 1, logs
    senders = {leaders[0].runner()} | {p.runner() for p in passes}
    assert claimers(outbox) <= senders
    assert len(claimers(outbox)) >= 2, "the race did not happen: one process sent everything"
    assert runs_by(waiting[0].runner()) == []  # the second scheduler ran no job
    assert runs_by(leaders[0].runner()), "the leader recorded no run"
    assert (
        sum(run.sent for p in passes for run in runs_by(p.runner(), "send-due"))
        + sum(run.sent for run in runs_by(leaders[0].runner()))
        == 500
    )
    assert pages and set(pages) == {200}


@pytest.mark.parametrize(
    "stop", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"]
)
def test_a_second_scheduler_runs_no_job_until_the_first_is_gone_then_takes_over(
    ctx: Live, stop: signal.Signals
) -> None:
    with processes() as started:
        first = Process(ctx, "scheduler", name="first")
        started.append(first)
        wait_for("the first scheduler to lead", first.leads, timeout=30)
        wait_for("its first run", lambda: runs_by(first.runner()), timeout=30)
        second = Process(ctx, "scheduler", name="second")
        started.append(second)
        wait_for("the second scheduler to wait", second.waits, timeout=30)
        due_follow_ups(1, users=1, due=_now())
        wait_for("the reminder", lambda: len(ctx.handler.received) == 1, timeout=30)
        time.sleep(3)  # three more dispatch intervals of the first
        assert runs_by(second.runner()) == []
        assert len(runs_by(first.runner())) >= 3
        assert claimers(rows()) == {first.runner()}

        first.signal(stop)
        stopped_at = time.monotonic()
        code = first.wait(timeout=30)
        wait_for("the second to take over", lambda: runs_by(second.runner()), timeout=70)
        took = time.monotonic() - stopped_at
        due_follow_ups(1, users=1, due=_now())
        wait_for("the next reminder", lambda: len(ctx.handler.received) == 2, timeout=30)
        time.sleep(1)
        first_runs, second_runs = runs_by(first.runner()), runs_by(second.runner())

    assert took < 60, f"took over after {took:.1f} s"
    assert second.leads()
    if stop == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:  # a clean stop: its last run recorded, the lock released
        assert code == 0, first.log()
        assert f"crm scheduler {first.runner()} stopped" in first.log()
    # The second ran nothing before the first's last run ended.
    assert max(r.finished_at for r in first_runs) <= min(r.started_at for r in second_runs)
    newest = rows()[-1]
    assert (newest.status, claimers([newest])) == (ReminderStatus.SENT, {second.runner()})
    assert len(set(ctx.handler.message_ids())) == 2


def test_sigterm_in_the_middle_of_a_batch_finishes_the_message_and_gives_the_rest_back(
    ctx: Live,
) -> None:
    due_follow_ups(20, users=2)
    ctx.handler.delay = 0.3  # a slow server: the middle of the batch lasts seconds
    with processes() as started:
        first = Process(ctx, "scheduler", name="first")
        started.append(first)
        wait_for("a few messages", lambda: len(ctx.handler.received) >= 3, timeout=60)
        wait_for("a message in DATA", ctx.handler.in_data.is_set, timeout=10, step=0.005)
        first.signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0, first.log()
        received = ctx.handler.message_ids()
        at_stop = rows()
        (run,) = runs_by(first.runner())

        # Nothing is left leased to the stopped process: a restart sends the rest at once.
        ctx.handler.delay = 0.0
        second = Process(ctx, "scheduler", name="second")
        started.append(second)
        wait_for("every reminder", lambda: len(ctx.handler.received) == 20, timeout=60)
        time.sleep(1)
        final = rows()
        all_received = ctx.handler.message_ids()

    assert "SIGTERM: stopping after the message being sent" in first.log()
    sent = [r for r in at_stop if r.status == ReminderStatus.SENT]
    assert {r.message_id for r in sent} == set(received)  # the one in DATA finished, marked
    assert 3 < len(sent) < 20
    rest = [r for r in at_stop if r.status != ReminderStatus.SENT]
    assert {(r.status, r.attempts) for r in rest} == {(ReminderStatus.PENDING, 0)}  # given back
    assert (run.sent, run.failed, run.error) == (len(sent), 0, None)
    assert run.finished_at is not None
    assert {r.status for r in final} == {ReminderStatus.SENT}
    assert sorted(all_received) == sorted(r.message_id for r in final)  # each once


def test_a_scheduler_killed_in_the_middle_of_a_batch_then_restarted_sends_every_reminder(
    ctx: Live,
) -> None:
    due_follow_ups(30, users=3)
    ctx.handler.delay = 0.3
    with processes() as started:
        first = Process(ctx, "scheduler", name="first")
        started.append(first)
        wait_for("a few messages", lambda: len(ctx.handler.received) >= 5, timeout=60)
        # The moment that matters: the server holds the whole message, the sender has not
        # yet heard that it was accepted (so it cannot have marked it sent).
        wait_for("a message in DATA", ctx.handler.in_data.is_set, timeout=10, step=0.005)
        first.signal(signal.SIGKILL)
        assert first.wait(timeout=10) == -signal.SIGKILL
        time.sleep(ctx.handler.delay + 0.5)  # the server ends the message it was given
        received_at_kill = ctx.handler.message_ids()
        at_kill = rows()
        killed_at = _now()

        ctx.handler.delay = 0.0
        second = Process(ctx, "scheduler", name="second")
        started.append(second)
        wait_for("the restarted scheduler to lead", second.leads, timeout=30)
        wait_for("three runs", lambda: len(runs_by(second.runner())) >= 3, timeout=30)
        while_leased = ctx.handler.message_ids()

        # Ten minutes later (brought forward: the leases are moved back to have run out),
        # the restarted scheduler claims the rows the dead one held and sends them.
        db.session.execute(
            sa.update(Reminder)
            .where(Reminder.status == ReminderStatus.SENDING)
            .values(lease_expires_at=_now() - timedelta(seconds=1))
        )
        db.session.commit()
        wait_for(
            "every reminder sent",
            lambda: {r.status for r in rows()} == {ReminderStatus.SENT},
            timeout=60,
        )
        time.sleep(1)
        final = rows()
        received = ctx.handler.received[:]

    sent = [r for r in at_kill if r.status == ReminderStatus.SENT]
    held = [r for r in at_kill if r.status == ReminderStatus.SENDING]
    assert len(sent) + len(held) == 30  # one claim took them all (a batch is 100)
    assert held and all(r.claimed_by.startswith(first.runner() + "/") for r in held)
    assert all(r.lease_expires_at > killed_at for r in held)
    assert all(r.lease_expires_at - r.claimed_at == LEASE for r in held)
    # Exactly one message was in flight: the server has it, its row is still "sending".
    (in_flight,) = [r for r in held if r.message_id in received_at_kill]
    assert set(received_at_kill) == {r.message_id for r in sent} | {in_flight.message_id}
    assert while_leased == received_at_kill  # nothing taken over while the lease held

    assert {r.message_id for r in final} == {m.message_id for m in received}
    counts = Counter(m.message_id for m in received)
    assert len(received) == 31 and len(counts) == 30
    assert counts[in_flight.message_id] == 2  # the one in flight arrived twice ...
    copies = [m.message for m in received if m.message_id == in_flight.message_id]
    assert copies[0]["Subject"] == copies[1]["Subject"]  # ... as the same message,
    assert copies[0]["To"] == copies[1]["To"]  # with the same Message-ID: clients show one
    held_ids = {r.id for r in held}
    again = [r for r in final if r.id in held_ids]
    assert all(r.claimed_by.startswith(second.runner() + "/") for r in again)
    assert {r.attempts for r in again} == {2}  # claimed by the dead one, then the restart


def _zone_in_its_day() -> tuple[str, datetime]:
    """A zone where it is between 02:00 and 22:59 now, and the local time there."""
    for name in ("Europe/Berlin", "Asia/Tokyo", "America/New_York"):
        local = datetime.now(ZoneInfo(name))
        if 2 <= local.hour <= 22:
            return name, local
    raise AssertionError("no zone in its day")  # one of the three always is


def test_after_hours_of_downtime_the_first_run_catches_up(ctx: Live) -> None:
    # The scheduler was down for six hours: 72 reminders fell due meanwhile, one every five
    # minutes, and the digest of a user whose digest hour passed an hour or more ago today.
    now = _now()
    emails = due_follow_ups(72, users=3, due=now, spacing=timedelta(minutes=5))
    zone, local = _zone_in_its_day()
    reader = factories.make_user()
    reader.timezone, reader.digest_hour = zone, local.hour - 1
    overdue = make_follow_up(reader, now - timedelta(days=3), zone=zone, title="Send the offer")
    db.session.commit()
    reader_email, overdue_id = reader.email, overdue.id
    settled([])
    with processes() as started:
        scheduler = Process(ctx, "scheduler", name="scheduler")
        started.append(scheduler)
        first_run = wait_for("the first run", lambda: runs_by(scheduler.runner()), timeout=60)[0]
        time.sleep(2)
        later_runs = runs_by(scheduler.runner())[1:]
    assert first_run.sent == 73 and first_run.error is None  # one pass caught up
    assert later_runs and sum(run.sent for run in later_runs) == 0
    received = ctx.handler.received
    assert len(received) == 73 and len({m.message_id for m in received}) == 73
    due = rows()
    assert {r.status for r in due} == {ReminderStatus.SENT} and len(due) == 72
    assert min(r.remind_at for r in due) == now - timedelta(minutes=5 * 71)
    assert overdue_id not in {r.follow_up_id for r in due}  # three days late: in the digest
    (digest,) = rows(kind=ReminderKind.DIGEST)
    assert digest.status == ReminderStatus.SENT
    assert digest.digest_day == local.date()  # today's, late; no row for a day missed
    (message,) = [m.message for m in received if m.rcpt_tos == [reader_email]]
    assert "Send the offer" in message.get_body(("plain",)).get_content()
    assert {m.rcpt_tos[0] for m in received} == {*emails, reader_email}
