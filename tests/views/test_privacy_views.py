"""Data protection and exports through the pages, with the roles that may use them."""

from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa
from openpyxl import load_workbook

from crm.models import ConsentRecord, Person
from crm.services import register
from tests import factories
from tests.conftest import csrf_token, sign_in

PERSON = {
    "first_name": "Łucja",
    "last_name": "Kowalska",
    "email": "l.kowalska@fpt.example",
    "phone": "+48 22 555 0101",
    "country_code": "PL",
    "lawful_basis": "consent",
    "lawful_basis_source": "Sign-up sheet, MACH 2026",
}

KEY = b"test-erasure-key"  # create_person checks e-mails against erased people


def _person(db, **change: str) -> Person:
    person = register.create_person({**PERSON, **change}, factories.make_user(), erasure_key=KEY)
    db.session.commit()
    return person


def test_exports_follow_the_filter_and_leave_restricted_people_out(
    client,
    signed_in,
    db,
) -> None:
    signed_in("officer")
    _person(db)
    _person(db, first_name='=HYPERLINK("http://x")', last_name="Kowalski", email="k@fpt.example")
    hidden = _person(db, first_name="Ola", last_name="Kowalczyk", email="o@fpt.example")
    db.session.get(Person, hidden.id).is_restricted = True
    db.session.commit()
    response = client.get("/people/export.csv?q=kowal")
    body = response.get_data()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    names = {row[2] for row in rows[1:]}
    assert "Kowalska" in names and "Kowalczyk" not in names
    assert any(row[1].startswith("'=HYPERLINK") for row in rows[1:])
    assert "attachment" in response.headers["Content-Disposition"]
    response = client.get("/people/export.xlsx?q=kowal")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    assert len(list(sheet.iter_rows())) == 3  # header and two people
    assert client.get("/organisations/export.csv").status_code == 200


def test_viewers_cannot_export(client, signed_in) -> None:
    signed_in("viewer")
    assert client.get("/people/export.csv").status_code == 403
    assert client.get("/organisations/export.xlsx").status_code == 403


