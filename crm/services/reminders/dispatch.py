"""Sending the outbox: each message exactly once, however many dispatchers run at once.

A pass (``send_due``) plans (today's digests, due reminders no write planned), then claims a
batch of due rows in a transaction of its own and commits the claim before it talks to the
SMTP server: the rows are ``sending``, leased to this pass until ``lease_expires_at``.
PostgreSQL picks them with ``FOR UPDATE SKIP LOCKED`` (another pass skips the rows this one
holds); SQLite has no row locks, so the claim is an UPDATE that repeats the conditions,
under the ``BEGIN IMMEDIATE`` every writing transaction of ours starts with
(``crm.database``), and the rows it did change are read back (a rowcount check). A row is
marked ``sent`` right after the server accepted it, and only while this pass still holds
it. A pass that dies leaves its rows ``sending``; when the lease has run out, any pass
claims them again and sends them with the Message-ID stored at the first claim (the one in
flight at the death may then arrive twice, and mail clients show it once).

A failed attempt puts the row back to pending, not before ``BACKOFF`` (1, 5, 15, 60, 240
minutes); after ``MAX_ATTEMPTS`` it is ``failed`` and waits for an admin (``retry``).
Passes commit their own claims and marks: the outbox is a unit of work per message. No web
request ever runs a pass; ``crm scheduler`` and ``crm reminders send-due`` do.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import smtplib
import socket
import threading
import time as monotonic_time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import AuditAction, FollowUp, Reminder, SchedulerRun, User
from crm.models.base import table_of
from crm.models.followups import ReminderStatus
from crm.permissions import can
from crm.services import audit, mail
from crm.services.errors import ValidationError
from crm.services.mail import MailSettings
from crm.services.reminders.compose import compose_reminder
from crm.services.reminders.digests import plan_digests
from crm.services.reminders.planning import plan_missing

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60, 240))
# How long a claim holds. Before each message the pass checks that enough of it is left
# for one more (every network step may take the SMTP timeout); otherwise it gives the rest
# back rather than send after another pass may have taken them over.
LEASE = timedelta(minutes=10)
_reminders = table_of(Reminder)
NO_SUCH_MESSAGE = "there is no such message"
_SENDING = ReminderStatus.SENDING


@dataclass
class SendReport:
    """What one pass did: messages sent; given up for good (``failed``, now waiting for an
    admin); failed attempts to be tried again (``retried``); rows planned; rows cancelled
    (no longer wanted, or a digest with nothing to list)."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    planned: int = 0
    cancelled: int = 0

    def describe(self) -> str:
        return (
            f"sent {self.sent}, failed {self.failed}, retried later {self.retried}, "
            f"planned {self.planned}, cancelled {self.cancelled}"
        )


