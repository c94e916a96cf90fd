"""The targets pages: coordinators and admins write, everyone signed in reads; every refusal
beside its field with a 400 and nothing written; never a 500 for any input."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from crm.models import AuditEntry, Role, Target
from crm.services.coverage import targets
from tests import factories
from tests.conftest import csrf_token

MANAGERS = ("admin", "coordinator")
READERS = ("viewer", "officer", "organiser")


def _good(**override: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "commitment_item_id": str(factories.subitem("1.3a").id),
        "metric": "organisations-engaged",
        "organisation_kind": "national-association",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "target_value": "12",
        "description": "National associations engaged in 2027",
    }
    values.update(override)
    return values


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Target))


def _target(db, **override: Any) -> Target:
    target = targets.create_target(
        factories.make_user(Role.COORDINATOR), _good(**override), today=date(2027, 1, 1)
    )
    db.session.commit()
    return target


def _fresh(db, target_id: int) -> Target | None:
    return db.session.get(Target, target_id, populate_existing=True)


def _post(client, path: str, data: dict[str, Any], token_from: str | None = None) -> Any:
    token = csrf_token(client, token_from or path)
    return client.post(path, data={**data, "csrf_token": token})


def _error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field}"
    return match.group(1)


def test_signed_out_visitors_are_sent_to_sign_in(client, db) -> None:
    target = _target(db)
    edit = f"/coverage/targets/{target.id}/edit"
    for path in ("/coverage/targets", "/coverage/targets/new", edit):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    token = csrf_token(client)
    response = client.post(
        f"/coverage/targets/{target.id}/delete", data={"csrf_token": token, "version": "1"}
    )
    assert response.status_code == 302 and response.location.startswith("/login")
    assert db.session.get(Target, target.id) is not None


@pytest.mark.parametrize("role", READERS)
def test_other_roles_read_but_may_not_write(client, signed_in, db, role) -> None:
    signed_in(role)
    target = _target(db)
    assert client.get("/coverage/targets/new").status_code == 403
    assert client.get(f"/coverage/targets/{target.id}/edit").status_code == 403
    token = csrf_token(client, "/account")
    response = client.post("/coverage/targets/new", data={**_good(), "csrf_token": token})
    assert response.status_code == 403
    response = client.post(
        f"/coverage/targets/{target.id}/delete",
        data={"csrf_token": token, "version": str(target.version)},
    )
    assert response.status_code == 403
    assert _count(db) == 1


@pytest.mark.parametrize("role", MANAGERS)
def test_a_manager_sets_a_target_through_the_form(client, signed_in, db, role) -> None:
    user = signed_in(role)
    form = client.get("/coverage/targets/new")
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert 'name="target_value"' in page and 'name="size_classes"' in page
    response = _post(client, "/coverage/targets/new", _good())
    assert response.status_code == 302, response.get_data(as_text=True)
    (target,) = db.session.scalars(sa.select(Target)).all()
    assert target.target_value == 12
    entry = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "target", AuditEntry.entity_id == target.id
        )
    )
    assert entry is not None and entry.actor_id == user.id


def test_a_new_target_form_can_start_from_an_item(client, signed_in, db) -> None:
    signed_in("coordinator")
    item = factories.subitem("1.3b")
    page = client.get(f"/coverage/targets/new?item={item.id}").get_data(as_text=True)
    assert f'<option selected value="{item.id}">' in page or (f'value="{item.id}" selected' in page)


def test_the_form_needs_its_token(client, signed_in, db) -> None:
    signed_in("coordinator")
    response = client.post("/coverage/targets/new", data=_good())
    assert response.status_code == 400
    assert _count(db) == 0


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ({"target_value": "0"}, "target_value", "zero"),
        ({"target_value": "-1"}, "target_value", "at least 1"),
        ({"target_value": "NaN"}, "target_value", "not a number"),
        ({"target_value": "1" * 30}, "target_value", "at most 1,000,000"),
        ({"target_value": "12.5"}, "target_value", "not a whole number"),
        ({"period_end": "2026-12-31"}, "period_end", "before the start"),
        ({"period_start": "0000-01-01"}, "period_start", "no year 0"),
        ({"period_start": "2027-13-01"}, "period_start", "no month 13"),
        ({"organisation_kind": "guild"}, "organisation_kind", "not one of"),
        ({"metric": "smiles"}, "metric", "not one of"),
        ({"commitment_item_id": "424242"}, "commitment_item_id", "no item"),
        ({"commitment_item_id": "-1"}, "commitment_item_id", "between"),
        ({"size_classes": ["giant"]}, "size_classes", "not one of"),
        ({"description": "x\u202ey"}, "description", "direction control"),
    ],
)
def test_bad_input_is_a_400_with_the_refusal_beside_the_field(
    client, signed_in, db, override: dict[str, Any], field: str, words: str
) -> None:
    signed_in("coordinator")
    response = _post(client, "/coverage/targets/new", _good(**override))
    assert response.status_code == 400
    assert words in _error_beside(response.get_data(as_text=True), field)
    assert _count(db) == 0


def test_every_problem_of_an_empty_form_is_named_at_once(client, signed_in, db) -> None:
    signed_in("coordinator")
    response = _post(client, "/coverage/targets/new", {})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field in ("commitment_item_id", "metric", "period_start", "period_end", "target_value"):
        _error_beside(page, field)


def test_a_file_in_a_text_field_is_a_400(client, signed_in, db) -> None:
    signed_in("coordinator")
    token = csrf_token(client, "/coverage/targets/new")
    response = client.post(
        "/coverage/targets/new",
        data={**_good(), "target_value": (io.BytesIO(b"12"), "twelve.txt"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _count(db) == 0


def test_a_duplicate_is_refused_naming_the_existing_target(client, signed_in, db) -> None:
    signed_in("coordinator")
    first = _target(db)
    response = _post(client, "/coverage/targets/new", _good(target_value="20"))
    assert response.status_code == 400
    message = _error_beside(response.get_data(as_text=True), "metric")
    assert f"#{first.id}" in message and "national associations engaged" in message
    assert _count(db) == 1


def test_edit_saves_and_a_stale_edit_is_a_409_showing_both(client, signed_in, db) -> None:
    signed_in("coordinator")
    target = _target(db)
    path = f"/coverage/targets/{target.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="12"' in page and 'name="version" type="hidden" value="1"' in page
    response = _post(client, path, _good(target_value="15", version="1"))
    assert response.status_code == 302
    saved = _fresh(db, target.id)
    assert saved is not None and saved.target_value == 15 and saved.version == 2
    stale = _post(client, path, _good(target_value="18", version="1"))
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "changed by someone else" in page and "<td>15</td><td>18</td>" in page
    saved = _fresh(db, target.id)
    assert saved is not None and saved.target_value == 15
    refused = _post(client, path, _good(target_value="0", version="2"))
    assert refused.status_code == 400
    assert "zero" in _error_beside(refused.get_data(as_text=True), "target_value")


def test_delete_needs_the_current_version(client, signed_in, db) -> None:
    signed_in("admin")
    target = _target(db)
    target_id = target.id
    path = f"/coverage/targets/{target_id}/delete"
    stale = _post(client, path, {"version": "7"}, f"/coverage/targets/{target_id}/edit")
    assert stale.status_code == 409 and _fresh(db, target_id) is not None
    done = _post(client, path, {"version": "1"}, f"/coverage/targets/{target_id}/edit")
    assert done.status_code == 302
    assert _fresh(db, target_id) is None
    assert client.get(f"/coverage/targets/{target_id}/edit").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/coverage/targets/0/edit",
        "/coverage/targets/99999999999999999999/edit",
        "/coverage/targets/abc/edit",
        "/coverage/targets/-1/edit",
    ],
)
def test_unknown_targets_are_404(client, signed_in, db, path: str) -> None:
    signed_in("coordinator")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "query", ["year=abc", "year=1999", "year=99999999999999999999", "year=2027&year=2028", "x=1"]
)
def test_an_unknown_filter_is_a_400_naming_it(client, signed_in, db, query: str) -> None:
    signed_in("viewer")
    response = client.get(f"/coverage/targets?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert f"{name}:" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", READERS + MANAGERS)
def test_the_list_shows_each_target_with_its_progress_in_words(client, signed_in, db, role) -> None:
    signed_in(role)
    target = _target(db, description="Verbände <2027>")
    response = client.get("/coverage/targets")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h2" in page and ">2027</h2>" in page
    assert "12 national associations engaged" in page
    assert "Verbände &lt;2027&gt;" in page  # escaped
    assert f'<progress id="target-{target.id}-bar" max="12" value="0"' in page
    assert "0 of 12 (0 %)" in page
    edit = f"/coverage/targets/{target.id}/edit"
    assert (edit in page) == (role in MANAGERS)
    assert ("New target" in page) == (role in MANAGERS)
    by_year = client.get("/coverage/targets?year=2026").get_data(as_text=True)
    assert "12 national associations engaged" not in by_year and "No target runs in 2026" in by_year
