"""Databases for tests that need committed data (a real server in another process)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa


def reset_database(engine: sa.Engine) -> None:
    """Drop everything so that the migrations start from an empty database."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    else:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@contextmanager
def scratch_database(base_url: str, folder: Path) -> Iterator[str]:
    """A new, empty database beside the one under test, dropped afterwards."""
    url = sa.make_url(base_url)
    if url.get_backend_name() != "postgresql":
        yield "sqlite:///" + str(folder / f"live-{uuid.uuid4().hex[:8]}.sqlite3")
        return
    name = f"crm_live_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
