"""What every page carries for phones, keyboards and screen readers, read from the HTML the
server sends (the browser tests in tests/e2e check how it looks and behaves)."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import csrf_token

MARK = '<span class="required" aria-hidden="true">(required)</span>'


def _html(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_a_refused_form_starts_with_a_summary_linking_to_each_field(client, signed_in) -> None:
    signed_in("officer")
    token = csrf_token(client, "/people/new")
    response = client.post("/people/new", data={"csrf_token": token, "email": "not an address"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = re.search(
        r'<div class="error-summary" role="alert" tabindex="-1".*?</div>', html, re.S
    )
    assert summary, "no error summary"
    assert html.index("error-summary") < html.index('<form method="post" novalidate')
    links = re.findall(r'<a href="#([a-z_]+)">([^<]+)</a>', summary.group(0))
    assert ("email", "E-mail: Invalid email address.") in links
    assert any(field == "lawful_basis_source" for field, _ in links), links
    # Each link leads to a field of the page.
    for field, _ in links:
        assert f'id="{field}"' in html


def test_a_refused_sign_in_has_the_summary_too(client) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert '<a href="#email">E-mail: This field is required.</a>' in html


def test_required_fields_are_marked_before_submitting(client, signed_in) -> None:
    signed_in("officer")
    html = _html(client, "/people/new")
    source = re.search(
        r'<label for="lawful_basis_source">[^<]*</label>(<span[^>]*>[^<]*</span>)', html
    )
    assert source and source.group(1) == MARK
    assert re.search(r'<input[^>]*id="lawful_basis_source"[^>]*required', html)
    # An optional field has no marker.
    phone = re.search(r'<label for="phone">Phone</label>(.*?)</span>', html)
    assert phone and "required" not in phone.group(1)
    # Its hint is read with it.
    assert re.search(
        r'<input[^>]*aria-describedby="lawful_basis_source-hint"[^>]*id="lawful_basis_source"', html
    )


@pytest.mark.parametrize("path", ["/", "/people", "/organisations", "/duplicates", "/account"])
def test_every_page_has_the_register_search_in_its_header(client, signed_in, path: str) -> None:
    signed_in("viewer")
    html = _html(client, path)
    header = html[html.index("<header") : html.index("</header>")]
    found = re.search(r'<form class="site-search" [^>]*role="search".*?</form>', header, re.S)
    assert found, "no search form in the header"
    form = found.group(0)
    assert 'action="/people"' in form and 'formaction="/organisations"' in form
    assert '<label class="visually-hidden" for="site-q">Search the register</label>' in form
    assert 'id="site-q" name="q"' in form and 'aria-keyshortcuts="/"' in form


def test_the_signed_out_header_has_no_search(client) -> None:
    assert 'id="site-q"' not in _html(client, "/login")


def test_list_filters_fold_unless_one_is_set(client, signed_in) -> None:
    signed_in("officer")
    plain = _html(client, "/people")
    assert re.search(r'<details class="filter-more" data-open-wide>', plain)
    before_folding = plain.split('class="filters"')[1].split("<details")[0]
    assert '<input type="search" id="q" name="q"' in before_folding  # always in view
    filtered = _html(client, "/organisations?country=DE&tag=supplier")
    assert re.search(r'<details class="filter-more" data-open-wide open>', filtered)
    assert '<span class="badge">2 set</span>' in filtered
    response = client.get("/people?officer=nobody")  # a refused filter: 400, filters open
    assert response.status_code == 400
    refused = response.get_data(as_text=True)
    assert re.search(r'<details class="filter-more" data-open-wide data-keep-open open>', refused)


def test_register_tables_label_each_cell_for_phones(client, signed_in, db) -> None:
    signed_in("officer")
    factories.make_person(first_name="Ana", last_name="Kovač")
    db.session.commit()
    html = _html(client, "/people")
    assert '<table class="data reflow">' in html
    for label in ("Name", "Organisation", "E-mail", "Country", "Tags"):
        assert f'<td data-label="{label}">' in html
