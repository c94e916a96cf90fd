"""Counts over the cap are remembered a minute per filter; counts under it never are."""

from __future__ import annotations

import pytest

from crm.services import pagination, register
from crm.services.outreach.listing import OutreachFilter
from crm.services.search import RegisterFilter, organisations_query
from tests import factories


@pytest.fixture
def cap_of_five(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """COUNT_CAP 5, and a clock the test moves (now[0], in seconds)."""
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    now = [1000.0]
    monkeypatch.setattr(pagination, "clock", lambda: now[0])
    return now


def _page(f: RegisterFilter) -> pagination.Page:
    return pagination.paginate(organisations_query(f), 1, size=2, count_key=("t", f.selection()))


def test_a_count_over_the_cap_is_believed_for_a_minute_then_counted_again(
    app, db, cap_of_five
) -> None:
    made = [factories.make_organisation(name=f"Drehteile {n} GmbH") for n in range(7)]
    f = RegisterFilter.from_args({"q": "drehteile"})
    assert (_page(f).total, _page(f).is_capped) == (5, True)
    admin = factories.make_user()
    for organisation in made[:4]:
        register.delete_record(organisation, admin)
    cap_of_five[0] += pagination.OVER_CAP_SECONDS - 1
    believed = _page(f)
    assert (believed.is_capped, len(believed.items)) == (True, 2)  # the page itself is current
    cap_of_five[0] += 2
    counted = _page(f)
    assert (counted.total, counted.is_capped, counted.pages) == (3, False, 2)


def test_a_count_under_the_cap_is_never_remembered(app, db, cap_of_five) -> None:
    for n in range(3):
        factories.make_organisation(name=f"Frästechnik {n} AG")
    f = RegisterFilter.from_args({"q": "frästechnik"})
    assert _page(f).total == 3
    factories.make_organisation(name="Frästechnik 3 AG")
    assert _page(f).total == 4


def test_each_filter_is_counted_under_its_own_key(app, db, cap_of_five) -> None:
    for n in range(7):
        factories.make_organisation(name=f"Schleiftechnik {n} GmbH")
    factories.make_organisation(name="Schleifmittel GmbH")
    assert _page(RegisterFilter.from_args({"q": "schleiftechnik"})).is_capped
    other = _page(RegisterFilter.from_args({"q": "schleifmittel"}))
    assert (other.total, other.is_capped) == (1, False)
    assert _page(RegisterFilter.from_args({})).is_capped
    # without a key, counted on every page
    page = pagination.paginate(
        organisations_query(RegisterFilter.from_args({"q": "schleifmittel"})), 1
    )
    assert page.total == 1


def test_the_oldest_filters_are_forgotten_first(app, db, cap_of_five, monkeypatch) -> None:
    monkeypatch.setattr(pagination, "MAX_REMEMBERED", 2)
    for n in range(6):
        factories.make_organisation(name=f"Lasertechnik {n} GmbH", country_code="FR")
    keys = [("t", n) for n in range(3)]
    query = organisations_query(RegisterFilter.from_args({"country": "FR"}))
    for key in keys:
        pagination.paginate(query, 1, count_key=key)
    remembered = {memo[1] for memo in pagination._over_cap}
    assert remembered == {keys[1], keys[2]}


def test_the_outreach_selection_ignores_page_order_and_zone_but_not_the_filter(app, db) -> None:
    def selection(**args: str) -> tuple[object, ...]:
        return OutreachFilter.from_args(args).selection()

    assert selection(subitem="1.3b") == selection(subitem="1.3b", page="3", sort="oldest")
    assert selection(subitem="1.3b") != selection(subitem="1.3a")
    assert selection(commitment="1") != selection(commitment="1.3")
    assert selection(year="2026") != selection(year="2025")
    assert selection(q="guidelines  training") == selection(q="Guidelines training")
    assert selection(country="DE") != selection(country="DE", kind="enterprise")
