"""The shared field checks: what counts as text, as empty, as a disguise."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from crm.services import register
from crm.services.checks import (
    check_characters,
    clean_clock_time,
    clean_date,
    clean_text,
    local_to_utc,
)
from crm.services.errors import ValidationError
from tests import factories

KEY = b"test-erasure-key"
PERSON = {
    "first_name": "Ana",
    "last_name": "Kovač",
    "lawful_basis": "legitimate-interest",
    "lawful_basis_source": "Business card, BIEMH 2026",
}


@pytest.mark.parametrize(
    "invisible", [" ", "\u200b", "\u2800", "\u3164", "\ufeff", " \u200b\u200d ", "\u2060"]
)
def test_text_that_shows_nothing_is_empty(invisible: str) -> None:
    assert clean_text(invisible, "notes", 100) is None
    with pytest.raises(ValidationError, match="required"):
        clean_text(invisible, "lawful_basis_source", 300, required=True)


def test_invisible_characters_at_the_ends_go_and_joiners_inside_stay() -> None:
    assert clean_text("\u200bAna Kovač\u200b ", "first_name", 100) == "Ana Kovač"
    assert clean_text("👩\u200d🔧", "notes", 100) == "👩\u200d🔧"  # an emoji sequence


# Every character of Unicode's Bidi_Control property: the marks (U+061C, U+200E, U+200F) too.
BIDI = ["\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"]
BIDI += ["\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("control", BIDI)
def test_direction_controls_that_disguise_text_are_refused(control: str) -> None:
    with pytest.raises(ValidationError, match="direction control") as refused:
        clean_text(f"Ana {control}Kovač", "last_name", 100)
    assert refused.value.field == "last_name"
    # The character check itself refuses them, whatever reads the text.
    with pytest.raises(ValidationError, match="direction control"):
        check_characters(f"Ana {control}Kovač", "notes")


def test_a_person_named_only_by_invisible_characters_is_refused(app, db) -> None:
    actor = factories.make_user()
    data = {**PERSON, "first_name": " ", "last_name": "\u200b"}
    with pytest.raises(ValidationError, match="a first or a last name is required"):
        register.create_person(data, actor, erasure_key=KEY)
    with pytest.raises(ValidationError, match="required") as refused:
        register.create_person({**PERSON, "lawful_basis_source": "\u200b"}, actor, erasure_key=KEY)
    assert refused.value.field == "lawful_basis_source"


def test_an_organisation_named_by_a_zero_width_space_is_refused(app, db) -> None:
    actor = factories.make_user()
    with pytest.raises(ValidationError, match="required") as refused:
        register.create_organisation(
            {"name": "\u200b", "kind": "enterprise", "country_code": "DE"}, actor
        )
    assert refused.value.field == "name"


def test_the_form_refuses_an_invisible_name(client, signed_in) -> None:
    from tests.conftest import csrf_token

    signed_in("officer")
    data = {**PERSON, "first_name": "\u2800", "last_name": "\u200b"}
    response = client.post(
        "/people/new", data={**data, "csrf_token": csrf_token(client, "/people/new")}
    )
    assert response.status_code == 400
    assert "a first or a last name is required" in response.get_data(as_text=True)


@pytest.mark.parametrize("odd", ["1_0", "١", "１", "1.0", "0x10", "1e3"])
def test_whole_numbers_are_ascii_digits_only(odd: str) -> None:
    from crm.services.checks import clean_int

    with pytest.raises(ValidationError, match="not a whole number"):
        clean_int(odd, "page", 1, 1000)
    assert clean_int("+7", "page", 1, 1000) == 7


@pytest.mark.parametrize(
    "digits", ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９"]
)  # Arabic-Indic, fullwidth
def test_record_ids_in_urls_are_ascii_digits(client, signed_in, digits: str) -> None:
    from urllib.parse import quote

    person = factories.make_person()
    signed_in("officer")
    assert client.get(f"/people/{person.id}").status_code == 200
    other_script = str(person.id).translate(str.maketrans("0123456789", digits))
    assert client.get("/people/" + quote(other_script)).status_code == 404


# --- Dates and times typed in a form ---------------------------------------------------------


def test_dates_that_exist_and_dates_that_do_not() -> None:
    assert clean_date("2028-02-29", "day") == date(2028, 2, 29)
    assert clean_date("", "day") is None
    for typed, says in (
        ("2026-02-29", "February 2026 has 28 days"),
        ("2026-04-31", "April 2026 has 30 days"),
        ("2026-00-10", "no month 0"),
        ("0000-01-01", "no year 0"),
        ("10/03/2026", "YYYY-MM-DD"),
        ("２０２６-01-01", "YYYY-MM-DD"),  # other scripts' digits are not a date
    ):
        with pytest.raises(ValidationError) as refused:
            clean_date(typed, "day")
        assert says in refused.value.message and refused.value.field == "day", typed


def test_times_of_day() -> None:
    assert clean_clock_time("7:05", "at") == time(7, 5)
    for typed in ("24:00", "12:60", "noon", "12.30", "-1:00"):
        with pytest.raises(ValidationError):
            clean_clock_time(typed, "at")


def test_a_wall_clock_time_in_a_zone_becomes_utc() -> None:
    brussels = ZoneInfo("Europe/Brussels")
    summer = local_to_utc(date(2026, 7, 1), time(10, 30), brussels, "at")
    assert summer == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    # The hour that repeats when summer time ends: the first of the two is meant.
    repeated = local_to_utc(date(2026, 10, 25), time(2, 30), brussels, "at")
    assert repeated == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # The hour skipped when it starts does not exist.
    with pytest.raises(ValidationError) as refused:
        local_to_utc(date(2026, 3, 29), time(2, 30), brussels, "at")
    assert "does not exist in Europe/Brussels" in refused.value.message


@pytest.mark.parametrize(
    ("day", "clock", "zone"),
    [
        (date(1, 1, 1), time(0, 0), "Europe/Brussels"),  # UTC is still in year 0
        (date(9999, 12, 31), time(23, 59), "America/New_York"),  # UTC is in year 10000
    ],
)
def test_a_wall_clock_time_whose_utc_instant_leaves_the_calendar(day, clock, zone) -> None:
    with pytest.raises(ValidationError) as refused:
        local_to_utc(day, clock, ZoneInfo(zone), "at", day_field="day")
    assert f"{day.isoformat()} is outside the calendar" in refused.value.message
    assert refused.value.field == "day"
