"""How requests use their database connection on PostgreSQL: reads without a transaction,
so that psycopg's prepared statements outlive the request; writes in one transaction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from crm.extensions import db
from tests.conftest import make_test_app

HEALTH_QUERY = "SELECT version_num FROM alembic_version"


@pytest.fixture
def own_app(app: Flask, database_url: str, tmp_path) -> Flask:
    """An app with an engine of its own (the suite's ``db`` fixture binds every session to
    one connection inside a transaction, which would hide what a request does)."""
    if sa.make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip(
            "PostgreSQL only: it checks psycopg's prepared statements and transactions, "
            "which SQLite does not have; the PostgreSQL run of the suite covers it"
        )
    own = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=False)
    yield own
    with own.app_context():
        db.engine.dispose()


def _prepared_statements(app: Flask) -> list[str]:
    """Statements prepared on the pool's one connection (the one the requests used)."""
    with app.app_context():
        assert db.engine.pool.checkedin() == 1
        with db.engine.connect() as connection:
            return list(connection.scalars(sa.text("SELECT statement FROM pg_prepared_statements")))


def test_a_page_read_again_and_again_runs_a_prepared_statement(own_app: Flask) -> None:
    # psycopg prepares a statement run five times on one connection, but forgets them all
    # on ROLLBACK, which ended every request: no page statement was ever prepared, so the
    # server parsed and planned each one anew.
    client = own_app.test_client()
    for _ in range(8):
        assert client.get("/healthz").status_code == 200
    assert any(HEALTH_QUERY in statement for statement in _prepared_statements(own_app))


def test_a_read_runs_in_autocommit_and_gives_its_connection_back_transactional(
    own_app: Flask,
) -> None:
    # The suite's db.session is bound to the test's transaction: use the app's own engine.
    with own_app.test_request_context("/people", method="GET"):
        own_app.preprocess_request()
        with db.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT 1")) == 1
            assert connection.connection.dbapi_connection.autocommit is True
    with own_app.app_context(), db.engine.connect() as connection:
        # the same pooled connection, outside a request: transactional again
        connection.scalar(sa.text("SELECT 1"))
        assert connection.connection.dbapi_connection.autocommit is False


def test_a_write_request_is_one_transaction_that_a_failure_rolls_back(
    own_app: Flask,
) -> None:
    with own_app.test_request_context("/people/new", method="POST"):
        own_app.preprocess_request()
        with db.engine.connect() as connection:
            connection.execute(sa.text("CREATE TEMPORARY TABLE scratch (n integer)"))
            connection.execute(sa.text("INSERT INTO scratch VALUES (1)"))
            assert connection.connection.dbapi_connection.autocommit is False
            connection.rollback()
            # the table went with the rollback
            with pytest.raises(sa.exc.ProgrammingError):
                connection.execute(sa.text("SELECT n FROM scratch"))


def test_statistics_are_refreshed_after_a_bulk_load_on_postgresql(own_app: Flask) -> None:
    """VACUUM (ANALYZE) after `crm demo` and `crm reindex`: the capped count's index-only
    scan needs the visibility map a vacuum writes. SQLite is left as it is."""
    from crm.database import refresh_statistics

    with own_app.app_context():
        assert refresh_statistics(db.engine, db.metadata.tables) is True
        with db.engine.connect() as connection:
            vacuumed = connection.scalar(
                sa.text(
                    "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL "
                    "FROM pg_stat_user_tables WHERE relname = 'people'"
                )
            )
    assert vacuumed


def test_refreshing_statistics_never_waits_for_a_transaction(own_app: Flask) -> None:
    """A transaction holding a table (as the command's own caller may) is not waited for:
    VACUUM skips what it cannot lock at once instead of hanging."""
    from crm.database import refresh_statistics

    with own_app.app_context():
        holder = db.engine.connect()
        transaction = holder.begin()
        holder.exec_driver_sql("LOCK TABLE people IN SHARE UPDATE EXCLUSIVE MODE")
        try:
            assert refresh_statistics(db.engine, db.metadata.tables) is True
        finally:
            transaction.rollback()
            holder.close()


def test_sqlite_statistics_are_left_alone(app: Flask, database_url: str) -> None:
    from crm.database import refresh_statistics

    if sa.make_url(database_url).get_backend_name() != "sqlite":
        pytest.skip(
            "SQLite only: on PostgreSQL the statistics are refreshed, which the tests above check"
        )
    with app.app_context():
        assert refresh_statistics(db.engine, db.metadata.tables) is False
