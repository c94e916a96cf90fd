"""``crm scheduler``: the process that runs the jobs of ``crm.jobs``, one leader at a time.

It is its own process and never part of ``create_app()``: a scheduler inside the web app
would run every job once per gunicorn worker. Before it runs any job it takes the leader
lock, which the operating system or the database server frees when the process ends, however
it ends:

- PostgreSQL: ``pg_try_advisory_lock`` on a connection of its own, held for the process's
  life (the server drops the lock with the session, also when the process is killed);
- SQLite: an exclusive ``flock`` on ``<database file>.scheduler.lock`` beside the database
  (the kernel drops it with the process). An in-memory database is refused: no other process
  could see its rows, so there is nothing to lead.

A second ``crm scheduler`` says that it waits, polls the lock every few seconds and runs no
job until it holds it. The leader checks before each run that it still holds the lock (a
database restart ends the session that held it) and goes back to waiting if not.

SIGTERM and SIGINT stop it cleanly: the job that runs is asked to stop, finishes the message
it is sending, gives the rest of its claim back and records its run; then the lock is
released. A second signal ends the process at once (as SIGKILL would: see README).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.pool import NullPool

from crm.extensions import db
from crm.jobs import JOBS, Job

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # how often a waiting scheduler tries the lock
# The advisory lock's key: the same for every crm scheduler on a database (advisory locks
# are per database, so two CRMs on one server do not meet). Positive, 63 bits.
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"crm scheduler").digest()[:8], "big") >> 1
LOCK_SUFFIX = ".scheduler.lock"
JOB_DEFAULTS = {
    # APScheduler 3 drops a run more than a second late by default; a late dispatch is
    # still wanted, and runs missed while one ran long are one run, not a burst.
    "misfire_grace_time": None,
    "coalesce": True,
    "max_instances": 1,
}


class SchedulerError(RuntimeError):
    """The scheduler cannot run here; the message says why and what to do."""


# --- The leader lock --------------------------------------------------------------------------


class LeaderLock:
    """A lock that only one process holds and that its end frees."""

    description = "the leader lock"

    def try_acquire(self) -> bool:
        raise NotImplementedError

    def still_held(self) -> bool:
        raise NotImplementedError

    def holder(self) -> str | None:
        """Who holds it, when that can be told (``host:pid``)."""
        return None

    def release(self) -> None:
        raise NotImplementedError


class AdvisoryLock(LeaderLock):
    """PostgreSQL: a session-level advisory lock on a connection kept for the process's life,
    outside the app's pool (autocommit, so it never sits idle in a transaction). Its
    ``application_name`` names the holder for a waiting scheduler. TCP keepalives on both
    ends: the server's (session settings) end the session of a holder whose machine
    vanished within about a minute, freeing the lock; the client's notice a server gone."""

    def __init__(self, url: sa.URL, identity: str) -> None:
        self.description = f"PostgreSQL advisory lock {ADVISORY_KEY} on database {url.database}"
        self._name = f"crm scheduler {identity}"[:63]
        self._engine = sa.create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "application_name": self._name,
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
                "connect_timeout": 10,
                "options": "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 "
                "-c tcp_keepalives_count=3",
            },
        )
        self._connection: sa.Connection | None = None
        # pg_locks shows a bigint key as its high and low 32 bits.
        self._key_parts = {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF}

    def _scalar(self, statement: str, **values: Any) -> Any:
        if self._connection is None:
            self._connection = self._engine.connect()
        return self._connection.scalar(sa.text(statement), values)

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except sa.exc.SQLAlchemyError:
                pass
            self._connection = None

    def try_acquire(self) -> bool:
        try:
            return bool(self._scalar("SELECT pg_try_advisory_lock(:key)", key=ADVISORY_KEY))
        except sa.exc.SQLAlchemyError as error:
            log.warning("cannot reach the database for the leader lock: %s", error)
            self._drop()
            return False

    def still_held(self) -> bool:
        try:
            return bool(
                self._scalar(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted AND classid = :high "
                    "AND objid = :low AND objsubid = 1)",
                    **self._key_parts,
                )
            )
        except sa.exc.SQLAlchemyError as error:
            log.error("the connection holding the leader lock is gone: %s", error)
            self._drop()
            return False

    def holder(self) -> str | None:
        try:
            name = self._scalar(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = :high AND l.objid = :low AND l.objsubid = 1 LIMIT 1",
                **self._key_parts,
            )
        except sa.exc.SQLAlchemyError:
            self._drop()
            return None
        if not name:
            return None
        return str(name).removeprefix("crm scheduler ")

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._scalar("SELECT pg_advisory_unlock(:key)", key=ADVISORY_KEY)
            except sa.exc.SQLAlchemyError:
                pass  # the session ends below, and the lock with it
        self._drop()
        self._engine.dispose()


