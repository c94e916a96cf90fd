"""Writing down what became of each message of a pass, committed at once, beside the wire.

A pass marks a message ``sent`` right after the SMTP server accepted it, and the mark is
committed before the next message's final dot, the moment the server would take that one
(``settle``, which the dispatcher hands to ``mail.send`` as ``before_end``). So at most one
message is ever accepted and not yet marked, and a pass that dies leaves at most that one
to be sent again (with its Message-ID) once its lease has run out.

The marks go over a connection of their own, not through the session, and a sent mark is
one statement in the driver's own terms (``_SENT``): SQLAlchemy's execution of a statement
costs more than the wire of a message. On SQLite it is written and committed at once (BEGIN
IMMEDIATE, the statement, COMMIT: about 0.05 ms, no fsync in WAL mode). On PostgreSQL it is
its own transaction and does not wait for the disk (``synchronous_commit`` off: were a
commit lost with the database server, the lease runs out and the message goes again with
the same Message-ID, as after a dispatcher's death); it is sent at once through libpq and
its answer read only in ``settle``, so the database's round trip overlaps the next message's
MAIL, RCPT and DATA instead of adding to them. A thread would overlap it too, but measured
slower: the sending thread then waits for the interpreter's lock at every reply.

Tests that run in one outer transaction hand over a session bound to it: marks are then
written through that session.
"""

from __future__ import annotations

import logging
import select
import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from psycopg import pq

from crm.extensions import db
from crm.models import Reminder
from crm.models.base import table_of

log = logging.getLogger(__name__)

# A sent message's mark: the row, while the pass that claimed it still holds it.
_SENT = (
    "UPDATE reminders SET status = 'sent', sent_at = {sent_at}, next_attempt_at = NULL, "
    "lease_expires_at = NULL WHERE id = {id} AND claimed_by = {claimer} AND status = 'sending'"
)
_SQLITE_SENT = _SENT.format(sent_at="?", id="?", claimer="?")
# Prepared once per pass (PostgreSQL plans an UPDATE in longer than it runs it).
_PREPARE_SENT = "PREPARE crm_mark_sent (timestamptz, integer, text) AS " + _SENT.format(
    sent_at="$1", id="$2", claimer="$3"
)
_SESSION_SENT = sa.text(_SENT.format(sent_at=":sent_at", id=":id", claimer=":claimer")).bindparams(
    sa.bindparam("sent_at", type_=table_of(Reminder).c.sent_at.type)
)
ANSWER_TIMEOUT = 60.0  # seconds for PostgreSQL's answer to a mark


class MarkFailed(Exception):
    """The outcome of a message could not be written (the database failed): the pass stops.
    The message it was about stays ``sending`` and goes again once its lease has run out."""

    def __init__(self, reminder_id: int, reason: str = "") -> None:
        super().__init__(f"could not mark reminder {reminder_id} as sent{reason}")
        self.reminder_id = reminder_id


