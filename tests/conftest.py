"""Fixtures: one migrated and seeded database per run, each test in a transaction rolled back.

``CRM_TEST_DATABASE_URL`` picks the database (default: a SQLite file in a temporary folder);
the same suite runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis.configuration import set_hypothesis_home_dir
from sqlalchemy.orm import scoped_session, sessionmaker

from crm import create_app
from crm.extensions import db as _db
from crm.services import pagination
from crm.services.seed import seed_all
from tests import factories
from tests.livedb import reset_database, scratch_database

os.environ.setdefault("CRM_ENV", "testing")
# Hypothesis keeps caches beside the tests; in the virtual environment they leave the top
# level of the project as agreed.
set_hypothesis_home_dir(str(Path(sys.prefix) / "hypothesis"))


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("CRM_TEST_DATABASE_URL") or "sqlite (temporary file)"
    return f"database under test: {sa.make_url(url).render_as_string() if '://' in url else url}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("CRM_TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "crm-test.sqlite3")


def make_test_app(database_url: str, instance: Path, **extra: object) -> Flask:
    config = {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "SERVER_NAME": None,
        **extra,
    }
    app = create_app(config)
    app.instance_path = str(instance)
    return app


@contextmanager
def migrated_scratch_app(database_url: str, folder: Path) -> Iterator[Flask]:
    """An app on a scratch database of its own, migrated and seeded, whose commits are real
    (the outbox's and the scheduler's tests: locks, passes in threads and processes)."""
    with scratch_database(database_url, folder) as url:
        application = make_test_app(url, folder, CRM_BASE_URL="https://crm.example.org")
        with application.app_context():
            upgrade()
            seed_all()
            _db.session.commit()
        yield application
        with application.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    application = make_test_app(database_url, tmp_path_factory.mktemp("instance"))
    with application.app_context():
        reset_database(_db.engine)
        upgrade()  # the suite runs on the schema the migrations build, not on create_all()
        seed_all()
        _db.session.commit()
        _db.session.remove()
    yield application


@pytest.fixture(autouse=True)
def _counts_forgotten() -> Iterator[None]:
    """Every test counts its lists anew: a count over the cap that one test remembered
    (``pagination.paginate``) would otherwise stand for the same filter in the next."""
    pagination.forget_counts()
    yield
    pagination.forget_counts()


@pytest.fixture(autouse=True)
def db(request: pytest.FixtureRequest) -> Iterator[object]:
    """Bind ``db.session`` to one outer transaction per test and roll it back at the end.

    Code under test still commits: with ``create_savepoint`` its commits only release
    savepoints, so nothing outlives the test. No app context stays pushed during the test, so
    every test request gets a fresh one (and a fresh ``g`` and ``current_user``), as in
    production; the test body and the requests share the one session.
    """
    if "app" not in request.fixturenames:
        yield None
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        connection = _db.engine.connect()
    outer = connection.begin()
    original = _db.session
    _db.session = scoped_session(
        sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
        scopefunc=lambda: "test",
    )
    try:
        yield _db
    finally:
        _db.session.remove()
        _db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_FIELD = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a real browser would find in the form at ``path``."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_FIELD.search(html)
    assert match, f"no CSRF token in the form at {path}"
    return match.group(1) or match.group(2)


def sign_in(
    client: FlaskClient, email: str, password: str = factories.PASSWORD, remember: bool = False
) -> object:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


@pytest.fixture()
def signed_in(client: FlaskClient):
    """Sign the test client in with a new user of the given role; returns the user."""

    def _sign_in(role: str = "officer") -> object:
        user = factories.make_user(role=role)
        _db.session.commit()
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _sign_in
