"""Reference data is read once per process and database, and again after a seed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import Country, Language
from crm.services import reference
from crm.services.checks import clean_country
from crm.services.errors import ValidationError
from crm.services.seed import seed_all


@pytest.fixture(autouse=True)
def _read_afresh() -> Iterator[None]:
    """What these tests read (a country added and rolled back) is not kept for the next."""
    yield
    reference.clear()


def _statements(action) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    engine = _db.session.get_bind().engine

    def count(*_args: object) -> None:
        seen.append("statement")

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_countries_and_the_framework_are_read_once(app, db) -> None:
    db.session.execute(sa.text("SELECT 1"))  # the test's transaction has begun
    reference.clear()
    assert _statements(lambda: (reference.country_codes(), reference.item_rows())) == 2
    assert _statements(lambda: (reference.country_codes(), reference.item_rows())) == 0
    assert "DE" in reference.country_codes()
    assert ("de", "German (de)") in reference.vocabulary(Language)


def test_a_seed_reads_them_again(app, db) -> None:
    reference.country_codes()
    db.session.add(Country(code="XK", name="Kosovo", is_eu=False))
    db.session.flush()
    assert "XK" not in reference.country_codes()  # not a seed: not seen until one runs
    seed_all()
    assert "XK" in reference.country_codes()
    assert clean_country("xk") == "XK"


def test_an_empty_read_is_not_kept(app, db) -> None:
    reads = iter([(), ("one",)])
    assert reference._cached("test: empty first", lambda: next(reads)) == ()
    assert reference._cached("test: empty first", lambda: next(reads)) == ("one",)
    assert reference._cached("test: empty first", lambda: ("two",)) == ("one",)


def test_an_unknown_country_is_still_refused(app, db) -> None:
    with pytest.raises(ValidationError, match="not an ISO 3166-1 country code"):
        clean_country("QQ")
