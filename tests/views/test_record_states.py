"""Records that take no edits (erased, deleted, merged away) say so on the page they come
back to, instead of an edit form with an empty title or a refusal nobody can see."""

from __future__ import annotations

import sqlalchemy as sa

from crm.models import Position
from crm.services import privacy, register
from tests import factories
from tests.conftest import csrf_token


def test_the_edit_page_of_an_erased_person_leads_back_saying_why(app, client, signed_in, db):
    admin = signed_in("admin")
    person = factories.make_person()
    privacy.erase_person(person, admin, app.config["CRM_ERASURE_KEY"].encode())
    db.session.commit()
    response = client.get(f"/people/{person.id}/edit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/people/{person.id}")
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "Not changed: person #" in page and "was erased" in page


def test_deleted_records_are_not_edited_and_say_why(client, signed_in, db):
    admin = signed_in("admin")
    firm = factories.make_organisation()
    person = factories.make_person()
    register.delete_record(person, admin)
    gone = factories.make_organisation()
    register.delete_record(gone, admin)
    db.session.commit()
    for path in (f"/people/{person.id}/edit", f"/organisations/{gone.id}/edit"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "restore it first" in client.get(response.headers["Location"]).get_data(as_text=True)
    token = csrf_token(client, f"/people/{person.id}")
    response = client.post(
        f"/people/{person.id}/positions",
        data={"organisation": firm.name, "role": "manager", "csrf_token": token},
    )
    assert response.status_code == 302  # back to the page, with the reason shown
    assert "restore it first" in client.get(f"/people/{person.id}").get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Position).where(Position.person_id == person.id)
        )
        == 0
    )
