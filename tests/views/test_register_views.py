"""The register's pages: lists and search, create with duplicate warnings, edits, deletes."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from crm.models import Organisation, Person
from crm.services import register
from tests import factories
from tests.conftest import csrf_token

ORGANISATION = {
    "name": "Officine Meccaniche Rossi S.p.A.",
    "kind": "enterprise",
    "country_code": "IT",
    "city": "Brescia",
    "headcount": "120",
}

KEY = b"test-erasure-key"  # create_person checks e-mails against erased people


def _version(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html).group(1)


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_unaccented_search_finds_accented_names(client, signed_in, db) -> None:
    officer = signed_in("viewer")
    organisation = register.create_organisation(
        {"name": "Müller Präzisionstechnik GmbH", "kind": "enterprise", "country_code": "DE"},
        officer,
    )
    register.create_person(
        {
            "first_name": "Jürgen",
            "last_name": "Müller",
            "email": "jm@mueller.example",
            "lawful_basis": "consent",
            "lawful_basis_source": "Web form",
        },
        officer,
        position={"organisation_id": organisation.id, "role": "manager"},
        erasure_key=KEY,
    )
    register.create_person(
        {
            "first_name": "Anna",
            "last_name": "Schmidt",
            "lawful_basis": "consent",
            "lawful_basis_source": "Web form",
        },
        officer,
        erasure_key=KEY,
    )
    db.session.commit()
    page = client.get("/people?q=muller").get_data(as_text=True)
    assert "Müller, Jürgen" in page and "Schmidt" not in page
    assert "Müller, Jürgen" in client.get("/people?q=prazision").get_data(as_text=True)
    page = client.get("/organisations?q=MULLER+prazisions&country=DE").get_data(as_text=True)
    assert "Müller Präzisionstechnik GmbH" in page and "1 organisation" in page
    assert "0 organisations" in client.get("/organisations?q=muller&country=FR").get_data(
        as_text=True
    )


def test_bad_list_arguments_are_refused_with_a_message(client, signed_in) -> None:
    signed_in("viewer")
    response = client.get("/people?page=abc&officer=x")
    assert response.status_code == 400  # issue 7: refused, naming each parameter
    page = response.get_data(as_text=True)
    assert "page: &#39;abc&#39; is not a whole number" in page
    assert "officer: &#39;x&#39; is not a whole number" in page


def test_create_an_organisation_and_see_it(client, signed_in, db) -> None:
    signed_in("officer")
    response = client.post(
        "/organisations/new",
        data={
            **ORGANISATION,
            "tags": "pilot, Lombardy",
            "csrf_token": csrf_token(client, "/organisations/new"),
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Officine Meccaniche Rossi S.p.A." in page and "Medium" in page and "Lombardy" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "n" * 201}, "Field cannot be longer than 200 characters."),
        ({"country_code": "XX"}, "Not a valid choice."),
        ({"email": "rossi@"}, "Invalid email address."),
        ({"headcount": "-4"}, "must be between 0"),
    ],
)
def test_bad_organisations_are_refused_beside_the_field(
    client,
    signed_in,
    db,
    change,
    message,
) -> None:
    signed_in("officer")
    before = _count(db, Organisation)
    data = {**ORGANISATION, **change, "csrf_token": csrf_token(client, "/organisations/new")}
    response = client.post("/organisations/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and 'class="error"' in page
    assert 'value="Brescia"' in page  # what was typed is kept
    assert _count(db, Organisation) == before


def test_markup_is_shown_escaped_everywhere(client, signed_in, db) -> None:
    signed_in("officer")
    response = client.post(
        "/organisations/new",
        data={
            **ORGANISATION,
            "name": "<script>alert(1)</script> Rossi",
            "csrf_token": csrf_token(client, "/organisations/new"),
        },
    )
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    listing = client.get("/organisations?q=rossi").get_data(as_text=True)
    for page in (detail, listing):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Rossi" in page


def test_a_likely_duplicate_warns_before_saving(client, signed_in, db) -> None:
    officer = signed_in("officer")
    register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    before = _count(db, Organisation)
    data = {**ORGANISATION, "name": "officine meccaniche ROSSI spa"}
    token = csrf_token(client, "/organisations/new")
    response = client.post("/organisations/new", data={**data, "csrf_token": token})
    assert response.status_code == 409
    assert "Possible duplicates" in response.get_data(as_text=True)
    assert _count(db, Organisation) == before
    response = client.post(
        "/organisations/new", data={**data, "confirm_duplicate": "y", "csrf_token": token}
    )
    assert response.status_code == 302
    assert _count(db, Organisation) == before + 1


def test_two_concurrent_edits_second_gets_409_first_survives(app, client, signed_in, db) -> None:
    from tests.conftest import sign_in

    officer = signed_in("officer")
    colleague = factories.make_user("officer")
    organisation = register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    other = app.test_client()
    sign_in(other, colleague.email)
    path = f"/organisations/{organisation.id}/edit"
    mine, theirs = _version(client, path), _version(other, path)
    token_mine, token_theirs = csrf_token(client, path), csrf_token(other, path)
    first = client.post(
        path, data={**ORGANISATION, "city": "Bergamo", "version": mine, "csrf_token": token_mine}
    )
    assert first.status_code == 302
    second = other.post(
        path, data={**ORGANISATION, "city": "Milano", "version": theirs, "csrf_token": token_theirs}
    )
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "changed by someone else" in page
    assert re.search(r"<th scope=\"row\">city</th><td>Bergamo</td><td>Milano</td>", page)
    assert db.session.get(Organisation, organisation.id).city == "Bergamo"


def test_the_audit_log_shows_on_the_record_to_coordinators_only(
    app,
    client,
    signed_in,
    db,
) -> None:
    from tests.conftest import sign_in

    officer = signed_in("officer")
    organisation = register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    path = f"/organisations/{organisation.id}/edit"
    client.post(
        path,
        data={
            **ORGANISATION,
            "city": "Bergamo",
            "version": _version(client, path),
            "csrf_token": csrf_token(client, path),
        },
    )
    assert "Brescia" not in client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    coordinator = factories.make_user("coordinator")
    db.session.commit()
    other = app.test_client()
    sign_in(other, coordinator.email)
    page = other.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert re.search(r"<th scope=\"row\">city</th>\s*<td>Brescia</td>\s*<td>Bergamo</td>", page)


def test_viewers_cannot_write_and_only_admins_restore(client, signed_in, db) -> None:
    officer = factories.make_user("officer")
    organisation = register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    signed_in("viewer")
    token = csrf_token(client, "/")
    for path in (
        "/organisations/new",
        f"/organisations/{organisation.id}/edit",
        f"/organisations/{organisation.id}/delete",
        "/people/new",
    ):
        assert client.post(path, data={**ORGANISATION, "csrf_token": token}).status_code == 403
    # Requests end the shared test session: load the record again before changing it.
    register.delete_record(db.session.get(Organisation, organisation.id), officer)
    db.session.commit()
    assert client.get(f"/organisations/{organisation.id}").status_code == 404
    assert (
        client.post(
            f"/organisations/{organisation.id}/restore", data={"csrf_token": token}
        ).status_code
        == 403
    )


def test_an_officer_deletes_and_an_admin_restores(app, client, signed_in, db) -> None:
    from tests.conftest import sign_in

    officer = signed_in("officer")
    organisation = register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    response = client.post(
        f"/organisations/{organisation.id}/delete", data={"csrf_token": csrf_token(client, "/")}
    )
    assert response.status_code == 302
    assert "0 organisations" in client.get("/organisations?q=rossi").get_data(as_text=True)
    admin = factories.make_user("admin")
    db.session.commit()
    other = app.test_client()
    sign_in(other, admin.email)
    assert "Officine" in other.get("/organisations?q=rossi&deleted=1").get_data(as_text=True)
    response = other.post(
        f"/organisations/{organisation.id}/restore", data={"csrf_token": csrf_token(other, "/")}
    )
    assert response.status_code == 302
    assert db.session.get(Organisation, organisation.id).deleted_at is None


def test_create_a_person_at_an_organisation_typed_by_name(client, signed_in, db) -> None:
    officer = signed_in("officer")
    register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    token = csrf_token(client, "/people/new")
    person = {
        "first_name": "Giulia",
        "last_name": "Bianchi",
        "email": "g.bianchi@rossi.example",
        "lawful_basis": "legitimate-interest",
        "lawful_basis_source": "BIEMH 2026 stand",
        "position_title": "HR manager",
        "position_role": "manager",
        "csrf_token": token,
    }
    response = client.post("/people/new", data={**person, "organisation": "meccaniche rossi"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Officine Meccaniche Rossi S.p.A." in page and "HR manager" in page
    before = _count(db, Person)
    response = client.post(
        "/people/new",
        data={**person, "email": "other@rossi.example", "organisation": "Nonexistent Works"},
    )
    assert response.status_code == 400
    assert "no organisation matches" in response.get_data(as_text=True)
    response = client.post(
        "/people/new", data={**person, "email": "G.Bianchi@rossi.example", "organisation": ""}
    )
    # The same e-mail as someone live: refused at once, with no "save anyway" to offer.
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already belongs to" in page and "Save anyway" not in page
    assert _count(db, Person) == before


def test_duplicates_page_and_merge_roles(app, client, signed_in, db) -> None:
    from tests.conftest import sign_in

    officer = signed_in("officer")
    first = register.create_organisation(ORGANISATION, officer)
    second = register.create_organisation(
        {**ORGANISATION, "name": "Officine Meccaniche Rossi"}, officer, confirmed=True
    )
    db.session.commit()
    page = client.get("/duplicates").get_data(as_text=True)
    assert "Officine Meccaniche Rossi S.p.A." in page and "same name and country" in page
    assert "Keep #" not in page  # officers see candidates but cannot merge
    data = {"keep": first.id, "merge": second.id, "csrf_token": csrf_token(client, "/")}
    assert client.post("/duplicates/organisations/merge", data=data).status_code == 403
    coordinator = factories.make_user("coordinator")
    db.session.commit()
    other = app.test_client()
    sign_in(other, coordinator.email)
    data["csrf_token"] = csrf_token(other, "/")
    response = other.post("/duplicates/organisations/merge", data=data)
    assert response.status_code == 302
    assert db.session.get(Organisation, second.id).deleted_at is not None
    assert "No likely duplicates" in other.get("/duplicates").get_data(as_text=True)
    bad = other.post(
        "/duplicates/organisations/merge",
        data={"keep": "x", "merge": "1", "csrf_token": data["csrf_token"]},
    )
    assert bad.status_code == 400


def test_links_show_on_both_sides_and_can_end(client, signed_in, db) -> None:
    officer = signed_in("officer")
    rossi = register.create_organisation(ORGANISATION, officer)
    ucimu = register.create_organisation(
        {
            "name": "UCIMU-Sistemi per Produrre",
            "kind": "national-association",
            "country_code": "IT",
        },
        officer,
    )
    db.session.commit()
    path = f"/organisations/{rossi.id}"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/links",
        data={
            "link_type": "member-of",
            "target": "ucimu",
            "starts_on": "2019-03-01",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert "Member of" in client.get(path).get_data(as_text=True)
    other_side = client.get(f"/organisations/{ucimu.id}").get_data(as_text=True)
    assert "Officine Meccaniche Rossi S.p.A.</a> is member of this organisation" in other_side
    bad = client.post(
        f"{path}/links",
        data={"link_type": "member-of", "target": "ucimu", "csrf_token": token},
        follow_redirects=True,
    )
    assert bad.status_code == 400
    assert 'id="target-error">' in bad.get_data(as_text=True)
    assert "already member of" in bad.get_data(as_text=True)
    assert 'value="ucimu"' in bad.get_data(as_text=True)  # what was typed is kept
    bad = client.post(
        f"{path}/links",
        data={"link_type": "member-of", "target": "officine", "csrf_token": token},
        follow_redirects=True,
    )
    assert "cannot be linked to itself" in bad.get_data(as_text=True)
    from crm.models import OrganisationLink

    link_id = db.session.scalar(sa.select(OrganisationLink.id))
    bad = client.post(
        f"{path}/links/{link_id}/end",
        data={"ends_on": "2019-01-01", "csrf_token": token},
        follow_redirects=True,
    )
    assert "end cannot come before the start" in bad.get_data(as_text=True)
    ok = client.post(
        f"{path}/links/{link_id}/end", data={"ends_on": "2025-12-31", "csrf_token": token}
    )
    assert ok.status_code == 302
    assert db.session.get(OrganisationLink, link_id).ends_on.isoformat() == "2025-12-31"


PERSON_FORM = {
    "first_name": "Giulia",
    "last_name": "Bianchi",
    "email": "g.bianchi@rossi.example",
    "country_code": "IT",
    "lawful_basis": "legitimate-interest",
    "lawful_basis_source": "BIEMH 2026 stand",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_name": "", "last_name": ""}, "a first or a last name is required"),
        ({"last_name": "B" * 101}, "Field cannot be longer than 100 characters."),
        ({"email": "giulia@"}, "Invalid email address."),
        ({"country_code": "XX"}, "Not a valid choice."),
        ({"lawful_basis_source": ""}, "This field is required."),
        ({"position_starts_on": "31/02/2026", "organisation": "rossi"}, "Not a valid date value."),
    ],
)
def test_bad_people_are_refused_beside_the_field(
    client,
    signed_in,
    db,
    change,
    message,
) -> None:
    signed_in("officer")
    before = _count(db, Person)
    data = {**PERSON_FORM, **change, "csrf_token": csrf_token(client, "/people/new")}
    response = client.post("/people/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'value="BIEMH 2026 stand"' in page or change.get("lawful_basis_source") == ""
    assert _count(db, Person) == before


def test_a_position_ending_before_it_starts_is_refused(client, signed_in, db) -> None:
    officer = signed_in("officer")
    register.create_organisation(ORGANISATION, officer)
    person = register.create_person(PERSON_FORM, officer, erasure_key=KEY)
    db.session.commit()
    path = f"/people/{person.id}"
    response = client.post(
        f"{path}/positions",
        data={
            "organisation": "officine rossi",
            "role": "manager",
            "starts_on": "2025-05-01",
            "ends_on": "2025-04-01",
            "csrf_token": csrf_token(client, path),
        },
        follow_redirects=True,
    )
    assert "the end cannot come before the start" in response.get_data(as_text=True)
    assert db.session.get(Person, person.id).positions == []


def test_filters_by_kind_officer_tag_and_engagement(client, signed_in, db) -> None:
    officer = signed_in("officer")
    engaged = register.create_organisation(ORGANISATION, officer, tags=["pilot"])
    quiet = register.create_organisation(
        {**ORGANISATION, "name": "Utensileria Verdi", "responsible_officer_id": officer.id}, officer
    )
    association = register.create_organisation(
        {"name": "UCIMU", "country_code": "IT", "kind": "national-association"}, officer
    )
    factories.make_outreach(("1.3b",), organisations=[db.session.get(Organisation, engaged.id)])
    db.session.commit()

    def names(query: str) -> set[str]:
        page = client.get(f"/organisations?{query}").get_data(as_text=True)
        return {n for n in (engaged.name, quiet.name, association.name) if f">{n}</a>" in page}

    assert names("engaged=1.3b") == {engaged.name}
    assert names("never_engaged=1.3b&kind=enterprise") == {quiet.name}
    assert names(f"officer={officer.id}") == {quiet.name}
    assert names("tag=pilot") == {engaged.name}
    assert names("kind=national-association") == {association.name}
    assert names("size=medium") == {engaged.name, quiet.name}


def test_re_adding_an_erased_person_needs_a_decision(app, client, signed_in, db) -> None:
    from crm.services import privacy

    officer = signed_in("officer")
    person = register.create_person(PERSON_FORM, officer, erasure_key=KEY)
    privacy.erase_person(person, officer, app.config["CRM_ERASURE_KEY"].encode())
    db.session.commit()
    token = csrf_token(client, "/people/new")
    response = client.post("/people/new", data={**PERSON_FORM, "csrf_token": token})
    assert response.status_code == 409
    assert "belonged to a person erased on" in response.get_data(as_text=True)
    response = client.post(
        "/people/new",
        data={
            **PERSON_FORM,
            "confirm_duplicate": "y",
            "lawful_basis": "consent",
            "lawful_basis_source": "Asked to be re-added",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302


def test_a_position_is_ended_from_the_record(client, signed_in, db) -> None:
    officer = signed_in("officer")
    rossi = register.create_organisation(ORGANISATION, officer)
    person = register.create_person(
        PERSON_FORM,
        officer,
        position={"organisation_id": rossi.id, "role": "manager", "starts_on": date(2022, 1, 1)},
        erasure_key=KEY,
    )
    db.session.commit()
    position_id = db.session.get(Person, person.id).positions[0].id
    path = f"/people/{person.id}"
    token = csrf_token(client, path)
    bad = client.post(
        f"{path}/positions/{position_id}/end",
        data={"ends_on": "2021-12-31", "csrf_token": token},
        follow_redirects=True,
    )
    assert "end cannot come before the start" in bad.get_data(as_text=True)
    ok = client.post(
        f"{path}/positions/{position_id}/end", data={"ends_on": "2026-06-30", "csrf_token": token}
    )
    assert ok.status_code == 302
    ended = db.session.get(Person, person.id).positions[0]
    assert ended.ends_on == date(2026, 6, 30)


def test_search_pages_count_and_clamp(client, signed_in, db) -> None:
    officer = signed_in("viewer")
    for n in range(3):
        register.create_person(
            {
                "first_name": f"Ana{n}",
                "last_name": "Ferreira",
                "lawful_basis": "consent",
                "lawful_basis_source": "Form",
            },
            officer,
            erasure_key=KEY,
        )
    db.session.commit()
    assert "3 people" in client.get("/people?q=ferreira").get_data(as_text=True)
    page = client.get("/people?q=ferreira&page=9").get_data(as_text=True)
    assert "3 people" in page and "Ferreira, Ana2" in page
    assert "0 people" in client.get("/people?q=ferreira+zz").get_data(as_text=True)
