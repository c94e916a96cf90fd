"""The scheduler's parts: its jobs as data, its settings, the leader lock on both databases,
the job wrapper's records, and that the web app never starts it.

The processes themselves (signals, takeover, gunicorn beside them) are tested in
``test_scheduler_live.py``; here the lock and the wrapper run in this process, on a scratch
database whose commits are real.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from crm import PROJECT_ROOT
from crm.config import ConfigError, build_config
from crm.extensions import db
from crm.jobs import JOBS, Job
from crm.models import FollowUp, Reminder, SchedulerRun
from crm.scheduler import (
    LOCK_SUFFIX,
    AdvisoryLock,
    FileLock,
    LeaderLock,
    SchedulerError,
    SchedulerProcess,
    describe_trigger,
    leader_lock,
    run_job,
    sqlite_file,
    trigger_of,
)
from crm.services.reminders.dispatch import SendReport, send_due
from tests import factories
from tests.conftest import make_test_app, migrated_scratch_app
from tests.livedb import crm_executable
from tests.outbox import make_follow_up
from tests.smtp import smtp_server

# --- Jobs as data, settings -------------------------------------------------------------------


def test_one_dispatch_job_every_minute_calling_send_due() -> None:
    (job,) = JOBS
    assert (job.id, job.func) == ("dispatch", "crm.services.reminders.dispatch:send_due")
    assert job.resolve() is send_due
    assert dict(job.trigger) == {"trigger": "interval", "seconds": 60}
    assert describe_trigger(trigger_of(job, {})) == "every 60 s"


def test_jobs_are_data_nobody_changes_by_accident() -> None:
    (job,) = JOBS
    with pytest.raises(TypeError):
        job.trigger["seconds"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        job.func = "os:system"  # type: ignore[misc]


def test_the_interval_setting_replaces_the_interval_of_interval_jobs_only() -> None:
    hourly = Job("h", "crm.jobs:JOBS", {"trigger": "interval", "hours": 1}, "hourly")
    nightly = Job("n", "crm.jobs:JOBS", {"trigger": "cron", "hour": 3}, "at three")
    config = {"CRM_SCHEDULER_INTERVAL_SECONDS": 5}
    assert trigger_of(hourly, config) == {"trigger": "interval", "seconds": 5}
    assert trigger_of(hourly, {"CRM_SCHEDULER_INTERVAL_SECONDS": None}) == dict(hourly.trigger)
    assert trigger_of(nightly, config) == {"trigger": "cron", "hour": 3}
    assert describe_trigger(trigger_of(hourly, {})) == "every 3600 s"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("soon", "is not a whole number"),
        ("0", "out of range: use 1 to 3600"),
        ("-5", "out of range"),
        ("3601", "out of range"),
        ("1.5", "is not a whole number"),
    ],
)
def test_a_wrong_interval_setting_is_refused_by_name(value: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_config("/tmp", {"CRM_ENV": "development", "CRM_SCHEDULER_INTERVAL_SECONDS": value})
    assert "CRM_SCHEDULER_INTERVAL_SECONDS" in str(error.value) and words in str(error.value)


def test_the_interval_setting_read() -> None:
    env = {"CRM_ENV": "development"}
    assert build_config("/tmp", env)["CRM_SCHEDULER_INTERVAL_SECONDS"] is None
    env["CRM_SCHEDULER_INTERVAL_SECONDS"] = " 15 "
    assert build_config("/tmp", env)["CRM_SCHEDULER_INTERVAL_SECONDS"] == 15


def test_a_job_that_cannot_be_imported_fails_when_the_scheduler_starts(tmp_path: Path) -> None:
    app = make_test_app("sqlite:///" + str(tmp_path / "crm.sqlite3"), tmp_path)
    typo = Job("typo", "crm.services.reminders.dispatch:send_dew", {"trigger": "interval"}, "")
    with pytest.raises(AttributeError, match="send_dew"):
        SchedulerProcess(app, jobs=(typo,))


# --- Never in the web app ---------------------------------------------------------------------


@pytest.mark.slow  # a new interpreter
def test_create_app_starts_no_thread_and_no_scheduler(tmp_path: Path) -> None:
    script = f"""
import json, sys, threading
before = threading.active_count()
from crm import create_app
app = create_app({{"ENV_NAME": "testing", "TESTING": True,
                  "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path}/crm.sqlite3"}},
                 instance_path="{tmp_path}/instance")
from crm.wsgi import app as wsgi_app
with app.test_client() as client:
    client.get("/healthz")
