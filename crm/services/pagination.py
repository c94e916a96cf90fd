"""Pages of a list with a count that stops at ``COUNT_CAP``: shared by every list that pages.

The count comes with the page (one statement), and past ten thousand records the exact
number helps nobody (the page says "more than 10,000"), so counting stops there. A list
that names its filter (``count_key``) has "more than 10,000" remembered for a minute in its
process: the default lists are asked for again and again, by everyone, and that count was
most of what a page of them cost (10,001 index entries read per view).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crm.extensions import database_key, db

PAGE_SIZE = 50
COUNT_CAP = 10_000
MAX_PAGE = 10**9  # beyond any list, and within every integer column
OVER_CAP_SECONDS = 60.0  # how long "more than COUNT_CAP" is believed without counting again
MAX_REMEMBERED = 1024  # filters remembered per process; the oldest go first

# (database URL, list's key) -> monotonic time until which the list holds more than COUNT_CAP
_over_cap: dict[tuple[str, Hashable], float] = {}
clock = time.monotonic  # replaced by tests that let a minute pass


@dataclass
class Page:
    """One page of a list: its items, how many records there are (up to ``COUNT_CAP``)."""

    items: list[Any]
    total: int
    page: int
    pages: int
    is_capped: bool = False  # more than COUNT_CAP records: total and pages are lower bounds
    has_next: bool = False


def capped_count(query: sa.Select[*tuple[Any, ...]], in_order: bool = False) -> sa.Select[int]:
    """How many rows ``query`` has, counted up to ``COUNT_CAP + 1``.

    Counts ids only: a subquery of whole rows makes SQLite decode every column it counts.
    ``in_order``: the query's order is an index's, and walking that index is the cheapest
    count (SQLite would otherwise scan the table: 2 ms instead of 0.5 for 10,001 people).
    """
    capped = (
        (query if in_order else query.order_by(None))
        .with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(capped).correlate(None)


def paginate(
    query: sa.Select[*tuple[Any, ...]],
    page: int,
    size: int = PAGE_SIZE,
    rows: bool = False,
    count_in_order: bool = False,
    count: sa.Select[Any] | None = None,
    count_key: Hashable | None = None,
) -> Page:
    """One page of ``query`` and how many records there are, counted up to ``COUNT_CAP``.

    Counting every one of 100,000 people on each page view was most of the list's cost. The
    count comes with the page, as a subquery that both databases run once: one statement per
    page. ``rows``: plain column tuples (with ``total`` last) instead of ORM objects.
    ``count``: a capped count of the same rows that is cheaper than counting ``query``
    (``capped_count`` of a narrower statement, e.g. of an index that holds them all).
    ``count_key``: what the list's filter selects (never the page or the order), under which
    a count over the cap is remembered for ``OVER_CAP_SECONDS``: a minute in which records
    are deleted by the thousand can show "more than 10,000" a while longer, nothing worse.
    """
    count = count if count is not None else capped_count(query, count_in_order)
    memo = (database_key(), count_key) if count_key is not None else None
    believed = memo is not None and _over_cap.get(memo, 0.0) > clock()
    if believed:
        counted = query.add_columns(sa.literal(COUNT_CAP + 1, sa.Integer).label("total"))
    else:
        counted = query.add_columns(count.scalar_subquery().label("total"))

    def fetch(limit: int, offset: int) -> list[Any]:
        found = list(db.session.execute(counted.limit(limit).offset(offset)))
        return found if rows else [row[0] for row in found]

    asked = max(1, page)
    found = list(db.session.execute(counted.limit(size).offset((asked - 1) * size)))
    if found:
        total = found[0].total
    else:  # nothing on this page: none at all, or past the last page
        total = 0 if asked == 1 else db.session.scalar(count) or 0
    if memo is not None and not believed:
        _remember(memo, total)
    return page_of(total, asked, size, fetch, fetched=found if rows else [row[0] for row in found])


def _remember(memo: tuple[str, Hashable], total: int) -> None:
    """Keep a count over the cap (and forget one that fell under it)."""
    _over_cap.pop(memo, None)  # re-inserted last: the dict's order is the age of its entries
    if total <= COUNT_CAP:
        return
    if len(_over_cap) >= MAX_REMEMBERED:
        del _over_cap[next(iter(_over_cap))]
    _over_cap[memo] = clock() + OVER_CAP_SECONDS


def forget_counts() -> None:
    """Count every list again on its next view (tests; a bulk change in this process)."""
    _over_cap.clear()


def page_of(
    total: int,
    page: int,
    size: int,
    fetch: Callable[[int, int], list[Any]],
    fetched: list[Any] | None = None,
) -> Page:
    """The page asked for (clamped to the last one) of ``total`` records, counted up to
    ``COUNT_CAP + 1``; ``fetch(limit, offset)`` reads its items unless ``fetched`` holds
    those of the page asked for already. For lists that count in their own way."""
    asked = page
    is_capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    pages = max(1, -(-total // size))
    page = max(1, page) if is_capped else min(max(1, page), pages)
    items = fetched if fetched is not None and page == asked else fetch(size, (page - 1) * size)
    if is_capped and not items and page > 1:
        page = pages
        items = fetch(size, (page - 1) * size)
    has_next = page < pages or (is_capped and len(items) == size)
    return Page(items, total, page, max(pages, page), is_capped, has_next)


def link_args(
    values: dict[str, Any], override: dict[str, Any], default_sort: str
) -> dict[str, Any]:
    """The query string of a list's filter for its links: ``override`` applied, and the
    first page, the default sort and empty values left out, so links stay short."""
    values = {**values, **override}
    if values.get("page") == 1:
        del values["page"]
    if values.get("sort") == default_sort:
        del values["sort"]
    return {k: v for k, v in values.items() if v not in (None, "")}