def default_runner() -> str:
    """``host:pid``: who claimed a row, as the admins' page shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(
            _reminders.c.status == ReminderStatus.PENDING,
            _reminders.c.remind_at <= now,
            sa.or_(_reminders.c.next_attempt_at.is_(None), _reminders.c.next_attempt_at <= now),
        ),
        sa.and_(_reminders.c.status == _SENDING, _reminders.c.lease_expires_at < now),
    )


def claim(now: datetime, claimer: str, batch: int, domain: str) -> list[int]:
    """Claim up to ``batch`` due rows for ``claimer`` (a token unique to the pass) and commit:
    rows whose lease ran out first, then pending ones in the order they are due. Gives the
    Message-ID (``domain`` on its right) to rows claimed the first time."""
    session = db.session()
    expired = session.scalars(
        sa.select(_reminders.c.id)
        .where(_reminders.c.status == _SENDING, _reminders.c.lease_expires_at < now)
        .order_by(_reminders.c.lease_expires_at, _reminders.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    due: list[int] = []
    if len(expired) < batch:
        due = list(
            session.scalars(
                sa.select(_reminders.c.id)
                .where(
                    _reminders.c.status == ReminderStatus.PENDING,
                    _reminders.c.remind_at <= now,
                    sa.or_(
                        _reminders.c.next_attempt_at.is_(None),
                        _reminders.c.next_attempt_at <= now,
                    ),
                )
                .order_by(_reminders.c.remind_at, _reminders.c.id)
                .limit(batch - len(expired))
                .with_for_update(skip_locked=True)
            )
        )
    ids = [*expired, *due]
    if not ids:
        session.commit()
        return []
    result: Any = session.execute(
        sa.update(_reminders)
        .where(_reminders.c.id.in_(ids), _claimable(now))
        .values(
            status=_SENDING,
            claimed_at=now,
            claimed_by=claimer,
            lease_expires_at=now + LEASE,
            attempts=_reminders.c.attempts + 1,
        )
    )
    if result.rowcount != len(ids):
        # Another pass changed some of them between the read and the update: keep only the
        # rows this update took.
        ids = list(
            session.scalars(
                sa.select(_reminders.c.id).where(
                    _reminders.c.id.in_(ids),
                    _reminders.c.claimed_by == claimer,
                    _reminders.c.status == _SENDING,
                )
            )
        )
    unnamed = session.execute(
        sa.select(_reminders.c.id, _reminders.c.key).where(
            _reminders.c.id.in_(ids), _reminders.c.message_id.is_(None)
        )
    ).all()
    if unnamed:  # one statement for the batch (executemany), not one round trip per row
        session.execute(
            sa.update(_reminders)
            .where(_reminders.c.id == sa.bindparam("reminder_id"))
            .values(message_id=sa.bindparam("named")),
            [
                {"reminder_id": reminder_id, "named": mail.message_id(reminder_id, key, domain)}
                for reminder_id, key in unnamed
            ],
        )
    session.commit()
    return ids


@dataclass
class _Outgoing:
    reminder_id: int
    attempts: int
    message: mail.Outgoing | None  # None: no longer wanted
    error: str | None = None  # it could not be composed


def _compose_batch(
    ids: list[int], claimer: str, settings: MailSettings, now: datetime
) -> list[_Outgoing]:
    """The messages of the claimed rows, composed in one read; the transaction ends before
    any of them is sent (on SQLite it holds the database's write lock)."""
    session = db.session()
    follow_up = selectinload(Reminder.follow_up)
    rows = session.scalars(
        sa.select(Reminder)
        .where(Reminder.id.in_(ids), Reminder.claimed_by == claimer, Reminder.status == _SENDING)
        .options(
            selectinload(Reminder.recipient),
            follow_up.selectinload(FollowUp.person),
            follow_up.selectinload(FollowUp.organisation),
            follow_up.selectinload(FollowUp.outreach),
            follow_up.selectinload(FollowUp.event),
        )
        .order_by(Reminder.remind_at, Reminder.id)
        .execution_options(populate_existing=True)
    ).all()
    outgoing = []
    for reminder in rows:
        try:
            message = compose_reminder(reminder, settings, now)
        except Exception as error:  # a bug must not stop every other message
            log.exception("cannot compose reminder %s", reminder.id)
            outgoing.append(
                _Outgoing(reminder.id, reminder.attempts, None, f"cannot compose: {error!r}")
            )
        else:
            outgoing.append(_Outgoing(reminder.id, reminder.attempts, message))
    session.commit()
    return outgoing


class _Marks:
    """Marks rows sent (or failed, or given back), one committed transaction per row, on a
    connection of the pass's own, held for the whole pass, in a thread of its own.

    Each "sent" mark is queued right after the server accepted the message and committed
    while the next message crosses the wire (the sender waits on the network most of the
    time), at most ``AHEAD`` marks behind: a pass that dies leaves at most the message in
    flight and the one before it accepted but not marked (both resent, with their
    Message-IDs, once the lease runs out). Through the session every mark also took a pool
    checkout with its pre-ping round trip and the ORM's bookkeeping. Other changes (a
    failed attempt, a row given back) wait for their result. A session bound to a
    connection of the caller's (a test's outer transaction) is used as it is, in the
    caller's thread."""

    AHEAD = 1
    _sent = (
        sa.update(_reminders)
        .where(
            _reminders.c.id == sa.bindparam("reminder_id"),
            _reminders.c.claimed_by == sa.bindparam("claimer"),
            _reminders.c.status == _SENDING,
        )
        .values(
            status=ReminderStatus.SENT,
            sent_at=sa.bindparam("sent_at"),
            next_attempt_at=None,
            lease_expires_at=None,
        )
    )

    def __init__(self) -> None:
        session = db.session()
        self._inline = isinstance(session.get_bind(), sa.Connection)
        self._engine: sa.Engine | None = None
        self._jobs: queue.Queue[_MarkJob | None] = queue.Queue(maxsize=self.AHEAD)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @staticmethod
    def _update(reminder_id: int, claimer: str, values: dict[str, Any]) -> sa.Executable:
        return (
            sa.update(_reminders)
            .where(
                _reminders.c.id == reminder_id,
                _reminders.c.claimed_by == claimer,
                _reminders.c.status == _SENDING,
            )
            .values(lease_expires_at=None, **values)
        )

    def _run_inline(self, statement: sa.Executable, values: dict[str, Any]) -> bool:
        session = db.session()
        result: Any = session.connection().execute(statement, values)
        session.commit()
        return bool(result.rowcount)

    def _submit(self, job: _MarkJob) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            self._engine = db.engine  # read here: the thread has no app context
            self._thread = threading.Thread(target=self._work, name="outbox-marks", daemon=True)
            self._thread.start()
        self._jobs.put(job)

    def _work(self) -> None:
        connection: sa.Connection | None = None
        while True:
            job = self._jobs.get()
            if job is None:
                break
            try:
                if self._error is None:
                    if connection is None:
                        assert self._engine is not None
                        connection = self._engine.connect()
                    try:
                        result: Any = connection.execute(job.statement, job.values)
                        connection.commit()
                    except BaseException:
                        connection.rollback()
                        raise
                    job.held = bool(result.rowcount)
                    if not job.held and job.warn:
                        log.warning("reminder %s was sent after its lease ran out", job.warn)
            except BaseException as error:  # handed to the pass at its next mark
                self._error = error
            finally:
                job.done.set()
        if connection is not None:
            connection.close()

    def sent(self, reminder_id: int, claimer: str, sent_at: datetime) -> None:
        """Mark it sent, if this pass still holds it (queued; see the class)."""
        values = {"reminder_id": reminder_id, "claimer": claimer, "sent_at": sent_at}
        if self._inline:
            if not self._run_inline(self._sent, values):
                log.warning("reminder %s was sent after its lease ran out", reminder_id)
            return
        self._submit(_MarkJob(self._sent, values, warn=reminder_id))

    def finish(self, reminder_id: int, claimer: str, **values: Any) -> bool:
        """Change a row this pass still holds, committed before it returns; False if it holds
        it no more (its lease ran out and another pass took it)."""
        statement = self._update(reminder_id, claimer, values)
        if self._inline:
            return self._run_inline(statement, {})
        job = _MarkJob(statement, {})
        self._submit(job)
        job.done.wait()
        if self._error is not None:
            raise self._error
        return job.held

    def close(self) -> None:
        """Wait for the queued marks; raises what went wrong with one."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error


@dataclass
class _MarkJob:
    statement: sa.Executable
    values: dict[str, Any]
    warn: int | None = None  # a sent message's row: say so if it was taken over
    held: bool = False
    done: threading.Event = field(default_factory=threading.Event)


def _failed_attempt(
    marks: _Marks, item: _Outgoing, claimer: str, error: str, now: datetime, report: SendReport
) -> None:
    if item.attempts >= MAX_ATTEMPTS:
        if marks.finish(
            item.reminder_id,
            claimer,
            status=ReminderStatus.FAILED,
            next_attempt_at=None,
            last_error=error[:2000],
        ):
            report.failed += 1
            log.warning("reminder %s failed for good: %s", item.reminder_id, error)
    elif marks.finish(
        item.reminder_id,
        claimer,
        status=ReminderStatus.PENDING,
        next_attempt_at=now + backoff(item.attempts),
        last_error=error[:2000],
    ):
        report.retried += 1


def _give_back(marks: _Marks, items: list[_Outgoing], claimer: str) -> None:
    """Rows claimed but not attempted: pending again, the attempt not counted."""
    for item in items:
        marks.finish(
            item.reminder_id,
            claimer,
            status=ReminderStatus.PENDING,
            attempts=max(item.attempts - 1, 0),
        )


def send_due(
    now: datetime | None = None,
    *,
    runner: str | None = None,
    batch: int = 100,
    deadline: float | None = None,
    settings: MailSettings | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SendReport:
    """One pass over the outbox: plan, then claim and send batches until nothing is due.

    ``now`` fixes the clock's start (tests; it runs on from there); ``runner`` names the
    claimer (default ``host:pid``); ``deadline`` is a ``time.monotonic()`` value after which
    no message is started (the rest of a batch is given back); ``should_stop``, asked before
    each message, ends the pass the same way once it says True (``crm scheduler`` on
    SIGTERM: the message being sent is finished, the rest given back); ``settings`` default
    to the app's (``mail.configured()``). Commits."""
    settings = settings or mail.configured()
    started_wall = (now or datetime.now(UTC)).astimezone(UTC)
    started = monotonic_time.monotonic()

    def clock() -> datetime:
        return started_wall + timedelta(seconds=monotonic_time.monotonic() - started)

    claimer = f"{runner or default_runner()}/{secrets.token_hex(4)}"
    report = SendReport()
    session = db.session()
    planned, empty = plan_digests(started_wall)
    report.planned += planned + plan_missing(started_wall)
    report.cancelled += empty
    session.commit()
    margin = timedelta(seconds=3 * settings.timeout + 5)
    smtp: smtplib.SMTP | None = None
    marks = _Marks()
    try:
        while deadline is None or monotonic_time.monotonic() < deadline:
            if should_stop is not None and should_stop():
                break
            claimed_at = clock()
            ids = claim(claimed_at, claimer, batch, settings.domain)
            if not ids:
                break
            outgoing = _compose_batch(ids, claimer, settings, clock())
            smtp, stop = _send_batch(
                outgoing,
                claimer,
                settings,
                claimed_at + LEASE - margin,
                deadline,
                clock,
                smtp,
                report,
                should_stop,
                marks,
            )
            if stop:
                break
    finally:
        mail.close_quietly(smtp)
        try:
            marks.close()  # the queued marks committed before the pass returns
        finally:
            session.rollback()  # nothing is left open: every claim and mark was committed
    return report


def _send_batch(
    outgoing: list[_Outgoing],
    claimer: str,
    settings: MailSettings,
    send_before: datetime,
    deadline: float | None,
    clock: Any,
    smtp: smtplib.SMTP | None,
    report: SendReport,
    should_stop: Callable[[], bool] | None,
    marks: _Marks,
) -> tuple[smtplib.SMTP | None, bool]:
    """Send a claimed batch over one connection; returns the connection (None when broken)
    and whether the pass should stop (the server cannot be reached, or time is up)."""
    for index, item in enumerate(outgoing):
        if (
            clock() >= send_before
            or (deadline is not None and monotonic_time.monotonic() >= deadline)
            or (should_stop is not None and should_stop())
        ):
            _give_back(marks, outgoing[index:], claimer)
            return smtp, True
        if item.error is not None:
            _failed_attempt(marks, item, claimer, item.error, clock(), report)
            continue
        if item.message is None:
            if marks.finish(
                item.reminder_id, claimer, status=ReminderStatus.CANCELLED, next_attempt_at=None
            ):
                report.cancelled += 1
            continue
        if smtp is None:
            step = mail.Step()
            try:
                smtp = mail.connect(settings, step)
            except (smtplib.SMTPException, OSError) as error:
                # The server cannot be reached: every message of the batch waits its back-off.
                words = mail.describe_failure(error, settings, step.name)
                log.warning("cannot reach the mail server: %s", words)
                for rest in outgoing[index:]:
                    if rest.message is None and rest.error is None:
                        if marks.finish(
                            rest.reminder_id,
                            claimer,
                            status=ReminderStatus.CANCELLED,
                            next_attempt_at=None,
                        ):
                            report.cancelled += 1
                    else:
                        _failed_attempt(marks, rest, claimer, rest.error or words, clock(), report)
                return None, True
        try:
            item.message.send(smtp)
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError,
        ) as error:
            # The server is there but refused this message: try the next one.
            words = mail.describe_failure(error, settings)
            _failed_attempt(marks, item, claimer, words, clock(), report)
            try:
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                mail.close_quietly(smtp)
                smtp = None
            continue
        except (smtplib.SMTPException, OSError) as error:
            words = mail.describe_failure(error, settings)
            _failed_attempt(marks, item, claimer, words, clock(), report)
            mail.close_quietly(smtp)
            smtp = None
            continue
        marks.sent(item.reminder_id, claimer, clock())
        report.sent += 1  # the server has it (even if the row was taken over after our lease)
    return smtp, False


