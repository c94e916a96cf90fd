"""Engine set-up that both databases need to behave as the models assume."""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from psycopg.pq import TransactionStatus

# SQLite: a transaction that reads and then writes fails at once ("database is locked") when
# another writer committed in between; the busy timeout does not help then. Transactions of
# requests that may write (anything but GET/HEAD/OPTIONS) and of commands therefore start with
# BEGIN IMMEDIATE, which queues writers on the busy timeout instead.
_may_write: ContextVar[bool] = ContextVar("crm_may_write", default=True)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engine_events(engine: sa.Engine) -> None:
    """SQLite: foreign keys on, WAL, a busy timeout, and transactions SQLAlchemy controls.

    pysqlite opens transactions lazily, which breaks SAVEPOINTs; SQLAlchemy's documented
    recipe turns that off and emits BEGIN itself.
    """
    if engine.dialect.name == "postgresql":
        _read_requests_in_autocommit(engine)
        return
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write.get() else "BEGIN")


def _read_requests_in_autocommit(engine: sa.Engine) -> None:
    """PostgreSQL: requests that cannot write run their statements without a transaction.

    psycopg prepares a statement on the server once a connection has run it five times, but
    forgets every prepared statement on ROLLBACK, and every request ended with one: no page
    statement was ever prepared, so the server parsed and planned each anew (a third of its
    CPU for the people list). Without a transaction a read also saves the BEGIN and ROLLBACK
    round trips. Writing requests and commands keep one transaction each; a GET that writes
    anyway (none should) has each statement committed on its own.
    """

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        dbapi_connection: Any = connection.connection.dbapi_connection  # psycopg's Connection
        if dbapi_connection is None:  # invalidated: SQLAlchemy reconnects and begins again
            return
        idle = dbapi_connection.info.transaction_status == TransactionStatus.IDLE
        if idle and not _may_write.get():
            dbapi_connection.autocommit = True

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        # Back in the pool, the connection is transactional again for whoever takes it.
        if dbapi_connection is not None and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False


def init_request_transactions(app: Flask) -> None:
    """Mark read-only requests so that SQLite starts their transactions as readers."""

    @app.before_request
    def _mark_read_only() -> None:
        if request.method in SAFE_METHODS:
            _may_write.set(False)

    @app.teardown_request
    def _reset(_error: BaseException | None) -> None:
        _may_write.set(True)


def refresh_statistics(engine: sa.Engine, tables: Iterable[str]) -> bool:
    """After a bulk load (``crm demo``, ``crm reindex``): PostgreSQL's VACUUM (ANALYZE) of the
    app's ``tables``, so the planner knows the new rows and index-only scans need not visit
    the table (the list's capped count took 28 ms instead of 2 ms at scale 100 until
    autovacuum came by). It runs outside a transaction, as VACUUM must, and SKIP_LOCKED: a
    table another transaction holds is left to autovacuum instead of waiting for it (a
    transaction waiting for this command would otherwise wait forever). SQLite is left
    alone: its planner has no statistics today, and giving it some would change the plans
    the lists were tuned for. Returns whether anything ran."""
    if engine.dialect.name != "postgresql":
        return False
    quote = engine.dialect.identifier_preparer.quote
    present = set(sa.inspect(engine).get_table_names())  # a schema not migrated to the end
    names = ", ".join(quote(name) for name in sorted(set(tables) & present))
    if not names:
        return False
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"VACUUM (ANALYZE, SKIP_LOCKED) {names}")
    return True


def database_answers(engine: sa.Engine) -> bool:
    """True when the database answers and holds a migrated schema."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
        return True
    except sa.exc.SQLAlchemyError:
        return False
