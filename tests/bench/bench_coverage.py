"""Benchmark of the coverage figures: the home page's tree and the coverage matrix.

    python -m tests.bench.bench_coverage --database-url URL [--repeat 5]

Point it at a database filled by ``crm demo --scale 100`` and upgraded to the kept figures
(migration a9e0c0de0011); it only reads. Printed, each beside the raw SQL it needs, run on
the same database in the same run (medians of ``--repeat``):

- the home page's work: ``framework_tree(count_outreach=False)`` (the events, live) and
  ``item_totals(all time)`` (kept figures), beside the raw read of the kept totals and the
  old live count (``framework_tree()``, 1,085 ms at issue 11) and a plain count of sub-item
  links per sub-item;
- ``coverage_matrix`` for this year, a quarter and all time, on each axis (the service call
  the /coverage page makes), beside the raw read of the kept rows it needs;
- ``coverage_matrix`` filtered by a custom period, a country and an officer (a live
  aggregate), beside the same SQL statements run bare through the driver (the raw SQL that
  the figures need), and a plain count of the filter's records per sub-item.

Targets (issue 11): home, year, quarter and all time under 100 ms; the filtered one within
1.5 times its raw SQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa


def _median(repeat: int, work: Callable[[], object]) -> float:
    work()  # warm the page cache and the statement cache once
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--country", default="DE")
    args = parser.parse_args()
    os.environ.setdefault("CRM_ENV", "development")
    os.environ["CRM_DATABASE_URL"] = args.database_url

    from crm import create_app
    from crm.extensions import db
    from crm.models import Outreach, coverage_figures, outreach_subitems
    from crm.services.coverage import (
        Axis,
        CoverageFilter,
        Period,
        coverage_matrix,
        item_totals,
        live,
    )
    from crm.services.framework import framework_tree

    app = create_app(serving=False)
    lines: list[tuple[str, float, str, float, float | None]] = []
    with app.app_context():
        session = db.session
        connection = session.connection()
        records = session.scalar(sa.select(sa.func.count()).select_from(Outreach)) or 0
        last = session.scalar(sa.select(sa.func.max(Outreach.occurred_at)))
        year = last.year if last else date.today().year
        officer = session.execute(
            sa.select(Outreach.logged_by_id, sa.func.count())
            .where(Outreach.logged_by_id.is_not(None))
            .group_by(Outreach.logged_by_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).first()
        officer_id = officer[0] if officer else None
        f_ = coverage_figures.c

        def kept_read(key: str, axis: str) -> Callable[[], object]:
            query = sa.select(f_).where(f_.period_key == key, f_.axis.in_(("all", axis)))
            return lambda: session.execute(query).all()

        links = sa.select(outreach_subitems.c.commitment_item_id, sa.func.count()).group_by(
            outreach_subitems.c.commitment_item_id
        )

        def home() -> object:
            framework_tree(count_outreach=False)
            return item_totals(Period.all_time())

        lines.append(
            (
                "home page (tree + kept totals)",
                _median(args.repeat, home),
                "kept totals read",
                _median(args.repeat, kept_read("all", "all")),
                None,
            )
        )
        lines.append(
            (
                "  old live tree (framework_tree)",
                _median(max(1, args.repeat // 2), framework_tree),
                "count of links per sub-item",
                _median(args.repeat, lambda: session.execute(links).all()),
                None,
            )
        )
        quarter = Period.quarter(year, 2)
        for period in (Period.year(year), quarter, Period.all_time()):
            for axis in Axis:
                f = CoverageFilter(period=period, axis=axis)
                lines.append(
                    (
                        f"/coverage {period.label}, {axis.value}",
                        _median(args.repeat, lambda f=f: coverage_matrix(f)),
                        "kept rows read",
                        _median(args.repeat, kept_read(period.key, axis.value)),
                        None,
                    )
                )
        custom = Period.custom(date(year, 2, 10), date(year, 8, 20))
        statements: list[tuple[str, Any]] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            statements.append((statement, parameters))

        for axis in Axis:
            f = CoverageFilter(
                period=custom, axis=axis, country=args.country, officer_id=officer_id
            )
            statements.clear()
            sa.event.listen(connection, "before_cursor_execute", record)
            live.figures(f, (axis,))
            sa.event.remove(connection, "before_cursor_execute", record)
            cursor_sql = list(statements)

            def raw(cursor_sql: list[tuple[str, Any]] = cursor_sql) -> None:
                raw_connection = connection.connection.driver_connection
                cursor = raw_connection.cursor()  # type: ignore[union-attr]
                for statement, parameters in cursor_sql:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                cursor.close()

            start, end = custom.bounds()
            plain = (
                sa.select(outreach_subitems.c.commitment_item_id, sa.func.count())
                .join(Outreach, Outreach.id == outreach_subitems.c.outreach_id)
                .where(
                    Outreach.deleted_at.is_(None),
                    Outreach.occurred_at >= start,
                    Outreach.occurred_at < end,
                    Outreach.logged_by_id == officer_id,
                )
                .group_by(outreach_subitems.c.commitment_item_id)
            )
            service = _median(args.repeat, lambda f=f: coverage_matrix(f))
            bare = _median(args.repeat, raw)
            lines.append(
                (
                    f"/coverage {custom.label}, {args.country}, #{officer_id}, {axis.value}",
                    service,
                    f"its {len(cursor_sql)} statements bare",
                    bare,
                    _median(args.repeat, lambda plain=plain: session.execute(plain).all()),
                )
            )
        dialect = db.engine.dialect.name
    print(f"coverage figures, {dialect}, {records:,} outreach records, {date.today()}")
    for name, took, baseline_name, baseline, plain in lines:
        ratio = f"{took / baseline:.2f} x" if baseline else ""
        extra = f"; plain count of its records per sub-item {plain:.0f} ms" if plain else ""
        print(f"{name:<58} {took:8.1f} ms   {baseline_name} {baseline:.1f} ms ({ratio}){extra}")


if __name__ == "__main__":
    main()
