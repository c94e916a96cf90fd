"""Engine set-up that both databases need to behave as the models assume."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def configure_engine_events(engine: sa.Engine) -> None:
    """SQLite: foreign keys on, WAL, a busy timeout, and transactions SQLAlchemy controls.

    pysqlite opens transactions lazily, which breaks SAVEPOINTs; SQLAlchemy's documented
    recipe turns that off and emits BEGIN itself.
    """
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
        connection.exec_driver_sql("BEGIN")


def database_answers(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False
