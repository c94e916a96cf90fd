from __future__ import annotations

from tests.conftest import make_test_app


def test_healthz_answers_200_when_the_database_answers(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_does_not(tmp_path) -> None:
    # A SQLite file in a folder that does not exist cannot be opened.
    app = make_test_app(f"sqlite:///{tmp_path}/missing/folder/crm.sqlite3", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "not answering"


def test_healthz_answers_503_for_a_database_without_schema(tmp_path) -> None:
    app = make_test_app(f"sqlite:///{tmp_path}/empty.sqlite3", tmp_path)
    assert app.test_client().get("/healthz").status_code == 503
