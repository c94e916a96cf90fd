"""Reference data read once per process: the countries, the languages and the commitment
framework.

They change only with ``crm seed``, which runs at deployment before the web workers start
(README, "Deploying"); ``seed_all`` clears this cache in its own process. Every list checks
its country and sub-item parameters against them, so reading them from the database on each
request cost two statements a page. The cache is keyed by the database's URL, so one process
that serves two databases (the tests do) never mixes them, and an empty read (a database not
seeded yet) is not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

from crm.extensions import database_key, db
from crm.models import CommitmentItem, Country, Language

T = TypeVar("T")
ItemRow = tuple[int, int | None, str]  # (id, parent id, code) of a commitment item
ItemText = tuple[int, int | None, str, str]  # (id, parent id, code, text)

_cache: dict[tuple[str, str], object] = {}


def _cached(name: str, load: Callable[[], T]) -> T:
    key = (database_key(), name)
    try:
        return _cache[key]  # type: ignore[return-value]
    except KeyError:
        pass
    value = load()
    if value:
        _cache[key] = value
    return value


def clear() -> None:
    """Forget what was read (after ``crm seed`` changed it, in the same process)."""
    _cache.clear()


def vocabulary(model: type[Country] | type[Language]) -> tuple[tuple[str, str], ...]:
    """(code, "Name (code)") of every country or language, in the order of their names."""

    def load() -> tuple[tuple[str, str], ...]:
        rows = db.session.execute(sa.select(model.code, model.name).order_by(model.name))
        return tuple((code, f"{name} ({code})") for code, name in rows)

    return _cached(f"vocabulary:{model.__tablename__}", load)


def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of the seeded countries."""
    return _cached("country codes", lambda: frozenset(code for code, _ in vocabulary(Country)))


def language_codes() -> frozenset[str]:
    """The ISO 639-1 codes of the seeded languages."""
    return _cached("language codes", lambda: frozenset(code for code, _ in vocabulary(Language)))


def framework_items() -> tuple[ItemText, ...]:
    """Every commitment item of every framework, in the frameworks' own order."""

    def load() -> tuple[ItemText, ...]:
        items = CommitmentItem.__table__.c
        rows = db.session.execute(
            sa.select(items.id, items.parent_id, items.code, items.text).order_by(
                items.framework_id, items.sort_order, items.id
            )
        )
        return tuple((item_id, parent_id, code, text) for item_id, parent_id, code, text in rows)

    return _cached("framework items", load)


def item_rows() -> tuple[ItemRow, ...]:
    """Every commitment item as (id, parent id, code)."""
    return _cached("item rows", lambda: tuple(row[:3] for row in framework_items()))