class Marks:
    """The writer of one pass's marks. ``write`` commits any change now and says whether it
    changed a row; ``mark_sent`` writes a sent message's mark (on PostgreSQL: sends it);
    ``settle`` waits for that mark's answer and raises ``MarkFailed`` if it failed. Every
    write settles the mark before it first, so changes are committed in the order asked."""

    def __init__(self) -> None:
        bind = db.session().get_bind()
        self.engine: sa.Engine | None = bind if isinstance(bind, sa.Engine) else None
        self.connection: sa.Connection | None = None
        self.postgresql = self.engine is not None and self.engine.dialect.name == "postgresql"
        self.pending: int | None = None  # the reminder whose mark PostgreSQL is answering

    def _connected(self) -> sa.Connection:
        if self.connection is None:
            assert self.engine is not None
            connection = self.engine.connect()
            if self.postgresql:
                try:
                    connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                    connection.exec_driver_sql("SET synchronous_commit TO OFF")
                    connection.exec_driver_sql(_PREPARE_SENT)
                except BaseException:
                    connection.invalidate()
                    connection.close()
                    raise
            self.connection = connection
        return self.connection

    def write(self, reminder_id: int, statement: sa.Executable) -> bool:
        """Commit one change of the row ``reminder_id`` now; True if it changed the row.
        ``MarkFailed`` if the database failed (the connection is then dropped)."""
        self.settle()
        if self.engine is None:
            session = db.session()
            result: Any = session.execute(statement)
            session.commit()
            return bool(result.rowcount)
        try:
            connection = self._connected()
            if self.postgresql:
                result = connection.execute(statement)
            else:
                with connection.begin():  # SQLite: BEGIN IMMEDIATE (crm.database), then COMMIT
                    result = connection.execute(statement)
        except sa.exc.SQLAlchemyError as error:
            self._broken()
            raise MarkFailed(reminder_id, f": {error}") from error
        return bool(result.rowcount)

    def mark_sent(self, reminder_id: int, claimer: str, sent_at: datetime) -> None:
        """Mark a message the server accepted: committed now on SQLite; on PostgreSQL sent
        now and its answer read by ``settle``."""
        self.settle()
        if self.engine is None:
            session = db.session()
            params = {"sent_at": sent_at, "id": reminder_id, "claimer": claimer}
            result: Any = session.execute(_SESSION_SENT, params)
            session.commit()
            changed = bool(result.rowcount)
        elif self.postgresql:
            values = [sent_at.isoformat().encode(), str(reminder_id).encode(), claimer.encode()]
            try:
                pgconn = self._pgconn()
                pgconn.send_query_prepared(b"crm_mark_sent", values)
                deadline = time.monotonic() + ANSWER_TIMEOUT
                while pgconn.flush():  # psycopg's connections are non-blocking
                    _wait(pgconn.socket, select.POLLOUT, deadline)
            except Exception as error:
                self._broken()
                raise MarkFailed(reminder_id, f": {error}") from error
            self.pending = reminder_id
            return
        else:
            changed = self._sqlite_sent(reminder_id, claimer, sent_at)
        if not changed:
            _lost(reminder_id)

    def _pgconn(self) -> Any:
        """The libpq connection under the marks' connection (psycopg's ``PGconn``)."""
        dbapi_connection: Any = self._connected().connection.dbapi_connection
        return dbapi_connection.pgconn

    def _sqlite_sent(self, reminder_id: int, claimer: str, sent_at: datetime) -> bool:
        try:
            connection = self._connected()
            assert self.engine is not None
            stored = table_of(Reminder).c.sent_at.type.bind_processor(self.engine.dialect)
            value = stored(sent_at) if stored else sent_at
            cursor = connection.connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    cursor.execute(_SQLITE_SENT, (value, reminder_id, claimer))
                    changed = bool(cursor.rowcount)
                    cursor.execute("COMMIT")
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
            finally:
                cursor.close()
        except Exception as error:
            self._broken()
            raise MarkFailed(reminder_id, f": {error}") from error
        return changed

    def settle(self) -> None:
        """Wait for PostgreSQL's answer to the last mark; ``MarkFailed`` if it failed."""
        reminder_id, self.pending = self.pending, None
        if reminder_id is None:
            return
        try:
            pgconn = self._pgconn()
            deadline = time.monotonic() + ANSWER_TIMEOUT
            pgconn.consume_input()
            while pgconn.is_busy():
                _wait(pgconn.socket, select.POLLIN, deadline)
                pgconn.consume_input()
            result = pgconn.get_result()
            while pgconn.get_result() is not None:  # the end of the command's results
                pass
        except Exception as error:
            self._broken()
            raise MarkFailed(reminder_id, f": {error}") from error
        if result is None or result.status != pq.ExecStatus.COMMAND_OK:
            # Refused, or the server ending the session (FATAL): not worth telling apart,
            # the next write starts on a new connection either way.
            message = result.error_message.decode(errors="replace") if result else "no answer"
            self._broken()
            raise MarkFailed(reminder_id, f": {message.strip()}")
        if not int(result.command_tuples or 0):
            _lost(reminder_id)

    def _broken(self) -> None:
        """A connection whose state is unknown never goes back to the pool."""
        connection, self.connection = self.connection, None
        self.pending = None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except sa.exc.SQLAlchemyError:
                pass  # already as broken as it gets

    def close(self) -> None:
        """Wait for the last mark, then give the connection back. Raises ``MarkFailed`` if
        that last mark failed (after closing)."""
        try:
            self.settle()
        finally:
            connection, self.connection = self.connection, None
            if connection is not None:
                try:
                    if self.postgresql:
                        connection.exec_driver_sql("DEALLOCATE crm_mark_sent")
                        connection.exec_driver_sql("RESET synchronous_commit")
                    else:
                        connection.rollback()
                except sa.exc.SQLAlchemyError:
                    connection.invalidate()  # broken: not back into the pool as it is
                finally:
                    connection.close()


def _wait(fd: int, event: int, deadline: float) -> None:
    """Wait until the socket ``fd`` is ready for ``event`` (``select.POLLIN`` or
    ``POLLOUT``); TimeoutError after ``deadline`` (a ``time.monotonic()`` value)."""
    poller = select.poll()
    poller.register(fd, event)
    left = deadline - time.monotonic()
    if left <= 0 or not poller.poll(left * 1000):
        raise TimeoutError(f"the database did not answer within {ANSWER_TIMEOUT:g} s")


def _lost(reminder_id: int) -> None:
    log.warning(
        "reminder %s was sent, but this pass no longer held it (its lease had run out)",
        reminder_id,
    )
