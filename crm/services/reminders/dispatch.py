"""Sending the outbox: each message exactly once, however many dispatchers run at once.

A pass (``send_due``) plans (today's digests, due reminders no write planned, the week's
coverage digests of coordinators), then claims a batch of due rows in a transaction of its
own and commits the claim before it talks to the SMTP server: the rows are ``sending``,
leased to this pass until ``lease_expires_at``.
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
import secrets
import smtplib
import socket
import time as monotonic_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditAction, Reminder, SchedulerRun, User
from crm.models.base import table_of
from crm.models.followups import ReminderStatus
from crm.permissions import can
from crm.services import audit, mail
from crm.services.errors import ValidationError
from crm.services.mail import MailSettings
from crm.services.reminders.compose import draft_reminder, load_outgoing
from crm.services.reminders.digests import plan_digests
from crm.services.reminders.marks import MarkFailed, Marks
from crm.services.reminders.planning import plan_missing
from crm.services.reminders.weekly import plan_coverage_digests

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
    Message-ID (``domain`` on its right) to rows claimed the first time, in the same UPDATE
    (CASE id WHEN ... THEN ...): a statement per row took longer on PostgreSQL than the rest
    of the claim."""
    session = db.session()
    candidates = sa.select(_reminders.c.id, _reminders.c.key, _reminders.c.message_id)
    expired = session.execute(
        candidates.where(_reminders.c.status == _SENDING, _reminders.c.lease_expires_at < now)
        .order_by(_reminders.c.lease_expires_at, _reminders.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    due: list[Any] = []
    if len(expired) < batch:
        due = list(
            session.execute(
                candidates.where(
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
    rows = [*expired, *due]
    if not rows:
        session.commit()
        return []
    ids = [row.id for row in rows]
    values: dict[str, Any] = {
        "status": _SENDING,
        "claimed_at": now,
        "claimed_by": claimer,
        "lease_expires_at": now + LEASE,
        "attempts": _reminders.c.attempts + 1,
    }
    names = {row.id: mail.message_id(row.id, row.key, domain) for row in rows if not row.message_id}
    if names:
        values["message_id"] = sa.case(names, value=_reminders.c.id, else_=_reminders.c.message_id)
    result: Any = session.execute(
        sa.update(_reminders).where(_reminders.c.id.in_(ids), _claimable(now)).values(**values)
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
    session.commit()
    return ids


@dataclass
class _Outgoing:
    reminder_id: int
    attempts: int
    draft: mail.Draft | None  # None: no longer wanted
    error: str | None = None  # it could not be drafted or written out
    message: mail.Message | None = None  # written out from the draft, just before it is sent


def _draft_batch(ids: list[int], claimer: str, now: datetime) -> list[_Outgoing]:
    """The drafts of the claimed rows' messages, in one read; the transaction ends before
    any of them is sent (on SQLite it holds the database's write lock)."""
    session = db.session()
    outgoing = []
    held = sa.and_(
        _reminders.c.id.in_(ids),
        _reminders.c.claimed_by == claimer,
        _reminders.c.status == _SENDING,
    )
    for row in load_outgoing(held):
        try:
            draft = draft_reminder(row, now)
        except Exception as error:  # a bug must not stop every other message
            log.exception("cannot draft reminder %s", row.id)
            outgoing.append(_Outgoing(row.id, row.attempts, None, f"cannot compose: {error!r}"))
        else:
            outgoing.append(_Outgoing(row.id, row.attempts, draft))
    session.commit()
    return outgoing


def _held(reminder_id: Any, claimer: Any) -> sa.ColumnElement[bool]:
    """The row, while the pass that claimed it still holds it."""
    return sa.and_(
        _reminders.c.id == reminder_id,
        _reminders.c.claimed_by == claimer,
        _reminders.c.status == _SENDING,
    )


class _Pass:
    """One pass's state: who claims, where mail goes, its clock, what it did, and the writer
    of the outcome of each message (``Marks``)."""

    def __init__(
        self,
        claimer: str,
        settings: MailSettings,
        clock: Any,
        deadline: float | None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.claimer = claimer
        self.settings = settings
        self.clock = clock
        self.deadline = deadline
        self.should_stop = should_stop
        self.report = SendReport()
        self.smtp: smtplib.SMTP | None = None
        self.marks = Marks()

    def close(self) -> None:
        """Say goodbye to the server; wait for the last mark (``MarkFailed`` if it failed)."""
        mail.close_quietly(self.smtp)
        self.smtp = None
        self.marks.close()

    def finish(self, reminder_id: int, **values: Any) -> bool:
        """Change a row this pass still holds, committed at once; False if it holds it no
        more (its lease ran out and another pass took it)."""
        update = (
            sa.update(_reminders)
            .where(_held(reminder_id, self.claimer))
            .values(lease_expires_at=None, **values)
        )
        return self.marks.write(reminder_id, update)

    def cancel(self, item: _Outgoing) -> None:
        if self.finish(item.reminder_id, status=ReminderStatus.CANCELLED, next_attempt_at=None):
            self.report.cancelled += 1

    def failed_attempt(self, item: _Outgoing, error: str) -> None:
        if item.attempts >= MAX_ATTEMPTS:
            if self.finish(
                item.reminder_id,
                status=ReminderStatus.FAILED,
                next_attempt_at=None,
                last_error=error[:2000],
            ):
                self.report.failed += 1
                log.warning("reminder %s failed for good: %s", item.reminder_id, error)
        elif self.finish(
            item.reminder_id,
            status=ReminderStatus.PENDING,
            next_attempt_at=self.clock() + backoff(item.attempts),
            last_error=error[:2000],
        ):
            self.report.retried += 1

    def give_back(self, items: list[_Outgoing]) -> None:
        """Rows claimed but not attempted: pending again, the attempt not counted."""
        for item in items:
            self.finish(
                item.reminder_id, status=ReminderStatus.PENDING, attempts=max(item.attempts - 1, 0)
            )

    def out_of_time(self, send_before: datetime) -> bool:
        late = self.deadline is not None and monotonic_time.monotonic() >= self.deadline
        stopping = self.should_stop is not None and self.should_stop()
        return late or stopping or self.clock() >= send_before

    def send_batch(self, outgoing: list[_Outgoing], send_before: datetime) -> bool:
        """Send a claimed batch over the pass's connection; False when the pass should stop
        (the server cannot be reached, or time is up). Raises ``MarkFailed`` when the outcome
        of a message could not be written: what was not attempted is given back first."""
        for index, item in enumerate(outgoing):
            try:
                if not self.send_one(item, outgoing[index:], send_before):
                    return False
            except MarkFailed as failure:
                # The database failed under a message's mark: that message was accepted and
                # stays ``sending``, to go again when its lease has run out. A message after
                # it was not completed (the connection is dropped before its final dot, so
                # the server discards it). The rest goes back, if the database lets us, and
                # the pass stops. Rows no longer held are not touched (``finish``).
                if self.smtp is not None:
                    self.smtp.close()
                    self.smtp = None
                rest = [i for i in outgoing[index:] if i.reminder_id != failure.reminder_id]
                try:
                    self.give_back(rest)
                except Exception:
                    log.exception("cannot give the rest back: their leases will run out")
                raise
        return True

    def send_one(self, item: _Outgoing, rest: list[_Outgoing], send_before: datetime) -> bool:
        """Send ``item``, the first of ``rest``; False when the pass should stop (``rest`` is
        then given back or counted as failed attempts)."""
        if self.out_of_time(send_before):
            self.give_back(rest)
            return False
        if item.error is not None:
            self.failed_attempt(item, item.error)
            return True
        if item.draft is None:
            self.cancel(item)
            return True
        if self.smtp is None:
            step = mail.Step()
            try:
                self.smtp = mail.connect(self.settings, step)
            except (smtplib.SMTPException, OSError) as error:
                # The server cannot be reached: each message of the batch waits its
                # back-off, and the pass ends.
                words = mail.describe_failure(error, self.settings, step.name)
                log.warning("cannot reach the mail server: %s", words)
                for later in rest:
                    if later.draft is None and later.error is None:
                        self.cancel(later)
                    else:
                        self.failed_attempt(later, later.error or words)
                return False
        message = self.write_out(item)
        if message is None:
            self.failed_attempt(item, item.error or "cannot compose")
            return True
        self.send(item, message, rest[1:])
        return True

    def write_out(self, item: _Outgoing) -> mail.Message | None:
        """The message of ``item``'s draft, written once; None (and ``item.error``) if that
        failed. Never raises: it also runs while the server answers for another message."""
        if item.message is None and item.error is None and item.draft is not None:
            try:
                item.message = mail.compose(self.settings, item.draft)
            except Exception as error:  # a bug must not stop every other message
                log.exception("cannot compose reminder %s", item.reminder_id)
                item.error = f"cannot compose: {error!r}"
        return item.message

    def write_ahead(self, later: list[_Outgoing]) -> None:
        """Write out the next message to send, while the server answers for this one."""
        for item in later:
            if item.draft is not None and item.error is None:
                self.write_out(item)
                return

    def send(self, item: _Outgoing, message: mail.Message, later: list[_Outgoing]) -> None:
        assert self.smtp is not None
        try:
            mail.send(
                self.smtp,
                message,
                meanwhile=lambda: self.write_ahead(later),
                before_end=self.marks.settle,
            )
        except (
            smtplib.SMTPRecipientsRefused,
            smtplib.SMTPSenderRefused,
            smtplib.SMTPDataError,
        ) as error:
            # The server is there but refused this message: on to the next one.
            self.failed_attempt(item, mail.describe_failure(error, self.settings))
            try:
                self.smtp.rset()
            except (smtplib.SMTPException, OSError):
                mail.close_quietly(self.smtp)
                self.smtp = None
            return
        except (smtplib.SMTPException, OSError) as error:
            self.failed_attempt(item, mail.describe_failure(error, self.settings))
            mail.close_quietly(self.smtp)
            self.smtp = None
            return
        self.report.sent += 1  # the server has it, whatever happens to the row now
        self.marks.mark_sent(item.reminder_id, self.claimer, self.clock())


def _plan_weekly(now: datetime) -> tuple[int, int]:
    """The weekly coverage digests, in a savepoint of their own: a failure there (the
    coverage figures cannot be read) must not stop the follow-ups' reminders."""
    session = db.session()
    try:
        with session.begin_nested():
            return plan_coverage_digests(now)
    except Exception:
        log.exception("cannot plan the weekly coverage digests; tried again at the next pass")
        return 0, 0


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

    session = db.session()
    planned, empty = plan_digests(started_wall)
    planned += plan_missing(started_wall)
    weekly_planned, weekly_empty = _plan_weekly(started_wall)
    planned, empty = planned + weekly_planned, empty + weekly_empty
    session.commit()
    claimer = f"{runner or default_runner()}/{secrets.token_hex(4)}"
    work = _Pass(claimer, settings, clock, deadline, should_stop)
    work.report.planned, work.report.cancelled = planned, empty
    # Before each message, enough of the lease must be left for one more, every network step
    # of it taking the SMTP timeout: a reconnection (connect, EHLO, STARTTLS, EHLO, AUTH)
    # and the message (MAIL, RCPT, DATA, its end).
    margin = timedelta(seconds=9 * settings.timeout + 5)
    try:
        while deadline is None or monotonic_time.monotonic() < deadline:
            if should_stop is not None and should_stop():
                break
            claimed_at = clock()
            ids = claim(claimed_at, work.claimer, batch, settings.domain)
            if not ids:
                break
            outgoing = _draft_batch(ids, work.claimer, clock())
            if not work.send_batch(outgoing, claimed_at + LEASE - margin):
                break
    finally:
        try:
            work.close()
        finally:
            session.rollback()  # nothing is left open: every claim and mark was committed
    return work.report


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
