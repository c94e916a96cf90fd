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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def crm_executable() -> list[str]:
    """The installed ``crm`` console script next to this interpreter (what users run)."""
    script = Path(sys.executable).with_name("crm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from crm.cli import main; main()"]


def crm_command(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    """Run the real ``crm`` console command; fail with its output if it fails."""
    result = subprocess.run(
        [*crm_executable(), *args],
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


def production_env(database_url: str, port: int, **settings: str) -> dict[str, str]:
    """Production mode as deployed, but plain http on loopback and throwaway keys."""
    return {
        **os.environ,
        "CRM_ENV": "production",
        "CRM_SECRET_KEY": "live-secret-" + uuid.uuid4().hex,
        "CRM_ERASURE_KEY": "live-erasure-" + uuid.uuid4().hex,
        "CRM_DATABASE_URL": database_url,
        "CRM_BASE_URL": f"http://127.0.0.1:{port}",
        "CRM_COOKIE_SECURE": "0",  # plain http on loopback
        **settings,
    }


@contextmanager
def gunicorn(env: dict[str, str], port: int, folder: Path, workers: int = 2) -> Iterator[str]:
    """The app under gunicorn (sync workers) on loopback; yields its base URL once it answers
    /healthz, and stops it whatever happens. RuntimeError, with its log, if it never answers."""
    log_path = folder / f"gunicorn-{port}.log"
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
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
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError("gunicorn did not come up:\n" + log_path.read_text())
                time.sleep(0.2)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


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
    port = free_port()
    env = production_env(database_url, port, **(settings or {}))
    crm_command("db", "upgrade", env=env)
    crm_command("seed", env=env)
    for email, role, password in users:
        crm_command("users", "create", email, "--role", role, env=env, stdin=password + "\n")
    with gunicorn(env, port, folder, workers) as base_url:
        yield base_url
