"""The demo's data files: read once, and a clear error naming the file and the place in it when
one is missing or malformed (never a KeyError deep inside a stage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.demo import DemoDataError, DemoRefused
from crm.demo.catalogue import catalogue
from crm.demo.files import (
    DATA_DIRECTORY,
    integer,
    integer_text,
    mapping,
    member,
    parse_csv,
    parse_json,
    read_json,
    texts,
)
from crm.demo.locales import countries, locales

COLUMNS = ("acronym", "name", "country", "city", "language")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DemoDataError, match=r"the demo data file gone\.json is missing"):
        parse_json(tmp_path / "gone.json", "gone.json")
    with pytest.raises(DemoDataError, match=r"the demo data file gone\.csv is missing"):
        parse_csv(tmp_path / "gone.csv", "gone.csv", COLUMNS)


def test_malformed_json_says_where(tmp_path: Path) -> None:
    path = tmp_path / "locales.json"
    path.write_text('{\n  "de": {"male": ["Thomas",]}\n}\n', encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"locales\.json is not valid JSON: .*line 2, column"):
        parse_json(path, "locales.json")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.json"
    path.write_bytes('{"notes": ["Müller"]}'.encode("latin-1"))
    with pytest.raises(DemoDataError, match=r"people\.json is not UTF-8 text"):
        parse_json(path, "people.json")


def test_csv_with_other_columns_or_a_short_row_says_where(tmp_path: Path) -> None:
    path = tmp_path / "associations.csv"
    path.write_text("acronym,name,country,city\nVDW,VDW,DE,Frankfurt\n", encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"has the columns acronym, name, country, city; "):
        parse_csv(path, "associations.csv", COLUMNS)

    path.write_text(
        "acronym,name,country,city,language\nVDW,VDW,DE,Frankfurt,de\nUCIMU,UCIMU,IT,it\n",
        encoding="utf-8",
    )
    with pytest.raises(DemoDataError, match=r"associations\.csv, line 3: 4 fields, expected 5"):
        parse_csv(path, "associations.csv", COLUMNS)

    path.write_text("", encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"associations\.csv is empty"):
        parse_csv(path, "associations.csv", COLUMNS)


def test_csv_rows_keep_their_text(tmp_path: Path) -> None:
    path = tmp_path / "associations.csv"
    path.write_text(
        'acronym,name,country,city,language\nMIB,"MIB – Makina, İmalatçıları",TR,,tr\n',
        encoding="utf-8",
    )
    assert parse_csv(path, "associations.csv", COLUMNS) == (
        {
            "acronym": "MIB",
            "name": "MIB – Makina, İmalatçıları",
            "country": "TR",
            "city": "",
            "language": "tr",
        },
    )


def test_shape_checks_name_the_entry() -> None:
    with pytest.raises(DemoDataError, match=r"^locales\.json: de\.male: expected a non-empty"):
        texts([], "locales.json: de.male")
    with pytest.raises(DemoDataError, match=r"de\.male\[1\]: expected text, found the number 7"):
        texts(["Thomas", 7], "locales.json: de.male")
    with pytest.raises(DemoDataError, match=r"countries\.json: DE: expected an object, found a"):
        mapping(["DE"], "countries.json: DE")
    with pytest.raises(DemoDataError, match=r"countries\.json: DE: weight is missing"):
        member({"language": "de"}, "weight", "countries.json: DE")
    with pytest.raises(DemoDataError, match=r"DE\.weight: expected a whole number, found the text"):
        integer("22", "countries.json: DE.weight")
    with pytest.raises(DemoDataError, match=r"line 4, month: expected a whole number, found 'x'"):
        integer_text("x", "trade-fairs.csv, line 4, month")
    assert integer_text("9", "trade-fairs.csv, line 2, month") == 9


def test_a_data_error_is_a_refusal_the_cli_shows_without_a_traceback() -> None:
    assert issubclass(DemoDataError, DemoRefused)


def test_the_installed_files_load_once_and_hold_the_whole_vocabulary() -> None:
    assert read_json("locales.json") is read_json("locales.json")
    assert catalogue() is catalogue() and countries() is countries()
    names = {item.name for item in DATA_DIRECTORY.iterdir()}
    assert {"locales.json", "countries.json", "trade-fairs.csv", "policy-bodies.csv"} <= names

    # Every country speaks known languages, in file order (the order weighs the draws).
    assert list(countries())[:3] == ["DE", "IT", "ES"]
    assert countries()["CH"].forms == (
        ("AG", "de"), ("GmbH", "de"), ("SA", "fr"), ("Sàrl", "fr"), ("SA", "it"),
    )  # fmt: skip
    assert ("Genève", "fr") in countries()["CH"].cities
    assert locales()["cs"].feminine is not None and locales()["cs"].feminine("Novák") == "Nováková"
    assert locales()["de"].name == "German" and locales()["fr"].info == "contact"

    found = catalogue()
    assert found.umbrella.acronym == "CECIMO"
    assert [a.acronym for a in found.national_associations][:2] == ["VDW", "UCIMU"]
    materials = {m.key: m for m in found.materials}
    assert materials["guidelines:en"].seed_key == "guidelines"  # reused from crm seed
    assert materials["module:manager"].seed_key == "module:owners-managers"
    assert (
        materials["guidelines:de"].seed_key is None and materials["guidelines:de"].language == "de"
    )
    assert set(found.enterprise_roles) == {"micro", "small", "medium", "large"}


def test_one_emo_in_every_odd_year_alternating_between_hannover_and_milano() -> None:
    fairs = {fair.title: fair for fair in catalogue().trade_fairs}
    hannover, milano = fairs["EMO Hannover"], fairs["EMO Milano"]
    for year in range(2015, 2040):
        editions = [fair for fair in (hannover, milano) if fair.held_in(year)]
        assert len(editions) == (year % 2), year
    assert milano.held_in(2027) and not hannover.held_in(2027)
    assert hannover.held_in(2029) and not milano.held_in(2029)
    assert fairs["METAV"].held_in(2026) and not fairs["METAV"].held_in(2027)
