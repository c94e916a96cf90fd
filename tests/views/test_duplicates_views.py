"""Duplicates and merges through the pages: warnings on create, the paged list, the compare
page, "not a duplicate", merged records and the rules on erased people (issue 7)."""

from __future__ import annotations

import sqlalchemy as sa

from crm.models import AuditEntry, Organisation, Person, Position
from crm.services import merge, privacy, register
from tests import factories
from tests.conftest import csrf_token, sign_in

PERSON = {
    "first_name": "Giulia",
    "last_name": "Bianchi",
    "email": "g.bianchi@rossi.example",
    "country_code": "IT",
    "lawful_basis": "legitimate-interest",
    "lawful_basis_source": "BIEMH 2026 stand",
}
ORGANISATION = {
    "name": "Officine Meccaniche Rossi S.p.A.",
    "kind": "enterprise",
    "country_code": "IT",
    "city": "Brescia",
    "headcount": "120",
}
TOO_BIG = str(2**63)


def _key(app) -> bytes:
    return app.config["CRM_ERASURE_KEY"].encode("utf-8")


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _coordinator(app, db):
    coordinator = factories.make_user("coordinator")
    db.session.commit()
    other = app.test_client()
    sign_in(other, coordinator.email)
    return other


def test_same_name_in_the_same_country_warns_at_the_top_of_the_form(
    app, client, signed_in, db
) -> None:
    officer = signed_in("officer")
    register.create_person(PERSON, officer, erasure_key=_key(app))
    db.session.commit()
    before = _count(db, Person)
    token = csrf_token(client, "/people/new")
    data = {**PERSON, "email": "giulia.b@altro.example", "csrf_token": token}
    response = client.post("/people/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and _count(db, Person) == before
    assert "Possible duplicates" in page
    # The warning and the decision come before the first field of the form.
    first_field = page.index('name="first_name"')
    assert page.index("Possible duplicates") < first_field
    assert page.index('name="confirm_duplicate"') < first_field
    response = client.post("/people/new", data={**data, "confirm_duplicate": "y"})
    assert response.status_code == 302 and _count(db, Person) == before + 1


def test_the_organisation_warning_sits_at_the_top_too(client, signed_in, db) -> None:
    officer = signed_in("officer")
    register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    token = csrf_token(client, "/organisations/new")
    response = client.post(
        "/organisations/new",
        data={**ORGANISATION, "name": "officine meccaniche rossi", "csrf_token": token},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert page.index('name="confirm_duplicate"') < page.index('name="name"')


def test_turnover_that_is_not_a_number_is_refused_beside_the_field(client, signed_in, db) -> None:
    signed_in("officer")
    token = csrf_token(client, "/organisations/new")
    before = _count(db, Organisation)
    for value in ("NaN", "sNaN", "Infinity"):
        response = client.post(
            "/organisations/new",
            data={**ORGANISATION, "turnover_eur": value, "csrf_token": token},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400, value
        assert f"&#39;{value}&#39; is not an amount in euros" in page
    assert _count(db, Organisation) == before


def test_the_duplicates_list_is_paged(app, client, signed_in, db) -> None:
    signed_in("viewer")
    for n in range(merge.PAGE_SIZE + 1):
        for _ in range(2):
            factories.make_organisation(name=f"Gemelli {n:03d} SpA", country_code="IT")
    db.session.commit()
    first = client.get("/duplicates").get_data(as_text=True)
    assert "Gemelli 000 SpA" in first and f"Gemelli {merge.PAGE_SIZE:03d}" not in first
    assert 'rel="next"' in first
    second = client.get("/duplicates?page=2").get_data(as_text=True)
    assert f"Gemelli {merge.PAGE_SIZE:03d} SpA" in second and "Gemelli 000 SpA" not in second
    for bad in ("abc", "0", "-1", TOO_BIG, "1.5"):
        assert client.get(f"/duplicates?page={bad}").status_code == 400, bad


def test_compare_then_merge_or_mark_not_a_duplicate(app, client, signed_in, db) -> None:
    officer = signed_in("officer")
    rossi = register.create_organisation(ORGANISATION, officer)
    first = factories.make_person("Giulia", "Bianchi", organisation=rossi)
    second = factories.make_person("Giulia", "Bianchi", organisation=rossi)
    factories.make_outreach(people=[first])
    db.session.commit()
    listing = client.get("/duplicates").get_data(as_text=True)
    compare_url = f"/duplicates/people/compare?first={first.id}&amp;second={second.id}"
    assert compare_url in listing
    page = client.get(compare_url.replace("&amp;", "&")).get_data(as_text=True)
    assert page.count("Officine Meccaniche Rossi S.p.A.") >= 2  # both positions, side by side
    assert first.email in page and second.email in page
    assert '<th scope="row">Outreach</th><td>1</td><td>0</td>' in page
    assert "Keep #" not in page  # officers cannot merge,
    assert "Not a duplicate" not in page  # nor hide a pair from everyone for good
    token = csrf_token(client, "/duplicates")
    refused = client.post(
        "/duplicates/people/not-duplicate",
        data={"first": first.id, "second": second.id, "csrf_token": token},
    )
    assert refused.status_code == 403
    coordinator = _coordinator(app, db)
    page = coordinator.get(compare_url.replace("&amp;", "&")).get_data(as_text=True)
    assert f"Keep #{first.id}" in page and f"Keep #{second.id}" in page
    assert "Not a duplicate" in page
    response = coordinator.post(
        "/duplicates/people/not-duplicate",
        data={
            "first": first.id,
            "second": second.id,
            "csrf_token": csrf_token(coordinator, "/duplicates"),
        },
    )
    assert response.status_code == 302
    assert "No likely duplicates" in client.get("/duplicates").get_data(as_text=True)
    audited = db.session.scalars(
        sa.select(AuditEntry.entity_id).where(AuditEntry.action == "not-duplicate")
    ).all()
    assert set(audited) == {first.id, second.id}


def test_refused_ids_and_pages_say_which_parameter(client, signed_in) -> None:
    signed_in("viewer")
    for path, named in (
        ("/duplicates?page=0", "page"),
        ("/duplicates?page=bogus", "page"),
        ("/duplicates/people/compare?first=x&second=2", "first"),
        ("/duplicates/people/compare?first=1", "second"),
        ("/duplicates/people/compare?first=1&second=1", "first, second"),
    ):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        if response.status_code == 400:
            assert f"{named}:" in response.get_data(as_text=True), path


def test_compare_refuses_bad_ids(client, signed_in) -> None:
    signed_in("viewer")
    assert client.get("/duplicates/people/compare?first=x&second=1").status_code == 400
    assert client.get(f"/duplicates/people/compare?first={TOO_BIG}&second=1").status_code == 404
    assert client.get("/duplicates/guilds/compare?first=1&second=2").status_code == 404


def test_merge_ids_too_big_for_the_database_are_not_found(app, client, signed_in, db) -> None:
    first = factories.make_organisation()
    coordinator = _coordinator(app, db)
    token = csrf_token(coordinator, "/duplicates")
    for keep, other in ((first.id, TOO_BIG), (TOO_BIG, first.id), ("9" * 40, first.id)):
        response = coordinator.post(
            "/duplicates/organisations/merge",
            data={"keep": keep, "merge": other, "csrf_token": token},
        )
        assert response.status_code == 404, (keep, other)
    response = coordinator.post(
        "/duplicates/organisations/merge",
        data={"keep": "1e3", "merge": first.id, "csrf_token": token},
    )
    assert response.status_code == 400


def test_the_page_of_a_merged_record_leads_to_the_survivor(app, client, signed_in, db) -> None:
    admin = factories.make_user("admin")
    first, second, third = (factories.make_person("Giulia", "Bianchi") for _ in range(3))
    merge.merge_people(second, third, admin)
    merge.merge_people(first, second, admin)
    rossi, twin = (factories.make_organisation(name="Rossi SpA") for _ in "ab")
    merge.merge_organisations(rossi, twin, admin)
    db.session.commit()
    signed_in("viewer")
    for old in (second.id, third.id):  # a chain is followed to its end
        response = client.get(f"/people/{old}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/people/{first.id}")
    response = client.get(f"/organisations/{twin.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/organisations/{rossi.id}")
    assert client.get(f"/people/{third.id}?merged=1").status_code == 302  # viewers: no
    other = app.test_client()
    sign_in(other, admin.email)
    page = other.get(f"/people/{third.id}?merged=1")
    assert page.status_code == 200 and "merged into" in page.get_data(as_text=True)


def test_positions_cannot_be_added_to_an_erased_person(app, client, signed_in, db) -> None:
    officer = signed_in("officer")
    rossi = register.create_organisation(ORGANISATION, officer)
    person = register.create_person(PERSON, officer, erasure_key=_key(app))
    privacy.erase_person(person, officer, _key(app))
    db.session.commit()
    before = _count(db, Position)
    response = client.post(
        f"/people/{person.id}/positions",
        data={
            "organisation": rossi.name,
            "role": "manager",
            "csrf_token": csrf_token(client, "/people/new"),
        },
    )
    # Back to the person's page (which has no position form for an erased person), saying why.
    assert response.status_code == 302
    assert "was erased" in client.get(f"/people/{person.id}").get_data(as_text=True)
    assert _count(db, Position) == before


def test_a_stale_or_odd_version_is_a_conflict(app, client, signed_in, db) -> None:
    officer = signed_in("officer")
    organisation = register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    path = f"/organisations/{organisation.id}/edit"
    token = csrf_token(client, path)
    for version in ("abc", "1e999", "9" * 5000, "١"):
        response = client.post(
            path, data={**ORGANISATION, "city": "Ulm", "version": version, "csrf_token": token}
        )
        assert response.status_code == 409, version[:10]
    assert db.session.get(Organisation, organisation.id).city == "Brescia"
