"""Register exports: neutralised cells, never the people who must not leave, no N+1 queries."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.extensions import db as _db
from crm.models import (
    Organisation,
    OrganisationKind,
    Person,
    Position,
    PositionRole,
    SizeClass,
    Tag,
    ValueChainRole,
)
from crm.services import exports
from crm.services.exports import (
    ORGANISATION_COLUMNS,
    PEOPLE_COLUMNS,
    neutralise,
    organisations_csv,
    organisations_xlsx,
    people_csv,
    people_xlsx,
)
from tests import factories

FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"]


# --- neutralise ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_like_text_gets_a_leading_quote(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("Müller", "Müller"),
        ("a=b", "a=b"),
        (" =1", " =1"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        (42, "42"),
        (-5, "'-5"),  # in CSV every cell is text: a negative number is neutralised too
        (Decimal("6500000.00"), "6500000.00"),
        (SizeClass.SMALL, "small"),
        (date(2026, 3, 10), "2026-03-10"),
        (
            datetime(2026, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=1))),
            "2026-03-10T08:30:00+00:00",
        ),
        (True, "true"),
    ],
)
def test_plain_values_become_plain_text(value: object, expected: str) -> None:
    assert neutralise(value) == expected


# --- helpers ---------------------------------------------------------------------------------


def _csv_rows(chunks: Iterator[bytes]) -> list[dict[str, str]]:
    raw = b"".join(chunks)
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _xlsx_rows(data: bytes) -> tuple[list[str], list[list[object]], list[str]]:
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    headers = [c.value for c in rows[0]]
    types = [c.data_type for row in rows for c in row]
    return headers, [[c.value for c in row] for row in rows[1:]], types


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["ID"]: row for row in rows}


def _people(*people: Person) -> sa.Select[tuple[Person]]:
    return sa.select(Person).where(Person.id.in_([p.id for p in people])).order_by(Person.id)


def _organisations(*organisations: Organisation) -> sa.Select[tuple[Organisation]]:
    return (
        sa.select(Organisation)
        .where(Organisation.id.in_([o.id for o in organisations]))
        .order_by(Organisation.id)
    )


def _formula_people() -> list[Person]:
    """One person per formula: in a name, the phone, the organisation, the title and a tag."""
    people = []
    for n, value in enumerate(FORMULAS):
        organisation = factories.make_organisation(name=f"{value} GmbH")
        person = factories.make_person(first_name=value, organisation=organisation)
        person.phone = value
        person.positions[0].title = value
        person.tags.append(Tag(name=f"{value} tag {n}"))
        people.append(person)
    _db.session.flush()
    return people


# --- CSV -------------------------------------------------------------------------------------


def test_csv_neutralises_every_formula_like_cell(app, db) -> None:
    people = _formula_people()
    raw = b"".join(people_csv(_people(*people)))
    assert b"\r\n" in raw and raw.count(b"\r\n") >= len(people) + 1, "CRLF line ends"
    rows = _by_id(_csv_rows(iter([raw])))
    for person, value in zip(people, FORMULAS, strict=True):
        row = rows[str(person.id)]
        for column in ("First name", "Phone", "Position titles", "Organisations", "Tags"):
            assert row[column].startswith("'" + value), (column, row[column])
        assert row["First name"] == "'" + value


def test_csv_of_organisations_neutralises_names(app, db) -> None:
    organisations = [factories.make_organisation(name=value) for value in FORMULAS]
    rows = _by_id(_csv_rows(organisations_csv(_organisations(*organisations))))
    for organisation, value in zip(organisations, FORMULAS, strict=True):
        assert rows[str(organisation.id)]["Name"] == "'" + value


def test_csv_keeps_accents_and_markup_verbatim(app, db) -> None:
    organisation = factories.make_organisation(name="Łukasiewicz Obrabiarki <b>sp. z o.o.</b>")
    person = factories.make_person(
        first_name="Jürgen", last_name="Müller", organisation=organisation
    )
    other = factories.make_person(first_name="Ignacy", last_name="Łukasiewicz")
    other.notes = "irrelevant"
    person.positions[0].title = "<script>alert('x')</script>"
    _db.session.flush()
    rows = _by_id(_csv_rows(people_csv(_people(person, other))))
    assert rows[str(person.id)]["Last name"] == "Müller"
    assert rows[str(person.id)]["Position titles"] == "<script>alert('x')</script>"
    assert rows[str(person.id)]["Organisations"] == "Łukasiewicz Obrabiarki <b>sp. z o.o.</b>"
    assert rows[str(other.id)]["Last name"] == "Łukasiewicz"


def test_restricted_erased_and_deleted_people_are_never_exported(app, db) -> None:
    kept = factories.make_person(last_name="Kept")
    restricted = factories.make_person(last_name="Restricted")
    restricted.is_restricted = True
    erased = factories.make_person(last_name="Erased")
    erased.erased_at = datetime.now(UTC)
    deleted = factories.make_person(last_name="Deleted")
    deleted.deleted_at = datetime.now(UTC)
    _db.session.flush()
    # The caller's query asks for all four: the export itself leaves three out.
    query = _people(kept, restricted, erased, deleted)
    assert len(_db.session.scalars(query).all()) == 4

    rows = _csv_rows(people_csv(query))
    assert [r["Last name"] for r in rows] == ["Kept"]

    _headers, xlsx_rows, _types = _xlsx_rows(people_xlsx(query))
    assert [r[0] for r in xlsx_rows] == [kept.id]
    assert exports.exportable_people(query) is not query


def test_deleted_organisations_are_left_out(app, db) -> None:
    live = factories.make_organisation(name="Live GmbH")
    gone = factories.make_organisation(name="Gone GmbH")
    gone.deleted_at = datetime.now(UTC)
    _db.session.flush()
    rows = _csv_rows(organisations_csv(_organisations(live, gone)))
    assert [r["Name"] for r in rows] == ["Live GmbH"]


def test_the_callers_filter_and_order_are_kept(app, db) -> None:
    a = factories.make_person(last_name="Albrecht")
    b = factories.make_person(last_name="Zimmer")
    c = factories.make_person(last_name="Meier")
    c.country_code = "FR"
    _db.session.flush()
    query = (
        sa.select(Person)
        .where(Person.id.in_([a.id, b.id, c.id]), Person.country_code == "DE")
        .order_by(Person.last_name.desc())
    )
    assert [r["Last name"] for r in _csv_rows(people_csv(query))] == ["Zimmer", "Albrecht"]


def test_columns_of_a_person(app, db) -> None:
    current = factories.make_organisation(name="VDW")
    past = factories.make_organisation(name="Old Employer AG")
    person = factories.make_person(first_name="Anna", last_name="Berg", organisation=current)
    person.phone = "+49 69 756081 0"
    person.language_code = "de"
    person.positions.append(
        Position(
            organisation=past,
            role=PositionRole.EMPLOYEE,
            title="Engineer",
            starts_on=date(2010, 1, 1),
            ends_on=date(2015, 1, 1),
        )
    )
    person.tags.extend([Tag(name="zeta"), Tag(name="alpha")])
    _db.session.flush()
    [row] = _csv_rows(people_csv(_people(person)))
    assert list(row) == [c.header for c in PEOPLE_COLUMNS]
    assert row["E-mail"] == person.email
    assert row["Phone"] == "'+49 69 756081 0"  # a leading + is neutralised like any formula
    assert row["Country"] == "DE" and row["Language"] == "de"
    assert row["Organisations"] == "VDW"  # the ended position is not current
    assert row["Position titles"] == "Head of production"
    assert row["Position roles"] == "manager"
    assert row["Tags"] == "alpha; zeta"
    assert row["Created"].endswith("+00:00")
    assert datetime.fromisoformat(row["Created"]) == person.created_at.replace(microsecond=0)


def test_columns_of_an_organisation(app, db) -> None:
    officer = factories.make_user(full_name="Olga Officer")
    organisation = factories.make_organisation(name="Präzisionsteile KG")
    organisation.kind = OrganisationKind.VALUE_CHAIN_PARTNER
    organisation.value_chain_role = ValueChainRole.COMPONENT_MAKER
    organisation.headcount = 120
    organisation.size_class = SizeClass.MEDIUM
    organisation.website = "https://praezision.example"
    organisation.responsible_officer_id = officer.id
    organisation.tags.append(Tag(name="EMO 2025"))
    _db.session.flush()
    [row] = _csv_rows(organisations_csv(_organisations(organisation)))
    assert list(row) == [c.header for c in ORGANISATION_COLUMNS]
    assert row["Kind"] == "value-chain-partner"
    assert row["Value-chain role"] == "component-maker"
    assert row["Size class"] == "medium"
    assert row["Headcount"] == "120"
    assert row["Responsible officer"] == "Olga Officer"
    assert row["Tags"] == "EMO 2025"
    assert row["Policy level"] == ""

    headers, [xrow], _types = _xlsx_rows(organisations_xlsx(_organisations(organisation)))
    values = dict(zip(headers, xrow, strict=True))
    assert values["Headcount"] == 120  # a real number in XLSX
    assert values["ID"] == organisation.id
    assert values["Name"] == "Präzisionsteile KG"


def test_an_empty_export_still_has_its_header(app, db) -> None:
    raw = b"".join(people_csv(sa.select(Person).where(sa.false())))
    assert raw == ("\ufeff" + ",".join(c.header for c in PEOPLE_COLUMNS) + "\r\n").encode()


def test_a_query_of_something_else_is_refused_at_once(app, db) -> None:
    with pytest.raises(TypeError):
        people_csv(sa.select(Organisation))
    with pytest.raises(TypeError):
        organisations_xlsx(sa.select(Person))


def test_csv_streams_in_batches(app, db, monkeypatch) -> None:
    monkeypatch.setattr(exports, "BATCH_SIZE", 2)
    people = [factories.make_person(last_name=f"Batch{n}") for n in range(5)]
    chunks = list(people_csv(_people(*people)))
    assert len(chunks) == 3  # 2 + 2 + 1 people, the header in the first
    assert chunks[0].startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(iter(chunks))
    assert [r["Last name"] for r in rows] == [f"Batch{n}" for n in range(5)]


@contextmanager
def _counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = _db.session.get_bind()
    engine = engine.engine if hasattr(engine, "engine") else engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _many_people(n: int, prefix: str) -> sa.Select[tuple[Person]]:
    people = []
    for i in range(n):
        organisation = factories.make_organisation()
        person = factories.make_person(last_name=f"Many{i}", organisation=organisation)
        person.tags.append(Tag(name=f"{prefix}-{i}"))
        people.append(person)
    _db.session.flush()
    query = _people(*people)
    _db.session.expire_all()  # nothing preloaded: the export must load it itself
    return query


def test_no_query_per_person(app, db) -> None:
    few = _many_people(2, "few")
    with _counted() as statements:
        assert len(_csv_rows(people_csv(few))) == 2
    few_count = len(statements)
    many = _many_people(25, "many")
    with _counted() as statements:
        assert len(_csv_rows(people_csv(many))) == 25
    assert len(statements) == few_count <= 5


def test_no_query_per_organisation(app, db) -> None:
    officer = factories.make_user()
    organisations = [factories.make_organisation() for _ in range(20)]
    for n, organisation in enumerate(organisations):
        organisation.responsible_officer_id = officer.id
        organisation.tags.append(Tag(name=f"org-tag-{n}"))
    _db.session.flush()
    query = _organisations(*organisations)
    _db.session.expire_all()
    with _counted() as statements:
        rows = _csv_rows(organisations_csv(query))
    assert len(rows) == 20
    assert len(statements) <= 4


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_writes_formula_like_text_as_text_cells(app, db) -> None:
    # A string cell is never evaluated: no quote is added, and none is needed.
    people = _formula_people()
    headers, rows, types = _xlsx_rows(people_xlsx(_people(*people)))
    assert "f" not in types, "no cell is a formula"
    by_id = {row[0]: dict(zip(headers, row, strict=True)) for row in rows}
    for person, value in zip(people, FORMULAS, strict=True):
        row = by_id[person.id]
        expected = value.replace("\r", "\n")  # XML turns a carriage return into a line feed
        for column in ("First name", "Phone", "Position titles", "Organisations", "Tags"):
            assert row[column].startswith(expected), (column, row[column])
            assert not row[column].startswith("'"), (column, row[column])
        assert isinstance(row["ID"], int)


def test_xlsx_keeps_accents_and_markup(app, db) -> None:
    person = factories.make_person(first_name="Jürgen", last_name="Łukasiewicz-Müller")
    person.notes = "not exported"
    person.phone = "<script>alert(1)</script>"
    _db.session.flush()
    headers, [row], _types = _xlsx_rows(people_xlsx(_people(person)))
    values = dict(zip(headers, row, strict=True))
    assert values["First name"] == "Jürgen"
    assert values["Last name"] == "Łukasiewicz-Müller"
    assert values["Phone"] == "<script>alert(1)</script>"
    assert "Notes" not in values


def test_xlsx_drops_control_characters(app, db) -> None:
    person = factories.make_person(first_name="\x01=1+1", last_name="Ok\x0bay")
    headers, [row], types = _xlsx_rows(people_xlsx(_people(person)))
    values = dict(zip(headers, row, strict=True))
    assert values["First name"] == "=1+1"
    assert values["Last name"] == "Okay"
    assert "f" not in types


def test_xlsx_of_organisations_keeps_names_as_text(app, db) -> None:
    organisations = [factories.make_organisation(name=value) for value in FORMULAS]
    headers, rows, types = _xlsx_rows(organisations_xlsx(_organisations(*organisations)))
    assert "f" not in types
    names = {row[0]: row[headers.index("Name")] for row in rows}
    for organisation, value in zip(organisations, FORMULAS, strict=True):
        assert names[organisation.id] == value.replace("\r", "\n")


def test_xlsx_keeps_numbers_numeric_and_text_as_text(app) -> None:
    data = exports.xlsx_bytes(
        "T", ["number", "text"], [[[-5, "-5"], [Decimal("2.50"), "=1"], [1, "#N/A"]]]
    )
    headers, rows, types = _xlsx_rows(data)
    assert headers == ["number", "text"]
    assert rows == [[-5, "-5"], [2.5, "=1"], [1, "#N/A"]]
    assert "f" not in types and "e" not in types
    assert types == ["s", "s", "n", "s", "n", "s", "n", "s"]


# --- issue 7 -------------------------------------------------------------------------------


def test_csv_neutralises_every_joined_part(app, db) -> None:
    # Opened with ";" as the separator, "alpha; =cmd" is two cells, the second a formula.
    first = factories.make_organisation(name="Alpha GmbH")
    second = factories.make_organisation(name="=HYPERLINK(1) AG")
    person = factories.make_person(organisation=first)
    person.positions[0].title = "Chief"
    person.positions.append(
        Position(
            organisation=second, role=PositionRole.OTHER, title="+1", starts_on=date(2021, 1, 1)
        )
    )
    person.tags.extend([Tag(name="alpha"), Tag(name="@SUM(A1)"), Tag(name="-2")])
    person.last_name = "Weiß;=1+1"
    _db.session.flush()
    [row] = _csv_rows(people_csv(_people(person)))
    assert row["Organisations"] == "Alpha GmbH; '=HYPERLINK(1) AG"
    assert row["Position titles"] == "Chief; '+1"
    assert row["Tags"] == "'-2; '@SUM(A1); alpha"
    assert row["Last name"] == "Weiß;'=1+1"  # free text split on ";" is guarded alike
    assert exports.csv_cell("a;b") == "a;b" and exports.csv_cell("a; x=1") == "a; x=1"


def test_xml_forbidden_characters_stored_anyhow_do_not_break_the_xlsx(app, db) -> None:
    organisation = factories.make_organisation(name="Clean GmbH")
    person = factories.make_person(first_name="Ana", organisation=organisation)
    # Past every check, as an old import or a hand-made UPDATE could have left them.
    _db.session.execute(
        sa.update(Person)
        .where(Person.id == person.id)
        .values(last_name="Nov\ufffeák\uffff", phone="+49\x0b 1")
        .execution_options(synchronize_session=False)
    )
    _db.session.execute(
        sa.update(Organisation)
        .where(Organisation.id == organisation.id)
        .values(name="Cle\uffffan\x1f GmbH", city="Ulm\ufffe")
        .execution_options(synchronize_session=False)
    )
    _db.session.expire_all()
    headers, [row], _types = _xlsx_rows(people_xlsx(_people(person)))
    values = dict(zip(headers, row, strict=True))
    assert values["Last name"] == "Novák"
    assert values["Phone"] == "+49 1"
    assert values["Organisations"] == "Clean GmbH"
    headers, [row], _types = _xlsx_rows(organisations_xlsx(_organisations(organisation)))
    values = dict(zip(headers, row, strict=True))
    assert (values["Name"], values["City"]) == ("Clean GmbH", "Ulm")


def test_the_xlsx_writer_drops_surrogates_and_non_characters(app) -> None:
    text = "a\ud800b\udfffc\ufffed\uffffe\x00f\x08g\tx\U0001f600"
    headers, rows, _types = _xlsx_rows(exports.xlsx_bytes("T", ["t\uffff"], [[[text]]]))
    assert headers == ["t"]
    assert rows == [["abcdefg\tx\U0001f600"]]


def test_headers_are_words_as_the_lists_show_them(app, db) -> None:
    person = factories.make_person()
    person.phone = "+49 30 1234"
    _db.session.flush()
    raw = b"".join(people_csv(_people(person))).decode("utf-8-sig")
    assert raw.startswith("ID,First name,Last name,E-mail,Phone,Country,Language,")
    headers, [row], _types = _xlsx_rows(people_xlsx(_people(person)))
    assert headers[:3] == ["ID", "First name", "Last name"]
    assert dict(zip(headers, row, strict=True))["Phone"] == "+49 30 1234"  # no apostrophe
    organisation_headers, _rows, _types = _xlsx_rows(
        organisations_xlsx(sa.select(Organisation).where(sa.false()))
    )
    assert organisation_headers[:5] == ["ID", "Name", "Acronym", "Kind", "Country"]


def test_positions_at_deleted_organisations_are_not_exported(app, db) -> None:
    live = factories.make_organisation(name="Live GmbH")
    gone = factories.make_organisation(name="Gone GmbH")
    person = factories.make_person(organisation=live)
    person.positions.append(
        Position(
            organisation=gone, role=PositionRole.OTHER, title="Adviser", starts_on=date(2022, 1, 1)
        )
    )
    gone.deleted_at = datetime.now(UTC)
    _db.session.flush()
    [row] = _csv_rows(people_csv(_people(person)))
    assert (row["Organisations"], row["Position titles"]) == ("Live GmbH", "Head of production")


def test_left_out_count_counts_the_restricted_people_of_the_query(app, db) -> None:
    people = [factories.make_person(last_name=f"Count{n}") for n in range(4)]
    people[0].is_restricted = True
    people[2].is_restricted = True
    _db.session.flush()
    assert exports.left_out_count(_people(*people)) == 2
    assert exports.left_out_count(_people(people[1])) == 0
