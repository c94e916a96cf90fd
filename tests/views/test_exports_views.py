"""Exports through the pages (issue 7): the CSV's content type, headers in words, the XLSX's
phone numbers, and the list's filter."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from crm.extensions import db as _db
from tests import factories


def test_the_csv_names_its_charset_once(client, signed_in) -> None:
    signed_in("officer")
    for path in ("/people/export.csv", "/organisations/export.csv"):
        response = client.get(path)
        assert response.status_code == 200 and response.get_data()  # consumed: the stream ends
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", path


def test_exports_follow_the_list_filter_with_headers_in_words(client, signed_in, db) -> None:
    signed_in("officer")
    works = factories.make_organisation(name="Exportwerk GmbH")
    person = factories.make_person(first_name="Erika", last_name="Export", organisation=works)
    person.phone = "+49 711 1234"
    factories.make_person(first_name="Otto", last_name="Other")
    _db.session.commit()
    response = client.get(f"/people/export.csv?organisation={works.id}&sort=-country")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["First name"], r["Last name"], r["Organisations"]) for r in rows] == [
        ("Erika", "Export", "Exportwerk GmbH")
    ]
    assert rows[0]["Phone"] == "'+49 711 1234"  # CSV keeps its guard
    response = client.get(f"/people/export.xlsx?organisation={works.id}")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, row = [[c.value for c in r] for r in sheet.iter_rows()]
    values = dict(zip(header, row, strict=True))
    assert values["Phone"] == "+49 711 1234"  # a text cell: no stray apostrophe
    assert values["Country"] == "DE"
