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

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.extensions import db
from crm.models import FollowUp, Reminder, SchedulerRun
from crm.models.followups import ReminderKind, ReminderStatus
from crm.services import mail
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
    """Whatever the test starts is ended at the end, whatever happens."""
    started: list[Process] = []
    try:
        yield started
    finally:
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


def due_follow_ups(count: int, users: int = 5, due: datetime | None = None) -> list[str]:
    """``count`` follow-ups due before now (within the catch-up), over ``users`` officers
    without digests; committed. Returns the officers' e-mail addresses."""
    officers = [factories.make_user() for _ in range(users)]
    for officer in officers:
        officer.digest_hour = None
    emails = [officer.email for officer in officers]
    due = due or _now() - timedelta(minutes=30)
    for n in range(count):
        make_follow_up(officers[n % users], due - timedelta(seconds=n))
    db.session.commit()
    settled([])
    return emails


def rows() -> list[Reminder]:
    return settled(list(db.session.scalars(sa.select(Reminder).order_by(Reminder.id))))


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
    everything = rows()
    outbox = [r for r in everything if r.kind == ReminderKind.DUE]
    # The admin's digest had nothing to list: stored as cancelled, not sent.
    others = [r for r in everything if r.kind != ReminderKind.DUE]
    assert {(r.kind, r.status) for r in others} <= {(ReminderKind.DIGEST, ReminderStatus.CANCELLED)}
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
