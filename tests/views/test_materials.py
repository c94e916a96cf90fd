"""The catalogue's pages: everyone signed in reads; coordinators and admins keep it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from crm.models import AuditEntry, Material
from crm.services import materials
from tests import factories
from tests.conftest import csrf_token

MANAGERS = ("admin", "coordinator")
READERS = ("viewer", "officer", "organiser")
GOOD = {
    "kind": "training-module",
    "title": "Modul für Betriebsräte",
    "audiences": ["worker-representative"],
    "language_code": "de",
    "url": "https://designmts.eu/modul",
    "description": "Deutsche Fassung.",
}


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Material))


def _material(db, **changes: object) -> Material:
    material = materials.create_material({**GOOD, **changes}, None)
    db.session.commit()
    return material


def _version(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html).group(1)


def test_signed_out_visitors_are_sent_to_sign_in(client, db) -> None:
    material = _material(db)
    for path in ("/materials", f"/materials/{material.id}", "/materials/new"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    token = csrf_token(client)
    for action in ("retire", "reinstate", "edit"):
        response = client.post(f"/materials/{material.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 302 and response.location.startswith("/login")
    response = client.post("/materials/new", data={**GOOD, "csrf_token": token})
    assert response.status_code == 302 and _count(db) == 8  # the seeded seven and this one


@pytest.mark.parametrize("role", READERS + MANAGERS)
def test_everyone_signed_in_reads_the_catalogue(client, signed_in, db, role) -> None:
    signed_in(role)
    material = _material(db, title="Modul <für> Betriebsräte")
    page = client.get("/materials").get_data(as_text=True)
    assert "Modul &lt;für&gt; Betriebsräte" in page  # escaped
    assert "Training module for employers/owners and managers" in page  # seeded
    assert 'href="/materials">Materials</a>' in page or "Materials</a>" in page
    detail = client.get(f"/materials/{material.id}")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    assert "Worker representatives" in html and "German (de)" in html
    assert 'href="https://designmts.eu/modul" rel="noopener noreferrer nofollow"' in html
    may_manage = role in MANAGERS
    assert ("New material" in page) is may_manage
    assert (f"/materials/{material.id}/edit" in html) is may_manage
    assert (f"/materials/{material.id}/retire" in html) is may_manage


@pytest.mark.parametrize("role", READERS)
def test_readers_cannot_change_the_catalogue(client, signed_in, db, role) -> None:
    signed_in(role)
    material = _material(db)
    token = csrf_token(client, "/")
    assert client.get("/materials/new").status_code == 403
    assert client.get(f"/materials/{material.id}/edit").status_code == 403
    assert client.post("/materials/new", data={**GOOD, "csrf_token": token}).status_code == 403
    edit = {**GOOD, "title": "Changed", "version": "1", "csrf_token": token}
    assert client.post(f"/materials/{material.id}/edit", data=edit).status_code == 403
    for action in ("retire", "reinstate"):
        response = client.post(f"/materials/{material.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 403
    material = db.session.get(Material, material.id)
    assert material.title == GOOD["title"] and not material.is_retired
    assert _count(db) == 8


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_create_edit_retire_and_reinstate(client, signed_in, db, role) -> None:
    user = signed_in(role)
    token = csrf_token(client, "/materials/new")
    response = client.post("/materials/new", data={**GOOD, "csrf_token": token})
    assert response.status_code == 302
    material = db.session.scalar(sa.select(Material).where(Material.title == GOOD["title"]))
    material_id = material.id
    assert response.location == f"/materials/{material_id}"
    assert [a.value for a in material.audiences] == ["worker-representative"]

    edit_path = f"/materials/{material.id}/edit"
    form = client.get(edit_path).get_data(as_text=True)
    assert re.search(r'<input checked [^>]*value="worker-representative"', form)
    assert not re.search(r'<input checked [^>]*value="employee"', form)
    assert '<option selected value="de">' in form
    data = {
        **GOOD,
        "audiences": ["employee", "worker-representative"],
        "title": "Modul für Beschäftigte und Betriebsräte",
        "version": _version(client, edit_path),
        "csrf_token": token,
    }
    assert client.post(edit_path, data=data).status_code == 302
    material = db.session.get(Material, material.id)
    assert material.title == data["title"] and len(material.audiences) == 2

    for action, retired in (("retire", True), ("reinstate", False)):
        response = client.post(f"/materials/{material.id}/{action}", data={"csrf_token": token})
        assert response.status_code == 302
        material = db.session.get(Material, material.id)
        assert material.is_retired is retired
    again = client.post(f"/materials/{material_id}/reinstate", data={"csrf_token": token})
    assert again.status_code == 302
    assert "is not retired" in client.get(again.location).get_data(as_text=True)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.entity_type == "material", AuditEntry.entity_id == material_id
        )
    ).all()
    assert actions == ["create", "update", "retire", "reinstate"]
    history = client.get(f"/materials/{material_id}").get_data(as_text=True)
    assert "History" in history and f"by {user.display_name}" in history
    # The edit's fields with their old and new values, as a record's timeline shows them.
    changed = re.search(r'<table class="changes">.*?</table>', history, re.S)
    assert changed and '<th scope="row">title</th>' in changed.group(0)
    assert "Modul für Beschäftigte und Betriebsräte" in changed.group(0)


def test_posts_need_a_csrf_token(client, signed_in, db) -> None:
    signed_in("admin")
    material = _material(db)
    assert client.post("/materials/new", data=GOOD).status_code == 400
    assert client.post(f"/materials/{material.id}/retire").status_code == 400
    material = db.session.get(Material, material.id)
    assert not material.is_retired and _count(db) == 8


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "x" * 301}, "title", "Field cannot be longer than 300 characters."),
        ({"title": "Modul\x07"}, "title", "control character (U+0007)"),
        ({"kind": "brochure"}, "kind", "Not a valid choice"),
        ({"audiences": ["everyone"]}, "audiences", "not a valid choice"),
        ({"audiences": []}, "audiences", "choose whom the training module is for"),
        ({"kind": "guidelines"}, "audiences", "only training modules have audiences"),
        ({"language_code": "xx"}, "language_code", "Not a valid choice"),
        ({"url": "javascript:alert(document.cookie)"}, "url", "is not a web address"),
        ({"url": "https://designmts.eu/a b"}, "url", "a web address has no spaces"),
        ({"url": "https://" + "a" * 500}, "url", "Field cannot be longer than 500"),
        ({"description": "x\x00"}, "description", "control character (U+0000)"),
    ],
)
def test_bad_input_is_a_400_beside_the_field_and_writes_nothing(
    client, signed_in, db, changes, field, message
) -> None:
    signed_in("coordinator")
    token = csrf_token(client, "/materials/new")
    before = _count(db)
    response = client.post("/materials/new", data={**GOOD, **changes, "csrf_token": token})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page, page
    error = re.search(rf'id="{field}-error">([^<]*)<', page).group(1)
    assert message.replace("'", "&#39;") in error or message in error, error
    assert f'href="#{field}"' in page  # the summary links to the field
    assert _count(db) == before

    material = _material(db)
    path = f"/materials/{material.id}/edit"
    data = {**GOOD, **changes, "version": _version(client, path), "csrf_token": token}
    response = client.post(path, data=data)
    assert response.status_code == 400
    material = db.session.get(Material, material.id)
    assert material.title == GOOD["title"] and material.kind == "training-module"


def test_a_stale_edit_is_a_409_with_the_differences(client, signed_in, db) -> None:
    signed_in("coordinator")
    material = _material(db)
    path = f"/materials/{material.id}/edit"
    token = csrf_token(client, path)
    stale = _version(client, path)
    first = {**GOOD, "title": "Saved first", "version": stale, "csrf_token": token}
    assert client.post(path, data=first).status_code == 302
    second = {
        **GOOD,
        "title": "Saved second",
        "audiences": ["employee"],
        "version": stale,
        "csrf_token": token,
    }
    response = client.post(path, data=second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "was changed by someone else" in page
    assert '<th scope="row">title</th><td>Saved first</td><td>Saved second</td>' in page
    assert "<td>Worker representatives</td><td>Employees</td>" in page
    assert 'value="Saved first"' in page  # the form shows the stored values again
    material = db.session.get(Material, material.id)
    assert material.title == "Saved first"


@pytest.mark.parametrize("version", ["", "abc", "-1", "1e3", "99999999999999999999"])
def test_a_malformed_version_is_a_conflict_not_an_error(client, signed_in, db, version) -> None:
    signed_in("admin")
    material = _material(db)
    path = f"/materials/{material.id}/edit"
    data = {**GOOD, "title": "X", "version": version, "csrf_token": csrf_token(client, path)}
    assert client.post(path, data=data).status_code == 409


def test_the_filters_select_and_unknown_values_are_a_400_naming_the_parameter(
    client, signed_in, db
) -> None:
    signed_in("viewer")
    module = _material(db)
    guide = _material(db, kind="guidelines", audiences=[], title="Guida RSI", language_code="it")
    old = _material(db, kind="other", audiences=[], title="Vecchio opuscolo", language_code="it")
    materials.retire_material(old, None)
    outreach = factories.make_outreach()
    outreach.materials.append(guide)
    deleted = factories.make_outreach()
    deleted.materials.append(guide)
    deleted.deleted_at = deleted.occurred_at
    db.session.commit()

    page = client.get("/materials?kind=training-module&audience=worker-representative")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert module.title in html and guide.title not in html
    assert "Training module for employees and worker representatives" in html
    html = client.get("/materials?language=it").get_data(as_text=True)
    assert guide.title in html and old.title not in html and module.title not in html
    assert f'href="/outreach?material={guide.id}">1 ' in html  # the deleted one not counted
    html = client.get("/materials?language=it&retired=show").get_data(as_text=True)
    assert old.title in html and "retired</span>" in html
    html = client.get("/materials?retired=only").get_data(as_text=True)
    assert old.title in html and guide.title not in html

    for query, parameter in (
        ("kind=poster", "kind"),
        ("audience=everyone", "audience"),
        ("language=zz", "language"),
        ("language=" + "x" * 500, "language"),
        ("retired=maybe", "retired"),
        ("kind=%00", "kind"),
    ):
        response = client.get(f"/materials?{query}")
        assert response.status_code == 400, query
        assert f"<li>{parameter}: " in response.get_data(as_text=True), query


def test_a_materials_page_shows_its_use(client, signed_in, db) -> None:
    signed_in("viewer")
    material = _material(db)
    records = [factories.make_outreach() for _ in range(12)]
    for record in records:
        record.materials.append(material)
    db.session.commit()
    html = client.get(f"/materials/{material.id}").get_data(as_text=True)
    assert f'href="/outreach?material={material.id}">12 outreach records' in html
    assert "the latest 10" in html
    latest = max(records, key=lambda r: (r.occurred_at, r.id))
    assert f'href="/outreach/{latest.id}"' in html
    assert "History" not in html  # the audit trail is for coordinators and admins


def test_a_programme_materials_page_says_crm_seed_leaves_it_as_it_is(client, signed_in, db) -> None:
    signed_in("viewer")
    seeded = db.session.scalar(sa.select(Material).where(Material.key == "help-desk"))
    html = client.get(f"/materials/{seeded.id}").get_data(as_text=True)
    assert "Loaded by <code>crm seed</code> as <code>help-desk</code>" in html
    assert "a new run of it leaves this material as it is" in html
    own = _material(db)
    assert "Programme material" not in client.get(f"/materials/{own.id}").get_data(as_text=True)


def test_unknown_materials_are_404(client, signed_in) -> None:
    signed_in("admin")
    token = csrf_token(client, "/")
    assert client.get("/materials/999999").status_code == 404
    assert client.get("/materials/999999/edit").status_code == 404
    assert client.post("/materials/999999/retire", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/materials/{2**31}").status_code == 404
    assert client.get("/materials/abc").status_code == 404


def test_the_nav_links_the_catalogue(client, signed_in) -> None:
    signed_in("viewer")
    html = client.get("/materials").get_data(as_text=True)
    assert '<a href="/materials" aria-current="page">Materials</a>' in html
