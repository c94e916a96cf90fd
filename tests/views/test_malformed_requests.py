"""Malformed requests answer 400 or 404 naming what was wrong, never a 500 (issue 7)."""

from __future__ import annotations

import io
import re
from functools import wraps

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from crm.extensions import db as _db
from crm.models import Organisation, Person
from crm.services.checks import MAX_ID
from crm.services.errors import ValidationError
from crm.services.search import ORGANISATION_SORTS, PEOPLE_SORTS, RegisterFilter
from crm.views.guards import accepts_files
from tests import factories
from tests.conftest import csrf_token, make_test_app, sign_in

FILTER_FORM = '<form method="get" class="filters"'


def _count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Filters: every value is checked ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        ({"kind": "bogus"}, "kind"),
        ({"size": "bogus"}, "size"),
        ({"country": "XX"}, "country"),
        ({"country": "Germany"}, "country"),
        ({"engaged": "9.9z"}, "engaged"),
        ({"never_engaged": "1.3"}, "never_engaged"),  # an item, not a sub-item: not a leaf
        ({"never_engaged": "nope"}, "never_engaged"),
        ({"sort": "bogus"}, "sort"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "9" * 30}, "page"),
        ({"officer": "x"}, "officer"),
        ({"officer": "999999999"}, "officer"),
        ({"officer": str(2**64)}, "officer"),
        ({"officer": str(2**31)}, "officer"),  # beyond any id: refused before the look-up
        ({"organisation": "x"}, "organisation"),
        ({"organisation": "999999999"}, "organisation"),
        ({"deleted": "yes"}, "deleted"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"tag": "t" * 81}, "tag"),
    ],
)
def test_a_bad_filter_value_raises_naming_its_parameter(app, db, args, parameter) -> None:
    with pytest.raises(ValidationError) as refused:
        RegisterFilter.from_args(args)
    assert refused.value.field == parameter


def test_good_filter_values_are_read(app, db) -> None:
    officer = factories.make_user()
    organisation = factories.make_organisation()
    f = RegisterFilter.from_args(
        {
            "kind": "Enterprise",
            "size": "small",
            "country": "de",
            "engaged": "1.3B",
            "never_engaged": "1.3a",
            "officer": str(officer.id),
            "organisation": str(organisation.id),
            "sort": "-country",
            "page": "2",
            "deleted": "1",
            "unknown": "ignored",
        }
    )
    assert (f.kind, f.size, f.country, f.engaged, f.never_engaged) == (
        "enterprise",
        "small",
        "DE",
        "1.3b",
        "1.3a",
    )
    assert (f.officer, f.organisation, f.sort, f.page, f.deleted) == (
        officer.id,
        organisation.id,
        "-country",
        2,
        True,
    )


def test_the_sorts_of_one_list_are_its_own(app, db) -> None:
    with pytest.raises(ValidationError):
        RegisterFilter.from_args({"sort": "kind"}, PEOPLE_SORTS)
    assert RegisterFilter.from_args({"sort": "-kind"}, ORGANISATION_SORTS).sort == "-kind"


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/people?kind=bogus", "kind"),
        ("/organisations?size=bogus", "size"),
        ("/people?engaged=9.9z", "engaged"),
        ("/organisations?never_engaged=1.3", "never_engaged"),
        ("/people?sort=kind", "sort"),
        ("/organisations?sort=-bogus", "sort"),
        ("/people?page=0", "page"),
        ("/organisations?officer=abc", "officer"),
        ("/people?organisation=999999999", "organisation"),
        ("/people/export.csv?kind=bogus", "kind"),
        ("/people/export.xlsx?never_engaged=zz", "never_engaged"),
        ("/organisations/export.csv?size=bogus", "size"),
        ("/organisations/export.xlsx?sort=bogus", "sort"),
    ],
)
def test_lists_and_exports_answer_400_with_the_message_and_the_form(
    client,
    signed_in,
    url,
    parameter,
) -> None:
    signed_in("officer")
    response = client.get(url)
    assert response.status_code == 400, url
    page = response.get_data(as_text=True)
    assert f"<li>{parameter}: " in page, page
    assert FILTER_FORM in page
    assert '<table class="data">' not in page  # nothing looked up, nothing shown


