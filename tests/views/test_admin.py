from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from crm.models import Role, User
from tests.conftest import csrf_token


def edit_form(client, user_id: int) -> dict[str, str]:
    """The hidden fields of the edit form as the browser got it: CSRF token and version."""
    html = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html)
    assert version, "the edit form carries no version"
    return {
        "csrf_token": csrf_token(client, f"/admin/users/{user_id}"),
        "version": version.group(1),
    }


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_admin_creates_a_user_and_sees_the_password_once(client, signed_in, db) -> None:
    signed_in("admin")
    response = client.post(
        "/admin/users",
        data={
            "email": "Pieter.Janssens@Agoria.example",
            "full_name": "Pieter Janssens",
            "role": "organiser",
            "csrf_token": csrf_token(client, "/admin/users"),
        },
    )
    assert response.status_code == 201
    user = db.session.scalar(sa.select(User).where(User.email == "pieter.janssens@agoria.example"))
    assert user.role is Role.ORGANISER
    assert "can now sign in as organiser" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "role": "officer"}, "This field is required."),
        ({"email": "not-an-email", "role": "officer"}, "Invalid email address."),
        ({"email": "x" * 250 + "@a.example", "role": "officer"}, "254"),
        ({"email": "ok@a.example", "role": "emperor"}, "Not a valid choice"),
        ({"email": "ok@a.example", "role": "officer", "full_name": "n" * 201}, "200"),
    ],
)
def test_bad_user_input_is_refused_and_kept(client, signed_in, db, data, message) -> None:
    signed_in("admin")
    before = _count(db)
    response = client.post(
        "/admin/users", data={**data, "csrf_token": csrf_token(client, "/admin/users")}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert _count(db) == before
    if data["email"] and len(data["email"]) < 100:
        assert f'value="{data["email"]}"' in page  # what the user typed is still there


def test_duplicate_and_markup_are_refused_and_escaped(client, signed_in, db) -> None:
    admin = signed_in("admin")
    before = _count(db)
    response = client.post(
        "/admin/users",
        data={
            "email": admin.email,
            "full_name": "<script>x</script>",
            "role": "viewer",
            "csrf_token": csrf_token(client, "/admin/users"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already exists" in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert _count(db) == before


def test_admin_changes_a_role_and_it_is_audited(client, signed_in, db) -> None:
    from crm.models import AuditEntry
    from tests import factories

    signed_in("admin")
    user = factories.make_user("viewer")
    db.session.commit()
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "full_name": user.full_name,
            "role": "officer",
            "is_active": "y",
            **edit_form(client, user.id),
        },
    )
    assert response.status_code == 302
    assert db.session.get(User, user.id).role is Role.OFFICER
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "user",
            AuditEntry.entity_id == user.id,
            AuditEntry.action == "update",
        )
    ).one()
    assert entry.changes == {"role": ["viewer", "officer"]}


def test_unknown_user_is_404(client, signed_in) -> None:
    signed_in("admin")
    assert client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "emperor", "full_name": "X"}, "Not a valid choice"),
        ({"role": "viewer", "full_name": "n" * 201}, "200"),
    ],
)
def test_bad_edits_are_refused(client, signed_in, db, data, message) -> None:
    from tests import factories

    signed_in("admin")
    user = factories.make_user("officer", full_name="Jan Novák")
    db.session.commit()
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            **data,
            "is_active": "y",
            **edit_form(client, user.id),
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    stored = db.session.get(User, user.id)
    assert (stored.role, stored.full_name) == (Role.OFFICER, "Jan Novák")


def test_an_admin_cannot_demote_themselves(client, signed_in, db) -> None:
    admin = signed_in("admin")
    response = client.post(
        f"/admin/users/{admin.id}",
        data={
            "role": "viewer",
            "is_active": "y",
            "full_name": "",
            **edit_form(client, admin.id),
        },
    )
    assert response.status_code == 400
    assert "cannot change your own role" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_the_second_of_two_concurrent_edits_gets_409_and_the_first_survives(
    app, client, signed_in, db
) -> None:
    from tests import factories
    from tests.conftest import sign_in

    signed_in("admin")
    other_admin = factories.make_user("admin")
    user = factories.make_user("viewer", full_name="Eva Lindqvist")
    db.session.commit()
    second = app.test_client()
    sign_in(second, other_admin.email)
    first_form, second_form = edit_form(client, user.id), edit_form(second, user.id)

    response = client.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Eva Lindqvist", "role": "coordinator", "is_active": "y", **first_form},
    )
    assert response.status_code == 302
    response = second.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Eva Lindqvist-Berg", "role": "viewer", "is_active": "y", **second_form},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in page
    assert re.search(r"<th scope=\"row\">role</th><td>coordinator</td><td>viewer</td>", page)
    stored = db.session.get(User, user.id)
    assert (stored.role, stored.full_name) == (Role.COORDINATOR, "Eva Lindqvist")
    # The refused form comes back with the current values and version, ready to save again.
    assert 'value="Eva Lindqvist"' in page and f'value="{stored.version}"' in page


def test_a_control_character_in_a_new_users_name_is_refused(client, signed_in, db) -> None:
    signed_in("admin")
    before = _count(db)
    response = client.post(
        "/admin/users",
        data={
            "email": "nul@agoria.example",
            "full_name": "Pieter\x00Janssens",
            "role": "viewer",
            "csrf_token": csrf_token(client, "/admin/users"),
        },
    )
    assert response.status_code == 400
    assert "control character (U+0000)" in response.get_data(as_text=True)
    assert _count(db) == before


def test_a_control_character_in_an_edited_name_is_refused(client, signed_in, db) -> None:
    from tests import factories

    signed_in("admin")
    user = factories.make_user("viewer", full_name="Jan Novák")
    db.session.commit()
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "full_name": "Jan\x1bNovák",
            "role": "viewer",
            "is_active": "y",
            **edit_form(client, user.id),
        },
    )
    assert response.status_code == 400
    assert 'id="full_name-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Jan Novák"


@pytest.mark.parametrize("user_id", [2**63, 2**64 + 1, 10**30])
def test_ids_beyond_the_database_range_are_404(client, signed_in, user_id) -> None:
    signed_in("admin")
    assert client.get(f"/admin/users/{user_id}").status_code == 404
    token = csrf_token(client, "/admin/users")
    response = client.post(
        f"/admin/users/{user_id}", data={"role": "viewer", "version": "1", "csrf_token": token}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("version", [str(2**63), "9" * 5000, "one", "", "-1", "1e3"])
def test_a_bad_version_is_a_conflict(client, signed_in, db, version) -> None:
    from tests import factories

    signed_in("admin")
    user = factories.make_user("viewer", full_name="Eva Lindqvist")
    db.session.commit()
    form = {**edit_form(client, user.id), "version": version}
    response = client.post(
        f"/admin/users/{user.id}",
        data={"full_name": "Eva Berg", "role": "officer", "is_active": "y", **form},
    )
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(User, user.id).full_name == "Eva Lindqvist"