def retry(reminder_id: int, actor: User) -> Reminder:
    """An admin sends a failed message again: pending at once, its attempts counted anew."""
    if not can(actor, "mail.manage"):
        raise PermissionError("this account may not retry messages")
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None:
        raise ValidationError(NO_SUCH_MESSAGE, field="reminder")
    if reminder.status != ReminderStatus.FAILED:
        raise ValidationError(
            f"this message is {reminder.status.value}, not failed: only failed messages can "
            "be retried",
            field="reminder",
        )
    audit.record(
        AuditAction.UPDATE,
        "reminder",
        reminder.id,
        actor,
        {"status": ["failed", "pending"], "attempts": [reminder.attempts, 0]},
        summary=f"retry of a failed {reminder.kind.value} message",
    )
    reminder.status = ReminderStatus.PENDING
    reminder.attempts = 0
    reminder.next_attempt_at = None
    reminder.lease_expires_at = None
    db.session.flush()
    return reminder


def record_run(
    job: str,
    runner: str,
    started_at: datetime,
    report: SendReport | None,
    error: str | None = None,
    finished_at: datetime | None = None,
) -> SchedulerRun:
    """A run of a job for the admins' page: ``failed`` counts every failed attempt of the
    run (given up or to be retried), so failures show while the SMTP server is down."""
    run = SchedulerRun(
        job=job,
        runner=runner,
        started_at=started_at,
        finished_at=finished_at or datetime.now(UTC),
        sent=report.sent if report else 0,
        failed=(report.failed + report.retried) if report else 0,
        error=error,
    )
    db.session.add(run)
    db.session.flush()
    return run
