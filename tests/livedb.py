"""Databases for tests that need committed data (a real server in another process)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crm_command(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    """Run the real ``crm`` console command; fail with its output if it fails."""
    executable = Path(sys.executable).with_name("crm")
    result = subprocess.run(
        [str(executable), *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"crm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextmanager
def live_server(
    database_url: str,
    folder: Path,
    workers: int = 2,
    users: tuple[tuple[str, str, str], ...] = (),
    settings: dict[str, str] | None = None,
) -> Iterator[str]:
    """A production-mode gunicorn on a migrated, seeded database; yields its base URL.

    ``users`` are (email, role, password) created with ``crm users create`` beforehand;
    ``settings`` are extra ``CRM_*`` variables.
    """
    port = _free_port()
    env = {
        **os.environ,
        "CRM_ENV": "production",
        "CRM_SECRET_KEY": "live-test-secret-" + uuid.uuid4().hex,
        "CRM_ERASURE_KEY": "live-test-erasure-" + uuid.uuid4().hex,
        "CRM_DATABASE_URL": database_url,
        "CRM_BASE_URL": f"http://127.0.0.1:{port}",
        "CRM_COOKIE_SECURE": "0",  # plain http on loopback
        **(settings or {}),
    }
    crm_command("db", "upgrade", env=env)
    crm_command("seed", env=env)
    for email, role, password in users:
        crm_command("users", "create", email, "--role", role, env=env, stdin=password + "\n")
    log = (folder / f"gunicorn-{port}.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            str(folder),
            "crm.wsgi:app",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise AssertionError(
                    "gunicorn did not come up:\n" + (folder / f"gunicorn-{port}.log").read_text()
                )
            time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
