"""The coverage pages: the matrix (/coverage) with its axis switch, filters, legend and a link
from every figure above zero; the records behind a cell and their exports; the matrix as CSV
and XLSX; the trends as SVG with their table; the printable report. Sign-in for all of it,
and a 400 naming the parameter for anything the pages cannot read, never a 500."""

from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from crm.clock import local_today
from crm.extensions import db as _db
from crm.models import LinkType, OrganisationKind, OrganisationLink, Person
from tests import factories

THIS_YEAR = local_today().year
# Mid-year of the current year, noon UTC: inside "this year" in every zone.
WHEN = datetime(THIS_YEAR, 1, 15, 12, tzinfo=UTC)


def _page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture()
def reached(db):
    """An association reached by two records on 1.3b (one naming a person who counted for
    it), an enterprise of it reached indirectly, and a record of last year on 1.3b."""
    officer = factories.make_user("officer", full_name="Olivia Officer")
    association = factories.make_organisation(
        "=HYPERLINK Verband Deutscher Werkzeugmaschinenfabriken",
        kind=OrganisationKind.NATIONAL_ASSOCIATION,
    )
    member = factories.make_organisation("Gebr. Heller Maschinenfabrik GmbH")
    _db.session.add(
        OrganisationLink(
            source_id=member.id, target_id=association.id, link_type=LinkType.MEMBER_OF
        )
    )
    person = factories.make_person("Karin", "Vogel", organisation=association)
    first = factories.make_outreach(
        ("1.3b",),
        logged_by=officer,
        organisations=[association],
        occurred_at=WHEN,
        subject="Guidelines presented at the VDW board",
    )
    second = factories.make_outreach(
        ("1.3b",),
        logged_by=officer,
        people=[person],
        occurred_at=WHEN.replace(day=20),
        subject="Follow-up call with the VDW",
    )
    old = factories.make_outreach(
        ("1.3b",),
        organisations=[association],
        occurred_at=WHEN.replace(year=THIS_YEAR - 1),
        subject="A record of last year",
    )
    _db.session.commit()
    return {
        "officer": officer,
        "association": association,
        "member": member,
        "person": person,
        "records": (first, second, old),
    }


# Sign-in --------------------------------------------------------------------------------------