def test_the_form_beside_the_message_keeps_what_was_typed(client, signed_in) -> None:
    signed_in("viewer")
    response = client.get("/people?engaged=9.9z&q=m%C3%BCller&country=DE")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "&#39;9.9z&#39; is not a sub-item of the framework" in page
    assert 'name="engaged" value="9.9z"' in page
    assert 'name="q" value="müller"' in page
    assert '<option value="DE" selected>' in page


# --- Ids no database can hold ----------------------------------------------------------------


def _id_routes(app) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
    ]


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_every_route_with_an_id_answers_404_for_ids_no_record_can_have(
    app,
    client,
    signed_in,
    number,
) -> None:
    signed_in("admin")
    rules = _id_routes(app)
    assert len(rules) >= 14  # a route added later is checked too
    for rule in rules:
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg]
            is_id = isinstance(converter, IntegerConverter)
            values[arg] = number if is_id else sorted(getattr(converter, "items", ["x"]))[0]
        url = rule.build(values)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 404, (method, url, response.status_code)


def test_the_largest_id_is_still_an_id(client, signed_in) -> None:
    signed_in("admin")
    assert MAX_ID == 2**31 - 1  # Integer primary keys on PostgreSQL; 2**63 - 1 on SQLite
    for path in ("/people/", "/organisations/"):
        assert client.get(f"{path}{MAX_ID}").status_code == 404  # looked up, not found
        assert client.get(f"{path}{MAX_ID}/edit").status_code == 404
    assert client.get(f"/people?officer={MAX_ID}").status_code == 400  # no such user
    assert client.get(f"/people?organisation={MAX_ID + 1}").status_code == 400


# --- Files where text is expected ------------------------------------------------------------


PERSON = {"first_name": "Ana", "lawful_basis": "consent", "lawful_basis_source": "Form"}


def test_a_file_in_a_text_field_is_a_400_naming_the_field(client, signed_in, db) -> None:
    signed_in("officer")
    token = csrf_token(client, "/people/new")
    people = _count(Person)
    response = client.post(
        "/people/new",
        data={**PERSON, "csrf_token": token, "last_name": (io.BytesIO(b"x" * 10), "name.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "last_name: a file was sent where text was expected" in response.get_data(as_text=True)
    assert _count(Person) == people
    organisations = _count(Organisation)
    response = client.post(
        "/organisations/new",
        data={
            "csrf_token": token,
            "name": (io.BytesIO(b"x"), "a.txt"),
            "city": (io.BytesIO(b"y"), "b.txt"),
            "kind": "enterprise",
            "country_code": "DE",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "city, name: a file was sent" in response.get_data(as_text=True)
    assert _count(Organisation) == organisations


def test_a_multipart_form_without_files_still_works(client, signed_in, db) -> None:
    signed_in("officer")
    token = csrf_token(client, "/people/new")
    response = client.post(
        "/people/new",
        data={**PERSON, "last_name": "Multipart", "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def test_past_the_guard_the_service_refuses_a_file_as_text(app, database_url, tmp_path, db) -> None:
    # A view that takes files (none does today) still cannot store one as text: clean_text
    # refuses it, and the view shows the refusal beside the field. An empty file input (no
    # file chosen) passes WTForms' length check, so it reaches the service.
    files_app = make_test_app(database_url, tmp_path)
    create = files_app.view_functions["people.create"]
    files_app.view_functions["people.create"] = accepts_files(wraps(create)(lambda: create()))
    user = factories.make_user()
    _db.session.commit()
    client = files_app.test_client()
    sign_in(client, user.email)
    token = csrf_token(client, "/people/new")
    people = _count(Person)
    response = client.post(
        "/people/new",
        data={**PERSON, "csrf_token": token, "last_name": (io.BytesIO(b""), "")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert re.search(r'id="last_name-error">[^<]*expected text', response.get_data(as_text=True))
    assert _count(Person) == people
