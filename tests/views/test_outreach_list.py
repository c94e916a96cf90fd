"""The outreach list and its exports through the pages: every parameter malformed is a 400
naming it, who sees what, the exports' columns, guard and left-out people, the home page's
links and the nav link."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from openpyxl import load_workbook

from crm.extensions import db as _db
from crm.models import Outreach, OutreachPerson
from crm.services.outreach.listing import PAGE_SIZE
from tests import factories
from tests.conftest import sign_in

MALFORMED = {
    "from": ["2026-13-01", "yesterday", "NaN", "2026-02-30", "[]"],
    "to": ["2026/01/01", "9999-01-01"],
    "year": ["NaN", "20x6", "1e3", "9" * 30, "-2026", "١٢٣٤"],
    "quarter": ["2026-Q0", "Q2", "2026-Q2x"],
    "subitem": ["1.3", "zz", "1.\u202e3b"],
    "commitment": ["8", "x" * 50],
    "channel": ["fax", "EMAIL;"],
    "direction": ["up"],
    "outcome": ["great"],
    "officer": ["2147483648", "99999999999999999999999", "0", "you", "1.5"],
    "kind": ["people"],
    "country": ["DEU", "ZZ", "\u0000"],
    "material": ["2147483647", "-3", "NaN"],
    "event": ["9223372036854775808", "abc"],
    "q": ["a\u202eb", "x" * 201, "\u0007bell"],
    "deleted": ["2", "true"],
    "sort": ["name", "-newest", "subject;drop"],
    "page": ["0", "-1", "1e9", "1_0", str(10**10)],
}


def _record(officer, subject: str = "Visit", **extra) -> Outreach:
    record = factories.make_outreach(("1.3b",), logged_by=officer, **extra)
    record.subject = subject
    _db.session.flush()
    return record


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in MALFORMED.items() for value in values]
)
def test_every_parameter_malformed_is_a_400_naming_it(client, signed_in, name, value) -> None:
    signed_in("admin")
    for path in ("/outreach", "/outreach/export.csv", "/outreach/export.xlsx"):
        response = client.get(path, query_string={name: value})
        assert response.status_code == 400, (path, name, value)
        page = response.get_data(as_text=True)
        assert "This list cannot be shown" in page
        errors = re.search(r'role="alert">(.*?)</div>', page, re.S)
        assert errors and f"<li>{name}: " in errors.group(1), (name, value)
        # The form is there, filled with what was typed where it is text.
        assert 'class="filters"' in page


def test_a_period_that_ends_before_it_starts_names_its_end(client, signed_in) -> None:
    signed_in("viewer")
    response = client.get("/outreach?from=2026-05-01&to=2026-04-30")
    assert response.status_code == 400
    assert "<li>to: the period ends (30 Apr 2026) before it starts" in response.get_data(
        as_text=True
    )
    response = client.get("/outreach?year=2025&quarter=2026-Q1&channel=fax")
    page = response.get_data(as_text=True)
    assert "<li>quarter: " in page and "<li>channel: " in page  # every error at once


def test_arrays_and_repeats_are_refused_not_a_500(client, signed_in) -> None:
    signed_in("viewer")
    for query in ("channel=email&channel=call", "officer[]=1", "year=2026&year=2025"):
        response = client.get("/outreach?" + query)
        assert response.status_code in (200, 400), query
    response = client.get("/outreach?channel=email&channel=call&q=a&q=a")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<li>channel: given 2 times; give one value</li>" in page
    assert "<li>q: given 2 times; give one value</li>" in page


def test_officer_me_is_for_those_who_log_outreach(client, signed_in) -> None:
    signed_in("viewer")
    response = client.get("/outreach?officer=me")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<li>officer: &#39;me&#39;: you do not log outreach" in page
    assert '<option value="me"' not in client.get("/outreach").get_data(as_text=True)


def test_sign_in_is_needed_and_viewers_read_without_exports(client, signed_in, db) -> None:
    assert client.get("/outreach").status_code == 302
    assert client.get("/outreach/export.csv").status_code == 302
    viewer = signed_in("viewer")
    _record(viewer, "Viewer-visible visit")
    _db.session.commit()
    page = client.get("/outreach").get_data(as_text=True)
    assert "Viewer-visible visit" in page
    assert "Export this list" not in page
    assert "Log outreach" not in page
    assert 'name="deleted"' not in page
    assert client.get("/outreach/export.csv").status_code == 403
    assert client.get("/outreach/export.xlsx").status_code == 403


@pytest.mark.parametrize(
    ("role", "logs", "exports", "restores"),
    [
        ("admin", True, True, True),
        ("coordinator", True, True, False),
        ("officer", True, True, False),
        ("organiser", True, False, False),
        ("viewer", False, False, False),
    ],
)
def test_what_each_role_is_offered(client, signed_in, role, logs, exports, restores) -> None:
    signed_in(role)
    page = client.get("/outreach").get_data(as_text=True)
    assert ('href="/outreach/new"' in page) is logs
    assert ("Export this list" in page) is exports
    assert ('name="deleted"' in page) is restores
    expected = 200 if exports else 403
    assert client.get("/outreach/export.csv").status_code == expected


def test_deleted_records_only_for_admins(app, client, signed_in, db) -> None:
    officer = signed_in("officer")
    gone = _record(officer, "Deleted visit")
    gone.deleted_at = datetime.now(UTC)
    _record(officer, "Live visit")
    _db.session.commit()
    for path in ("/outreach", "/outreach/export.csv"):
        response = client.get(path + "?deleted=1")  # refused, not answered with live ones
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "<li>deleted: only administrators see deleted outreach" in page
        assert "Deleted visit" not in page and "Live visit" not in page
    admin = factories.make_user(role="admin")
    _db.session.commit()
    client = app.test_client()
    assert sign_in(client, admin.email).status_code == 302
    page = client.get("/outreach?deleted=1").get_data(as_text=True)
    assert "Deleted visit" in page and "Live visit" not in page
    assert "Deleted records are never exported." in page
    rows = client.get("/outreach/export.csv?deleted=1").get_data().decode("utf-8-sig")
    assert "Deleted visit" not in rows
    # The row leads to the record's page, which offers the admin its restore.
    assert f'href="/outreach/{gone.id}"' in page
    detail = client.get(f"/outreach/{gone.id}").get_data(as_text=True)
    assert f'action="/outreach/{gone.id}/restore"' in detail


def test_rows_link_to_the_record_and_pages_keep_the_filter(client, signed_in, db) -> None:
    officer = signed_in("officer")
    first = datetime(2026, 4, 1, 8, tzinfo=UTC)
    count = PAGE_SIZE + 5  # a full page, and five records on the second
    records = [
        _record(officer, f"Call {n:02d}", occurred_at=first + timedelta(hours=n))
        for n in range(count)
    ]
    _db.session.commit()
    page = client.get("/outreach?subitem=1.3b&officer=me").get_data(as_text=True)
    newest = f"Call {count - 1:02d}"
    assert f'href="/outreach/{records[-1].id}">{newest}</a>' in page
    assert f'<p class="result-count">{count} records</p>' in page
    assert "Call 04" not in page
    following = re.search(r'href="([^"]+)" rel="next"', page)
    assert following
    second = client.get(unescape(following.group(1))).get_data(as_text=True)
    assert "Call 04" in second and newest not in second
    assert "officer=me" in unescape(following.group(1))
    # Times in the viewer's zone: 08:00 UTC is 10:00 in Brussels in April.
    assert ">01 Apr 2026 10:00</time>" in second


def test_the_export_holds_the_list_one_row_per_record_guarded(client, signed_in, db) -> None:
    officer = signed_in("officer")
    works = factories.make_organisation(name='=HYPERLINK("x") Werk')
    shown = factories.make_person(first_name="Erika", last_name="Export", organisation=works)
    restricted = factories.make_person(first_name="Rita", last_name="Restricted")
    restricted.is_restricted = True
    erased = factories.make_person(first_name="Ernst", last_name="Erased")
    erased.erased_at = datetime.now(UTC)
    deleted = factories.make_person(first_name="Dora", last_name="Deleted")
    deleted.deleted_at = datetime.now(UTC)
    record = _record(officer, "=cmd|' /C calc'!A0", organisations=[works])
    record.person_links = [OutreachPerson(person=p) for p in (shown, restricted, erased, deleted)]
    _record(officer, "@SUM(1+1) other")
    factories.make_outreach(("2.2",), logged_by=officer)  # not in the filtered list
    _db.session.commit()

    page = client.get("/outreach?subitem=1.3b").get_data(as_text=True)
    assert "deleted people are left out of the People column" in page
    response = client.get("/outreach/export.csv?subitem=1.3b")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="outreach-' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2
    by_subject = {row["Subject"]: row for row in rows}
    guarded = by_subject["'=cmd|' /C calc'!A0"]
    assert guarded["People"] == "Erika Export"
    assert guarded["People left out (restricted, erased or deleted)"] == "3"
    assert guarded["Organisations"] == '\'=HYPERLINK("x") Werk'
    assert guarded["Sub-items"] == "1.3b"
    assert guarded["Channel"] == "Meeting or visit"
    assert "'@SUM(1+1) other" in by_subject
    assert list(rows[0]) == [
        "ID",
        "Date and time (UTC)",
        "Channel",
        "Direction",
        "Subject",
        "Outcome",
        "Sub-items",
        "Organisations",
        "People",
        "People left out (restricted, erased or deleted)",
        "Materials",
        "Event",
        "Logged by",
        "Notes",
        "Created",
        "Last changed",
    ]
    response = client.get("/outreach/export.xlsx?subitem=1.3b&sort=subject")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, *cells = [[c.value for c in r] for r in sheet.iter_rows()]
    values = [dict(zip(header, row, strict=True)) for row in cells]
    assert [v["Subject"] for v in values] == ["=cmd|' /C calc'!A0", "@SUM(1+1) other"]
    assert values[0]["People"] == "Erika Export"  # text cells: never run, no prefix
    for name in ("Rita", "Ernst", "Dora"):
        assert name not in response.get_data(as_text=False).decode("latin-1")


def test_the_export_drops_characters_xml_forbids(client, signed_in, db) -> None:
    officer = signed_in("officer")
    record = _record(officer, "Fine")
    record.notes = "bad \ufffe char"
    _db.session.commit()
    response = client.get("/outreach/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, row = [[c.value for c in r] for r in sheet.iter_rows()]
    assert dict(zip(header, row, strict=True))["Notes"] == "bad  char"


def test_home_page_counts_link_to_the_list(client, signed_in, db) -> None:
    officer = signed_in("viewer")
    factories.make_outreach(("1.3b", "2.2"), logged_by=officer)
    _db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/outreach?subitem=1.3b"' in home
    assert 'href="/outreach?commitment=1.3"' in home
    assert 'href="/outreach?commitment=1"' in home
    assert re.search(r'<a href="/outreach"\s*>Outreach</a>', home)  # the nav link
    for code, param in (("1.3b", "subitem"), ("1.3", "commitment"), ("2", "commitment")):
        listed = client.get(f"/outreach?{param}={code}").get_data(as_text=True)
        count = re.search(
            r'<span class="num">([\d,]+)</span> outreach<span class="visually-hidden"> records of '
            + re.escape(code)
            + "<",
            home,
        )
        assert count, code
        assert f'<p class="result-count">{count.group(1)} record' in listed, code


def test_the_material_is_chosen_from_the_catalogue_retired_ones_marked(client, signed_in) -> None:
    officer = signed_in("officer")
    active = factories.make_material("Guidelines <for> enterprises")
    retired = factories.make_material("Old training module", retired=True)
    _record(officer, "Visit with the old module", materials=[retired])
    _db.session.commit()
    page = client.get("/outreach").get_data(as_text=True)
    select = re.search(r'<select id="material" name="material">(.*?)</select>', page, re.S)
    assert select, "the material is a select"
    options = select.group(1)
    assert '<option value="">All materials</option>' in options
    assert f'<option value="{active.id}">Guidelines &lt;for&gt; enterprises</option>' in options
    assert f'<option value="{retired.id}">Old training module (retired)</option>' in options
    assert '<optgroup label="Guidelines">' in options
    page = client.get(f"/outreach?material={retired.id}").get_data(as_text=True)
    assert f'<option value="{retired.id}" selected>' in page
    assert "Visit with the old module" in page
    # The catalogue's links lead to this list, filtered by the material.
    detail = client.get(f"/materials/{retired.id}").get_data(as_text=True)
    assert f'href="/outreach?material={retired.id}"' in detail


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def test_every_column_of_the_export_is_guarded_and_leaves_people_out(client, signed_in) -> None:
    """Each text column starts with a formula, and a second name after "; " too: no cell
    of the CSV starts one anywhere a spreadsheet may split it; the XLSX holds them as text
    and names none of the people left out (its sheets are compressed: read them)."""
    signed_in("officer")
    officer = factories.make_user(full_name="=Officer()")
    first, second = (factories.make_organisation(name=n) for n in ("-Werk", "@Fabrik"))
    shown = factories.make_person(first_name="=Erika", last_name="Export")
    restricted = factories.make_person(first_name="Rita", last_name="Restricted")
    restricted.is_restricted = True
    gone = factories.make_person(first_name="Dora", last_name="Deleted")
    gone.deleted_at = datetime.now(UTC)
    record = factories.make_outreach(
        logged_by=officer,
        organisations=[first, second],
        people=[shown, restricted, gone],
        materials=[factories.make_material("+Guide"), factories.make_material("=Module")],
        event=factories.make_event(title="@Fair"),
        subject="=1+1",
    )
    record.notes = "\tnote; =again"
    _db.session.commit()
    response = client.get("/outreach/export.csv")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2
    for cell in rows[1]:
        for part in cell.split(";"):
            assert not part.lstrip(" ").startswith(FORMULA_STARTS), (cell, rows[1])
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["People"] == "'=Erika Export"
    assert row["People left out (restricted, erased or deleted)"] == "2"
    assert sorted(row["Organisations"].split("; ")) == ["'-Werk", "'@Fabrik"]

    response = client.get("/outreach/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, cells = [[c.value for c in r] for r in sheet.iter_rows()]
    values = dict(zip(header, cells, strict=True))
    assert values["Subject"] == "=1+1" and values["Logged by"] == "=Officer()"
    assert values["People"] == "=Erika Export"
    assert values["People left out (restricted, erased or deleted)"] == 2
    assert not any(c.data_type == "f" for r in sheet.iter_rows() for c in r)
    assert not any("Rita" in str(v) or "Dora" in str(v) for v in cells)


def test_the_csv_export_streams_batch_by_batch(client, signed_in, monkeypatch) -> None:
    """The response is produced while it is sent, one chunk per batch of records: a large
    list is never held whole in memory."""
    from crm.services import exports

    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    officer = signed_in("officer")
    for n in range(5):
        _record(officer, f"Streamed {n}")
    _db.session.commit()
    response = client.get("/outreach/export.csv", buffered=False)
    assert response.is_streamed
    chunks = [chunk for chunk in response.response if chunk]
    response.close()
    assert len(chunks) == 3  # 2 + 2 + 1 records, the header in the first
    text = b"".join(chunks).decode("utf-8-sig")
    assert sorted(r["Subject"] for r in csv.DictReader(io.StringIO(text))) == [
        f"Streamed {n}" for n in range(5)
    ]