class FileLock(LeaderLock):
    """SQLite: an exclusive ``flock`` on a file beside the database, holding the holder's
    ``host:pid``. The file is never deleted: a scheduler that waits on it would otherwise
    lock a new file while the old one is still held."""

    def __init__(self, path: Path, identity: str) -> None:
        self.path = path
        self.description = f"file lock {path}"
        self._identity = identity
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{self._identity}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        """Held, and the file at the path is still the one locked (not deleted or replaced,
        which would let another scheduler lock a new file)."""
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except OSError:
            return False

    def holder(self) -> str | None:
        try:
            return self.path.read_text().strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def sqlite_file(url: sa.URL) -> Path | None:
    """The database file of a SQLite URL; None when the database lives in memory."""
    database = url.database or ""
    if url.query.get("uri") == "true" and database.startswith("file:"):  # a URI filename
        if url.query.get("mode") == "memory":
            return None
        database = database[len("file:") :]
    if database in ("", ":memory:"):
        return None
    return Path(database).resolve()


def leader_lock(engine: sa.Engine, identity: str) -> LeaderLock:
    """The lock that fits the app's database; SchedulerError where there can be none."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(url, identity)
    if url.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is None:
            raise SchedulerError(
                "crm scheduler cannot run on an in-memory SQLite database: no other process "
                "(web workers, crm commands) sees its rows, and there is no file to lock. "
                "Set CRM_DATABASE_URL to a SQLite file or to PostgreSQL"
            )
        return FileLock(path.with_name(path.name + LOCK_SUFFIX), identity)
    raise SchedulerError(
        f"crm scheduler has no leader lock for {url.get_backend_name()} databases: "
        "use PostgreSQL or SQLite"
    )


# --- Running the jobs -----------------------------------------------------------------------


def trigger_of(job: Job, config: Any) -> dict[str, Any]:
    """The job's trigger, with ``CRM_SCHEDULER_INTERVAL_SECONDS`` (when set) as the interval
    of interval jobs."""
    trigger = dict(job.trigger)
    seconds = config.get("CRM_SCHEDULER_INTERVAL_SECONDS")
    if seconds and trigger.get("trigger") == "interval":
        for unit in ("weeks", "days", "hours", "minutes"):
            trigger.pop(unit, None)
        trigger["seconds"] = int(seconds)
    return trigger


def describe_trigger(trigger: dict[str, Any]) -> str:
    """``every 60 s`` for an interval trigger; the arguments otherwise (for the log)."""
    if trigger.get("trigger") == "interval":
        units = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
        seconds = sum(trigger.get(unit, 0) * factor for unit, factor in units.items())
        return f"every {seconds:g} s"
    return ", ".join(f"{key}={value}" for key, value in trigger.items())


def run_job(
    app: Flask, job: Job, runner: str, stop: Callable[[], bool] = lambda: False
) -> Any | None:
    """One run of ``job`` in an app context of its own, recorded as a ``SchedulerRun`` and
    committed here (the job wrapper is one of the places that commit). A failing run is
    recorded with its error and logged; it never stops the scheduler. Returns the report."""
    from crm.services.reminders.dispatch import record_run

    function = job.resolve()
    started = datetime.now(UTC)
    with app.app_context():
        try:
            report = function(runner=runner, should_stop=stop)
        except Exception as error:
            db.session.rollback()
            log.exception("job %s failed", job.id)
            try:
                record_run(job.id, runner, started, None, error=repr(error)[:2000])
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("cannot record the failed run of job %s", job.id)
            return None
        try:
            record_run(job.id, runner, started, report)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("cannot record the run of job %s", job.id)
    if any(getattr(report, name, 0) for name in ("sent", "failed", "retried")):
        describe = getattr(report, "describe", None)
        log.info("%s: %s", job.id, describe() if describe else report)
    return report


class SchedulerProcess:
    """The life of one ``crm scheduler``: wait for the lock, lead (run the jobs) until asked
    to stop or until the lock is lost, then wait again or end."""

    def __init__(
        self,
        app: Flask,
        *,
        jobs: Iterable[Job] = JOBS,
        poll: float = POLL_SECONDS,
        runner: str | None = None,
    ) -> None:
        from crm.services.reminders.dispatch import default_runner

        self.app = app
        self.jobs = tuple(jobs)
        for job in self.jobs:
            job.resolve()  # a job that cannot be imported stops the start, not a run later
        self.poll = poll
        self.runner = runner or default_runner()
        with app.app_context():
            self.lock = leader_lock(db.engine, self.runner)
        self.stopping = threading.Event()
        self._lost = threading.Event()
        self._scheduler: BlockingScheduler | None = None
        self._guard = threading.Lock()

    def request_stop(self) -> None:
        """Stop soon: the running job is told to stop, no new run starts. Safe from a signal
        handler (the scheduler is shut down from a thread of its own)."""
        self.stopping.set()
        self._shut_down_scheduler()

    def _shut_down_scheduler(self) -> None:
        with self._guard:
            scheduler = self._scheduler
        if scheduler is not None:
            threading.Thread(target=_shutdown_quietly, args=(scheduler,), daemon=True).start()

    def run(self) -> None:
        """Until stopped: wait for the lock, then lead."""
        while not self.stopping.is_set():
            if not self._wait_for_lock():
                break
            try:
                self._lead()
            finally:
                self.lock.release()
            if self._lost.is_set() and not self.stopping.is_set():
                log.error("lost %s: no job runs until it is held again", self.lock.description)
        log.info("crm scheduler %s stopped", self.runner)

    def _wait_for_lock(self) -> bool:
        said: str | None = None
        while not self.stopping.is_set():
            if self.lock.try_acquire():
                log.info(
                    "crm scheduler %s holds %s; running %s",
                    self.runner,
                    self.lock.description,
                    ", ".join(
                        f"{j.id} {describe_trigger(trigger_of(j, self.app.config))}"
                        for j in self.jobs
                    ),
                )
                return True
            holder = self.lock.holder() or "another process"
            if holder != said:
                log.warning(
                    "another crm scheduler (%s) holds %s: waiting, trying again every %g s; "
                    "no job runs here until it is gone",
                    holder,
                    self.lock.description,
                    self.poll,
                )
                said = holder
            self.stopping.wait(self.poll)
        return False

    def _run(self, job: Job) -> None:
        if self.stopping.is_set():
            return
        if not self.lock.still_held():
            self._lost.set()
            self._shut_down_scheduler()
            return
        run_job(self.app, job, self.runner, self.stopping.is_set)

    def _lead(self) -> None:
        self._lost.clear()
        scheduler = BlockingScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=max(1, len(self.jobs)))},
            job_defaults=JOB_DEFAULTS,
        )
        running: set[threading.Thread] = set()  # the pool's threads that ran a job

        def run_and_track(job: Job) -> None:
            running.add(threading.current_thread())
            self._run(job)

        now = datetime.now(UTC)
        for job in self.jobs:
            scheduler.add_job(
                run_and_track,
                args=(job,),
                id=job.id,
                name=job.description,
                next_run_time=now,  # at once: a scheduler that just took over catches up
                **trigger_of(job, self.app.config),
            )
        with self._guard:
            self._scheduler = scheduler
        if self.stopping.is_set():  # a stop asked between the lock and here
            return
        try:
            scheduler.start()  # blocks until shut down
        finally:
            with self._guard:
                self._scheduler = None
            # The executor was shut down without waiting (a signal handler must not block);
            # the lock is released only once no job runs.
            for thread in running:
                if thread is not threading.current_thread():
                    thread.join()


def _shutdown_quietly(scheduler: BlockingScheduler) -> None:
    try:
        scheduler.shutdown(wait=False)
    except Exception:  # already stopped, or never started
        log.debug("scheduler already stopped", exc_info=True)


def run_scheduler(app: Flask, *, jobs: Iterable[Job] = JOBS, poll: float = POLL_SECONDS) -> None:
    """``crm scheduler``: run until SIGTERM or SIGINT (installed here when called from the
    main thread; a second signal ends the process at once)."""
    process = SchedulerProcess(app, jobs=jobs, poll=poll)
    restore = _install_signals(process)
    try:
        process.run()
    finally:
        restore()


def _install_signals(process: SchedulerProcess) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(number: int, _frame: FrameType | None) -> None:
        name = signal.Signals(number).name
        if process.stopping.is_set():
            log.warning("%s again: ending at once", name)
            os._exit(128 + number)
        log.info("%s: stopping after the message being sent", name)
        process.request_stop()

    previous = {n: signal.signal(n, on_signal) for n in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