print(json.dumps({{"threads": [t.name for t in threading.enumerate()], "before": before,
                  "apscheduler": sorted(m for m in sys.modules if m.startswith("apscheduler")),
                  "scheduler": "crm.scheduler" in sys.modules}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={"CRM_ENV": "testing", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["threads"] == ["MainThread"] and seen["before"] == 1
    assert seen["apscheduler"] == [] and seen["scheduler"] is False


# --- The lock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:crm?mode=memory&uri=true"]
)
def test_an_in_memory_database_is_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(SchedulerError) as error:
        leader_lock(sa.create_engine(url, poolclass=sa.pool.NullPool), "vm:1")
    words = str(error.value)
    assert "in-memory SQLite" in words and "CRM_DATABASE_URL" in words


def test_the_lock_file_lies_beside_the_database_file(tmp_path: Path) -> None:
    lock = leader_lock(sa.create_engine(f"sqlite:///{tmp_path}/crm.sqlite3"), "vm:1")
    assert isinstance(lock, FileLock)
    assert lock.path == tmp_path / ("crm.sqlite3" + LOCK_SUFFIX)
    uri = sa.make_url(f"sqlite:///file:{tmp_path}/crm.sqlite3?uri=true")
    assert sqlite_file(uri) == tmp_path / "crm.sqlite3"


@pytest.mark.slow  # from a new interpreter
def test_crm_scheduler_on_an_in_memory_database_says_why_it_cannot_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [*crm_executable(), "scheduler"],
        env={"CRM_ENV": "development", "CRM_DATABASE_URL": "sqlite://", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot run on an in-memory SQLite database" in result.stderr


def test_one_file_lock_at_a_time_and_its_holder_named(tmp_path: Path) -> None:
    path = tmp_path / ("crm.sqlite3" + LOCK_SUFFIX)
    first, second = FileLock(path, "vm:1"), FileLock(path, "vm:2")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert second.holder() == "vm:1"
    assert first.still_held() and not second.still_held()
    first.release()
    assert second.try_acquire() and second.holder() == "vm:2"
    second.release()


def test_a_lock_file_deleted_under_the_holder_is_no_longer_held(tmp_path: Path) -> None:
    path = tmp_path / ("crm.sqlite3" + LOCK_SUFFIX)
    first, second = FileLock(path, "vm:1"), FileLock(path, "vm:2")
    assert first.try_acquire()
    path.unlink()
    assert second.try_acquire()  # a new file: the first must step down
    assert not first.still_held() and second.still_held()
    first.release()
    second.release()


@pytest.fixture(scope="module")
def scratch_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app on a database of its own (its commits are real: a lock, runs in threads)."""
    folder = tmp_path_factory.mktemp("scheduler-unit")
    with migrated_scratch_app(database_url, folder) as application:
        yield application


@pytest.fixture()
def scratch(scratch_app: Flask) -> Iterator[Flask]:
    with scratch_app.app_context():
        db.session.execute(sa.delete(Reminder))
        db.session.execute(sa.delete(FollowUp))
        db.session.execute(sa.delete(SchedulerRun))
        db.session.commit()
        yield scratch_app
        db.session.rollback()


def _locks(app: Flask) -> tuple[LeaderLock, LeaderLock]:
    return leader_lock(db.engine, "vm:1"), leader_lock(db.engine, "vm:2")


@pytest.mark.slow  # a scratch database
def test_one_leader_lock_at_a_time_on_the_database_under_test(scratch: Flask) -> None:
    first, second = _locks(scratch)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert second.holder() == "vm:1"
        assert first.still_held() and not second.still_held()
        first.release()
        assert second.try_acquire() and second.still_held()
    finally:
        first.release()
        second.release()


@pytest.mark.slow  # a scratch database on PostgreSQL
def test_an_advisory_lock_whose_session_ended_is_no_longer_held(scratch: Flask) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite has no advisory locks (its file lock is tested above); "
            "the PostgreSQL run of the suite covers it"
        )
    first, second = _locks(scratch)
    assert isinstance(first, AdvisoryLock)
    try:
        assert first.try_acquire()
        # A database restart (or an admin) ends the session holding the lock.
        db.session.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'crm scheduler vm:1'"
            )
        )
        db.session.commit()
        deadline = time.monotonic() + 10
        while not second.try_acquire():
            assert time.monotonic() < deadline, "the lock outlived its session"
            time.sleep(0.1)
        assert not first.still_held()
    finally:
        first.release()
        second.release()


# --- The job wrapper and the process in this process ------------------------------------------


def failing_job(**_: Any) -> SendReport:
    """A job of these tests whose run fails (as a database that went away would)."""
    raise RuntimeError("the database went away")


_seen: list[dict[str, Any]] = []


def probe_job(*, runner: str, should_stop: Callable[[], bool]) -> SendReport:
    """A job of these tests that notes each run and how it was called."""
    _seen.append({"runner": runner, "stopping": should_stop(), "at": time.monotonic()})
    return SendReport(sent=len(_seen))


@pytest.mark.slow  # a scratch database, a real SMTP server
def test_a_run_is_recorded_and_committed_by_the_wrapper(scratch: Flask, monkeypatch) -> None:
    officer = factories.make_user()
    officer.digest_hour = None
    make_follow_up(officer, datetime.now(UTC) - timedelta(minutes=5))
    db.session.commit()
    with smtp_server() as server:
        from crm.services import mail

        monkeypatch.setattr(mail, "_configured", server.settings())
        report = run_job(scratch, JOBS[0], "vm:42")
        assert len(server.received) == 1
    assert report is not None and report.sent == 1
    db.session.expire_all()
    (run,) = db.session.scalars(sa.select(SchedulerRun)).all()
    assert (run.job, run.runner, run.sent, run.failed) == ("dispatch", "vm:42", 1, 0)
    assert run.error is None
    assert run.finished_at is not None and run.finished_at >= run.started_at


@pytest.mark.slow  # a scratch database
def test_a_failing_run_is_recorded_with_its_error_and_does_not_escape(scratch: Flask) -> None:
    job = Job("dispatch", "tests.test_scheduler:failing_job", {"trigger": "interval"}, "")
    assert run_job(scratch, job, "vm:42") is None
    db.session.expire_all()
    (run,) = db.session.scalars(sa.select(SchedulerRun)).all()
    assert run.error is not None and "the database went away" in run.error
    assert (run.sent, run.failed) == (0, 0)


@pytest.mark.slow  # a scratch database, scheduler threads
def test_the_leader_runs_at_once_and_then_every_interval_the_other_waits(scratch: Flask) -> None:
    _seen.clear()
    probe = Job("probe", "tests.test_scheduler:probe_job", {"trigger": "interval"}, "a probe")
    scratch.config["CRM_SCHEDULER_INTERVAL_SECONDS"] = 1
    leader = SchedulerProcess(scratch, jobs=(probe,), poll=0.2, runner="vm:1")
    other = SchedulerProcess(scratch, jobs=(probe,), poll=0.2, runner="vm:2")
    threads = [threading.Thread(target=p.run) for p in (leader, other)]
    try:
        started = time.monotonic()
        threads[0].start()
        while not _seen:
            assert time.monotonic() - started < 10, "the leader did not run at once"
            time.sleep(0.02)
        threads[1].start()
        time.sleep(2.5)
        scheduler = leader._scheduler
        assert scheduler is not None
        job = scheduler.get_job("probe")
        assert (job.misfire_grace_time, job.coalesce, job.max_instances) == (None, True, 1)
        assert {seen["runner"] for seen in _seen} == {"vm:1"}  # the other ran nothing
        assert 3 <= len(_seen) <= 5
        assert _seen[0]["at"] - started < 2  # at once, not an interval later

        leader.request_stop()
        threads[0].join(timeout=10)
        assert not threads[0].is_alive()
        count = len(_seen)
        deadline = time.monotonic() + 10
        while not any(seen["runner"] == "vm:2" for seen in _seen):
            assert time.monotonic() < deadline, "the other did not take over"
            time.sleep(0.05)
        assert all(seen["runner"] == "vm:1" for seen in _seen[:count])
        assert not any(seen["stopping"] for seen in _seen)
    finally:
        for process in (leader, other):
            process.request_stop()
        for thread in threads:
            thread.join(timeout=10)
        scratch.config["CRM_SCHEDULER_INTERVAL_SECONDS"] = None
    db.session.expire_all()
    runners = {run.runner for run in db.session.scalars(sa.select(SchedulerRun))}
    assert runners == {"vm:1", "vm:2"}


@pytest.mark.slow  # a scratch database, scheduler threads
def test_a_leader_that_lost_its_lock_stops_running_jobs_until_it_holds_it_again(
    scratch: Flask,
) -> None:
    _seen.clear()
    probe = Job("probe", "tests.test_scheduler:probe_job", {"trigger": "interval"}, "a probe")
    scratch.config["CRM_SCHEDULER_INTERVAL_SECONDS"] = 1
    leader = SchedulerProcess(scratch, jobs=(probe,), poll=0.2, runner="vm:1")
    thief = leader_lock(db.engine, "vm:9")
    thread = threading.Thread(target=leader.run)
    try:
        thread.start()
        deadline = time.monotonic() + 10
        while not _seen:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        # The lock goes from under it: the file replaced, or the session ended.
        if isinstance(leader.lock, FileLock):
            leader.lock.path.unlink()
        else:
            db.session.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'crm scheduler vm:1'"
                )
            )
            db.session.commit()
        deadline = time.monotonic() + 10
        while not thief.try_acquire():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.5)  # the leader's next run finds the lock gone and steps down
        count = len(_seen)
        time.sleep(2)
        assert len(_seen) == count, "a scheduler without the lock ran a job"
        thief.release()
        deadline = time.monotonic() + 10
        while len(_seen) == count:
            assert time.monotonic() < deadline, "it did not take the lock again"
            time.sleep(0.05)
    finally:
        leader.request_stop()
        thread.join(timeout=10)
        thief.release()
        scratch.config["CRM_SCHEDULER_INTERVAL_SECONDS"] = None