def test_consent_is_recorded_and_bad_input_writes_nothing(client, signed_in, db) -> None:
    signed_in("officer")
    person = _person(db)
    path = f"/people/{person.id}"
    token = csrf_token(client, path)
    good = {
        "purpose": "newsletter",
        "status": "granted",
        "source": "METAV sign-up sheet",
        "given_on": "2026-03-10",
        "csrf_token": token,
    }
    for bad, message in (
        ({"source": ""}, 'id="source-error">This field is required.'),
        ({"given_on": "2099-01-01"}, 'id="given_on-error">'),
        ({"purpose": "spam"}, 'id="purpose-error">Not a valid choice.'),
    ):
        response = client.post(f"{path}/consents", data={**good, **bad})
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and message in page, bad
        assert 'value="2026-03-10"' in page or "given_on" in bad  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsentRecord)) == 0
    response = client.post(
        f"{path}/consents",
        data={
            "purpose": "newsletter",
            "status": "granted",
            "source": "METAV sign-up sheet",
            "given_on": "2026-03-10",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Consent recorded." in response.get_data(as_text=True)
    record = db.session.scalar(sa.select(ConsentRecord))
    assert record.source == "METAV sign-up sheet"


def test_restriction_then_subject_access_then_erasure(app, client, signed_in, db) -> None:
    from crm.services.framework import framework_tree

    signed_in("officer")
    person = _person(db)
    factories.make_outreach(("1.3b",), people=[db.session.get(Person, person.id)])
    db.session.commit()
    path = f"/people/{person.id}"
    token = csrf_token(client, path)
    client.post(
        f"{path}/restriction",
        data={"restricted": "y", "reason": "Asked on the phone", "csrf_token": token},
    )
    assert db.session.get(Person, person.id).is_restricted
    # Officers neither see subject-access nor erase.
    assert client.post(f"{path}/subject-access.json", data={"csrf_token": token}).status_code == 403
    assert (
        client.post(f"{path}/erase", data={"confirm": "y", "csrf_token": token}).status_code == 403
    )

    coordinator = factories.make_user("coordinator")
    db.session.commit()
    other = app.test_client()
    sign_in(other, coordinator.email)
    token = csrf_token(other, path)
    response = other.post(f"{path}/subject-access.json", data={"csrf_token": token})
    held = json.loads(response.get_data())
    assert held["person"]["last_name"] == "Kowalska"
    zipped = other.post(f"{path}/subject-access.zip", data={"csrf_token": token})
    assert zipped.mimetype == "application/zip"

    with app.app_context():
        before = [n.outreach_count for n in framework_tree()[1]]
    token = csrf_token(other, path)
    refused = other.post(f"{path}/erase", data={"csrf_token": token}, follow_redirects=True)
    assert "Not erased" in refused.get_data(as_text=True)
    response = other.post(
        f"{path}/erase", data={"confirm": "y", "csrf_token": token}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "was erased" in page and "Kowalska" not in page and "l.kowalska" not in page
    with app.app_context():
        assert [n.outreach_count for n in framework_tree()[1]] == before
    assert "Kowalska" not in other.get("/people?q=kowalska").get_data(as_text=True)


def test_subject_access_is_a_post_behind_csrf_and_audited(app, client, signed_in, db) -> None:
    from crm.models import AuditEntry

    signed_in("coordinator")
    person = _person(db)
    path = f"/people/{person.id}"
    page = client.get(path).get_data(as_text=True)
    for fmt in ("json", "zip"):
        # A small form with a button, not a link a prefetcher or crawler could follow.
        assert f'<form method="post" action="{path}/subject-access.{fmt}"' in page
        assert f'href="{path}/subject-access.{fmt}"' not in page

    def exports() -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.entity_id == person.id, AuditEntry.action == "subject-access"
            )
        )

    assert client.get(f"{path}/subject-access.json").status_code == 405
    assert client.get(f"{path}/subject-access.zip").status_code == 405
    assert client.post(f"{path}/subject-access.json").status_code == 400  # no CSRF token
    assert exports() == 0
    token = csrf_token(client, path)
    response = client.post(f"{path}/subject-access.json", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.get_data())["person"]["last_name"] == "Kowalska"
    assert "attachment" in response.headers["Content-Disposition"]
    response = client.post(f"{path}/subject-access.zip", data={"csrf_token": token})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert exports() == 2


def test_re_adding_a_former_email_of_an_erased_person_is_flagged(
    app, client, signed_in, db
) -> None:
    from crm.services import privacy

    officer = signed_in("officer")
    person = _person(db)
    register.update_person(
        db.session.get(Person, person.id),
        {**PERSON, "email": "lucja.k@new.example"},
        officer,
        person.version,
        erasure_key=KEY,
    )
    privacy.erase_person(person, officer, app.config["CRM_ERASURE_KEY"].encode())
    db.session.commit()
    token = csrf_token(client, "/people/new")
    for email in (PERSON["email"], "LUCJA.K@new.example"):
        response = client.post(
            "/people/new",
            data={**PERSON, "email": email, "first_name": "Lucja", "csrf_token": token},
        )
        assert response.status_code == 409, email
        page = response.get_data(as_text=True)
        assert "belonged to a person erased on" in page
        # The box asks what the question is about, not "is this another person?".
        assert "Add them again" in page and "this is not the same person" not in page


def test_editing_someone_to_an_erased_persons_email_is_a_question(app, client, signed_in, db):
    """Re-adding an erased person's e-mail by editing another record is flagged as on create:
    409 with the question, and saved only once 'Save anyway' is ticked."""
    from crm.services import privacy

    officer = signed_in("officer")
    erased = _person(db)
    privacy.erase_person(erased, officer, app.config["CRM_ERASURE_KEY"].encode())
    other = _person(db, first_name="Marek", last_name="Zając", email="marek@afm.example")
    db.session.commit()
    path = f"/people/{other.id}/edit"
    form = {
        **PERSON,
        "first_name": "Marek",
        "last_name": "Zając",
        "email": PERSON["email"],
        "version": str(other.version),
        "csrf_token": csrf_token(client, path),
    }
    response = client.post(path, data=form)
    assert response.status_code == 409
    assert "belonged to a person erased on" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, other.id).email == "marek@afm.example"
    response = client.post(path, data={**form, "confirm_duplicate": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, other.id).email == PERSON["email"]