PAGES = (
    "/coverage",
    "/coverage/cell?item=1.3b",
    "/coverage/export.csv",
    "/coverage/export.xlsx",
    "/coverage/cell/export.csv?item=1.3b",
    "/coverage/cell/export.xlsx?item=1.3b",
    "/coverage/trends",
    "/coverage/report",
)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_asks_for_sign_in(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_viewer_reads_the_pages_but_cannot_export_a_cells_records(
    client, signed_in, reached
) -> None:
    signed_in("viewer")
    for path in ("/coverage", "/coverage/cell?item=1.3b", "/coverage/trends", "/coverage/report"):
        _page(client, path)
    assert client.get("/coverage/export.csv").status_code == 200  # the figures on the page
    assert client.get("/coverage/cell/export.csv?item=1.3b").status_code == 403  # records


# The matrix -----------------------------------------------------------------------------------


def test_the_matrix_is_a_table_with_headers_a_caption_and_a_focusable_region(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    page = _page(client, "/coverage")
    assert re.search(
        r'<div class="matrix-scroll" role="region" aria-labelledby="matrix-caption" tabindex="0">',
        page,
    )
    caption = re.search(r'<caption id="matrix-caption">([^<]*)</caption>', page)
    assert caption and caption.group(1) == f"Coverage by stakeholder kind: {THIS_YEAR}"
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', page)
    assert headers[:2] == ["Commitment, item or sub-item", "Total"]
    assert len(headers[2:]) == len(OrganisationKind) and "National associations" in headers
    assert '<th scope="row" class="item-col"><span class="code">1.3b</span>' in page
    assert "What the figures mean" in page  # the legend
    assert 'href="/coverage' in page and 'aria-current="page">Coverage</a>' in page  # the nav


ANCHOR_OF = {
    "outreach records": "#outreach",
    "organisations reached directly": "#direct",
    "organisations reached indirectly": "#indirect",
    "people reached": "#people",
}


def _row_links(page: str, code: str) -> list[tuple[str, int, str]]:
    """(address, figure, hidden words) of every link of the matrix row of ``code``."""
    row = page[page.index(f'<span class="code">{code}</span>') :]
    row = row[: row.index("</tr>")]
    links = re.findall(
        r'<a href="([^"]+)">([0-9,]+)<span class="visually-hidden"> ([^<]*)</span>', row
    )
    return [(html.unescape(href), int(n.replace(",", "")), words) for href, n, words in links]


def _figure(links: list[tuple[str, int, str]], what: str, column: str | None) -> int:
    """The figure of the row's cell (column None: the total), 0 when it is not a link."""
    for href, n, words in links:
        in_column = f"column={column}" in href if column else "column=" not in href
        if in_column and words.startswith(what + ","):
            return n
    return 0


def test_every_figure_above_zero_links_to_the_records_behind_it(client, signed_in, reached) -> None:
    signed_in("coordinator")
    page = _page(client, "/coverage")
    links = _row_links(page, "1.3b")
    # This year: two records, the association directly, its member indirectly, one person.
    assert _figure(links, "outreach records", None) == 2
    assert _figure(links, "organisations reached directly", None) == 1
    assert _figure(links, "organisations reached indirectly", None) == 1
    assert _figure(links, "people reached", None) == 1
    assert _figure(links, "outreach records", "national-association") == 2
    assert _figure(links, "organisations reached indirectly", "enterprise") == 1
    assert _figure(links, "outreach records", "policy-body") == 0  # not a link
    # Each link opens the cell's page at the list behind the figure, with the filter.
    for href, n, words in links:
        assert n > 0
        assert href.startswith("/coverage/cell?") and "item=1.3b" in href
        assert f"year={THIS_YEAR}" in href or "period=year" in href
        what = words.split(",")[0]
        assert href.endswith(ANCHOR_OF[what]), (href, words)
    # The commitment above rolls the sub-item up.
    assert _figure(_row_links(page, "1"), "outreach records", None) >= 2
    assert '<span class="fig-none"' in page  # a cell nothing reached shows a dash


def test_the_axis_switch_keeps_the_filters(client, signed_in, reached) -> None:
    signed_in("coordinator")
    page = _page(client, f"/coverage?period=year&year={THIS_YEAR}&country=DE")
    switch = page[page.index('<nav class="axis-switch"') :]
    switch = html.unescape(switch[: switch.index("</nav>")])
    for axis in ("kind", "country", "size"):
        assert re.search(rf'href="/coverage\?[^"]*axis={axis}', switch), axis
    assert switch.count("country=DE") == 3
    by_country = _page(client, f"/coverage?axis=country&year={THIS_YEAR}")
    assert "Coverage by country" in by_country
    assert '<th scope="col">Germany</th>' in by_country
    assert _figure(_row_links(by_country, "1.3b"), "outreach records", "DE") == 2
    by_size = _page(client, "/coverage?axis=size")
    assert "Coverage by size class" in by_size
    assert _figure(_row_links(by_size, "1.3b"), "organisations reached indirectly", "small") == 1


def test_the_filters_narrow_the_matrix_and_name_themselves_in_the_caption(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    officer = reached["officer"]
    page = _page(client, f"/coverage?period=all&officer={officer.id}")
    caption = re.search(r'<caption id="matrix-caption">([^<]*)</caption>', page)
    assert (
        caption
        and caption.group(1) == "Coverage by stakeholder kind: All time, logged by Olivia Officer"
    )
    # Last year's record was logged by nobody: the officer's two only.
    assert _figure(_row_links(page, "1.3b"), "outreach records", None) == 2
    everything = _page(client, "/coverage?period=all")
    assert _figure(_row_links(everything, "1.3b"), "outreach records", None) == 3
    custom = _page(client, f"/coverage?period=custom&from={THIS_YEAR}-01-16&to={THIS_YEAR}-01-31")
    assert _figure(_row_links(custom, "1.3b"), "outreach records", None) == 1
    elsewhere = _page(client, "/coverage?period=all&country=FR")
    assert _figure(_row_links(elsewhere, "1.3b"), "outreach records", None) == 0


BAD = (
    ("axis=colour", "axis"),
    ("country=XX", "country"),
    ("country=de&country=fr", "country"),
    ("officer=999999", "officer"),
    ("officer=99999999999999999999999", "officer"),
    ("officer=NaN", "officer"),
    ("year=NaN", "year"),
    ("year=1e400", "year"),
    ("period=custom&from=2026-05-01&to=2026-04-01", "to"),
    ("period=custom&from=2026-02-30&to=2026-04-01", "from"),
    ("period=decade", "period"),
    ("quarter=2026-Q5&period=quarter", "quarter"),
    ("period=year&year=0000", "year"),  # no year 0: was a 500 (date(0, 1, 1))
    ("period=quarter&quarter=0000-Q1", "quarter"),
    ("bogus=1", "bogus"),
)


@pytest.mark.parametrize(("query", "parameter"), BAD)
def test_a_bad_filter_is_a_400_naming_its_parameter(
    client, signed_in, reached, query: str, parameter: str
) -> None:
    signed_in("coordinator")
    for path in ("/coverage", "/coverage/trends", "/coverage/report", "/coverage/export.csv"):
        page = _page(client, f"{path}?{query}", 400)
        summary = page[page.index('class="error-summary"') :]
        summary = summary[: summary.index("</div>")]
        named = re.findall(r"<li>([a-z_]+): ", summary)
        if parameter in ("from", "to"):
            assert named and named[0] in ("from", "to", "period"), (path, summary)
        else:
            assert named == [parameter], (path, summary)
        assert "matrix-caption" not in page  # nothing was counted


CELL_BAD = (
    ("", "item"),
    ("item=9.9z", "item"),
    ("item=1.3b&item=1.3c", "item"),
    ("item=1.3b&column=dragons", "column"),
    ("item=1.3b&column=enterprise&column=other", "column"),
    ("item=1.3b&axis=country&column=XX", "column"),
    ("item=1.3b&page=0", "page"),
    ("item=1.3b&page=x", "page"),
    ("item=1.3b&page=99999999999999999999", "page"),
    ("item=1.3b&page=1&page=2", "page"),
    ("item=1.3b&officer=2147483648", "officer"),
    ("item=1.3b&colour=red", "colour"),
)


@pytest.mark.parametrize(("query", "parameter"), CELL_BAD)
def test_a_bad_cell_is_a_400_naming_its_parameter(
    client, signed_in, reached, query: str, parameter: str
) -> None:
    signed_in("coordinator")
    paths = ["/coverage/cell"]
    if parameter != "page":
        paths += ["/coverage/cell/export.csv", "/coverage/cell/export.xlsx"]
    for path in paths:
        page = _page(client, f"{path}?{query}", 400)
        summary = page[page.index('class="error-summary"') :]
        assert re.search(rf"<li>{parameter}: ", summary), (path, summary[:300])


def test_the_cell_export_refuses_an_unknown_list(client, signed_in, reached) -> None:
    signed_in("coordinator")
    page = _page(client, "/coverage/cell/export.csv?item=1.3b&what=secrets", 400)
    assert "<li>what: " in page


# A cell's records ------------------------------------------------------------------------------


def test_a_cell_lists_its_records_newest_first_and_who_was_reached(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    first, second, _old = reached["records"]
    page = _page(client, "/coverage/cell?item=1.3b")
    assert f'href="/outreach/{second.id}"' in page and f'href="/outreach/{first.id}"' in page
    assert page.index(f'href="/outreach/{second.id}"') < page.index(f'href="/outreach/{first.id}"')
    assert "A record of last year" not in page  # this year only
    direct = page[page.index('id="direct"') : page.index('id="indirect"')]
    assert html.escape(reached["association"].name) in direct
    indirect = page[page.index('id="indirect"') : page.index('id="people"')]
    assert "Gebr. Heller Maschinenfabrik GmbH" in indirect
    assert f'href="/organisations/{reached["association"].id}"' in indirect  # reached through
    people = page[page.index('id="people"') :]
    assert "Karin Vogel" in people


def test_a_column_of_a_cell_narrows_it(client, signed_in, reached) -> None:
    signed_in("coordinator")
    page = _page(client, "/coverage/cell?item=1.3b&column=enterprise")
    assert "Guidelines presented at the VDW board" not in page  # reached an association only
    assert "Stakeholder kind: Enterprises" in page  # the matrix's label of the column


def test_a_cells_records_are_paginated(client, signed_in, db) -> None:
    signed_in("coordinator")
    organisation = factories.make_organisation()
    for day in range(1, 56):
        factories.make_outreach(
            ("1.3c",),
            organisations=[organisation],
            occurred_at=WHEN.replace(month=2, day=1, hour=0).replace(minute=day),
            subject=f"Visit number {day:02d}",
        )
    _db.session.commit()
    first = _page(client, "/coverage/cell?item=1.3c")
    assert "Visit number 55" in first and "Visit number 05" not in first
    assert 'rel="next"' in first
    second = _page(client, "/coverage/cell?item=1.3c&page=2")
    assert "Visit number 05" in second and "Visit number 55" not in second


def test_a_cells_records_export_as_csv_and_xlsx_formula_safe(client, signed_in, reached) -> None:
    signed_in("coordinator")
    response = client.get("/coverage/cell/export.csv?item=1.3b&what=direct")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0].startswith("1.3b ")
    names = [row[1] for row in rows[2:]]
    assert names == ["'=HYPERLINK Verband Deutscher Werkzeugmaschinenfabriken"]
    outreach = client.get("/coverage/cell/export.csv?item=1.3b&what=outreach")
    text = outreach.get_data(as_text=True)
    assert "Follow-up call with the VDW" in text and "A record of last year" not in text
    workbook = load_workbook(
        io.BytesIO(client.get("/coverage/cell/export.xlsx?item=1.3b&what=indirect").data)
    )
    sheet = workbook.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:2] == ["ID", "Name"]
    assert values[2][1] == "Gebr. Heller Maschinenfabrik GmbH"
    assert values[2][-1] == "=HYPERLINK Verband Deutscher Werkzeugmaschinenfabriken"
    assert sheet.cell(3, len(values[2])).data_type == "s"  # text, never a formula
    people = client.get("/coverage/cell/export.csv?item=1.3b&what=people").get_data(as_text=True)
    assert "Karin Vogel" in people and "0 left out" in people


def test_an_erased_person_counts_but_is_neither_named_nor_exported(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    person = _db.session.get(Person, reached["person"].id)  # the sign-in ended its session
    person.erased_at = datetime.now(UTC)
    _db.session.commit()
    page = _page(client, "/coverage/cell?item=1.3b")
    assert "Erased person" in page
    people = client.get("/coverage/cell/export.csv?item=1.3b&what=people").get_data(as_text=True)
    assert "Karin" not in people and "1 left out" in people


# The matrix as a file ---------------------------------------------------------------------------


def test_the_matrix_exports_with_its_filters_one_line_per_item_and_column(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    response = client.get(f"/coverage/export.csv?year={THIS_YEAR}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == [f"Coverage of the framework: {THIS_YEAR}"]
    assert "not the sum of the columns" in rows[1][0]
    header = rows[3]
    assert header[:3] == ["Code", "Item", "Level"]
    lines = {(r[0], r[3]): r for r in rows[4:]}
    total = lines[("1.3b", "")]
    assert total[4] == "Total" and total[5:] == ["2", "1", "1", "1"]
    assert lines[("1.3b", "national-association")][5] == "2"
    assert (
        lines[("1.3b", "enterprise")][5:] == ["0", "0", "1", "0"]
        or lines[("1.3b", "enterprise")][6] == "0"
    )
    workbook = load_workbook(io.BytesIO(client.get("/coverage/export.xlsx?period=all").data))
    sheet = workbook.active
    found = [[c.value for c in row] for row in sheet.iter_rows()]
    assert found[0][0] == "Coverage of the framework: All time"
    by_key = {(r[0], r[3] or ""): r for r in found[4:]}
    assert by_key[("1.3b", "")][5] == 3  # a number, not text


# Trends and the report ---------------------------------------------------------------------------


def test_the_trends_of_an_item_are_an_svg_with_a_table_of_the_same_figures(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    page = _page(client, f"/coverage/trends?item=1.3b&year={THIS_YEAR}")
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert "1.3b" in (root.find("{http://www.w3.org/2000/svg}title").text or "")  # type: ignore[union-attr]
    assert "<script" not in svg
    table = page[page.index('<caption id="trend-1.3b-caption">') :]
    table = table[: table.index("</table>")]
    january = re.search(rf"<th scope=\"row\">January {THIS_YEAR}</th>(.*?)</tr>", table)
    assert january
    cells = re.findall(r'<td class="num">([0-9,]+)</td>', january.group(1))
    assert cells == ["2", "1", "1", "1"]
    # The description totals the records only: distinct organisations and people of each
    # month do not add up to those of the span.
    desc = root.find("{http://www.w3.org/2000/svg}desc").text or ""  # type: ignore[union-attr]
    assert re.search(r"Outreach records: [0-9,]+ in all", desc)
    for line in ("Organisations reached directly", "People reached"):
        said = re.search(rf"{line}: ([^.]*)\.", desc)
        assert said and "in all" not in said.group(1), desc


def test_the_trends_without_an_item_chart_every_commitment(client, signed_in, reached) -> None:
    signed_in("coordinator")
    page = _page(client, "/coverage/trends")
    assert page.count('role="img"') >= 1
    assert 'href="/coverage/trends?item=1' in page


def test_the_report_is_printable_with_the_matrix_targets_gaps_and_trends(
    client, signed_in, reached
) -> None:
    signed_in("coordinator")
    page = _page(client, f"/coverage/report?year={THIS_YEAR}")
    assert "/static/css/print.css" in page
    for heading in (
        "Coverage by stakeholder kind",
        "Targets and progress",
        "Gaps",
        "Trends per commitment",
    ):
        assert heading in page
    assert 'id="matrix-caption"' in page and 'role="img"' in page
    css = client.get("/static/css/print.css").get_data(as_text=True)
    assert "@media print" in css and ".topbar" in css


def test_a_cell_lists_the_first_hundred_organisations_and_counts_them_all(
    client, signed_in, db
) -> None:
    signed_in("coordinator")
    many = [factories.make_organisation(f"Zulieferer {n:03d} GmbH") for n in range(105)]
    factories.make_outreach(("1.3c",), organisations=many, occurred_at=WHEN)
    _db.session.commit()
    page = _page(client, "/coverage/cell?item=1.3c")
    direct = page[page.index('id="direct"') : page.index('id="indirect"')]
    assert '<span class="count">105</span>' in direct
    assert direct.count('data-label="Organisation"') == 100
    assert "The first 100 of 105; the download holds them all." in direct
    rows = client.get("/coverage/cell/export.csv?item=1.3c&what=direct").get_data(as_text=True)
    assert rows.count("Zulieferer") == 105
