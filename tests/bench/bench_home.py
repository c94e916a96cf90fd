"""Benchmark of the home page's coverage tree (live counts per commitment item).

    python -m tests.bench.bench_home --database-url sqlite:////path/crm.sqlite3 [--repeat 5]

Point it at a database filled by ``crm demo --scale 100`` (it only reads). It prints the
median time of ``framework_tree()`` and, measured in the same run as the baseline, the least
work any live count must do: one pass counting sub-item links per sub-item, without distinct
records per parent, deleted records or the roll-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa


def _median(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("CRM_ENV", "development")
    os.environ["CRM_DATABASE_URL"] = args.database_url

    from crm import create_app
    from crm.extensions import db
    from crm.models import Outreach, outreach_subitems
    from crm.services.framework import framework_tree

    app = create_app(serving=False)
    with app.app_context():
        outreach = db.session.scalar(sa.select(sa.func.count()).select_from(Outreach))
        links = db.session.scalar(sa.select(sa.func.count()).select_from(outreach_subitems))
        baseline_query = sa.select(
            outreach_subitems.c.commitment_item_id, sa.func.count()
        ).group_by(outreach_subitems.c.commitment_item_id)
        framework_tree()  # warm the page cache once for both
        baseline = _median(args.repeat, lambda: db.session.execute(baseline_query).all())
        tree = _median(args.repeat, framework_tree)
        dialect = db.engine.dialect.name
    print(f"home page coverage tree, {dialect}")
    print(f"data             {outreach:,} outreach records, {links:,} sub-item links")
    print(f"framework_tree   {tree * 1000:.0f} ms (median of {args.repeat})")
    print(f"baseline         {baseline * 1000:.0f} ms: plain count of links per sub-item")
    print(f"ratio            {tree / baseline:.1f} x the baseline")


if __name__ == "__main__":
    main()
