"""Benchmark of ``crm demo --scale N``: the real command, on a fresh database, with a baseline.

    python -m tests.bench.bench_demo [--scale 100] [--database-url URL] [--seed 2027]

Without ``--database-url`` it uses a new SQLite file in a temporary folder. With one, that
database is emptied first (PostgreSQL: schema ``public`` dropped and recreated; SQLite: the
file removed), so never point it at data you want to keep.

The baseline is measured in the same run: ``crm demo --scale 1`` on an equally fresh database,
multiplied by N. Comparing the two shows whether the generator scales linearly (ratio near 1)
or degrades as tables and indexes grow. The target from the product brief is "minutes, not
hours": under 15 minutes at scale 100 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from tests.livedb import crm_executable

TARGET_SCALE = 100
TARGET_SECONDS = 15 * 60
PASSWORD = "benchmark passphrase"
ROWS = re.compile(r": ([\d,]+) rows: ")


@dataclass
class Run:
    scale: int
    seconds: float
    rows: int
    stages: list[str]


def run_crm(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CRM_ENV": "development", "CRM_DATABASE_URL": url}
    result = subprocess.run(
        [*crm_executable(), *args], env=env, text=True, capture_output=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"crm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def sqlite_path(url: str) -> Path | None:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database or "")


def empty_database(url: str) -> None:
    """Remove everything so that ``crm db upgrade`` starts from nothing."""
    path = sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def database_size(url: str) -> int:
    path = sqlite_path(url)
    if path is not None:
        return sum(
            Path(f"{path}{suffix}").stat().st_size
            for suffix in ("", "-wal", "-shm")
            if Path(f"{path}{suffix}").exists()
        )
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(sa.text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return int(size or 0)


def demo(url: str, scale: int, seed: int) -> Run:
    """A fresh, migrated and seeded database, then the timed ``crm demo`` alone."""
    empty_database(url)
    run_crm(["db", "upgrade"], url)
    run_crm(["seed"], url)
    started = time.perf_counter()
    result = run_crm(
        ["demo", "--scale", str(scale), "--seed", str(seed), "--password", PASSWORD], url
    )
    seconds = time.perf_counter() - started
    match = ROWS.search(result.stdout)
    rows = int(match.group(1).replace(",", "")) if match else 0
    return Run(scale, seconds, rows, result.stderr.strip().splitlines())


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:,.1f} {unit}"
        value /= 1024
    return f"{size} B"


def minutes(seconds: float) -> str:
    return f"{seconds:,.1f} s ({seconds / 60:.1f} min)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=TARGET_SCALE)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument(
        "--database-url", help="database to empty and use (default: a temporary SQLite file)"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="crm-bench-") as folder:
        url = args.database_url or "sqlite:///" + str(Path(folder) / "crm.sqlite3")
        backend = sa.make_url(url).get_backend_name()
        print(f"crm demo benchmark: scale {args.scale}, seed {args.seed}, {backend}")
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")

        baseline = demo(url, 1, args.seed)
        print(f"baseline  scale 1: {baseline.seconds:.1f} s, {baseline.rows:,} rows")
        run = demo(url, args.scale, args.seed)
        size = database_size(url)

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    extrapolated = baseline.seconds * args.scale
    print(f"\nstages of scale {args.scale}:")
    for line in run.stages:
        print(f"  {line}")
    print(f"\nwall time        {minutes(run.seconds)}")
    print(f"rows             {run.rows:,} ({run.rows / run.seconds:,.0f} rows/s)")
    print(f"database size    {human_size(size)}")
    print(f"peak memory      {peak / 1024:,.0f} MiB (largest child process)")
    print(f"baseline         scale 1 x {args.scale} = {minutes(extrapolated)}")
    print(f"scaling          {run.seconds / extrapolated:.2f} x the linear extrapolation")

    projected = run.seconds * TARGET_SCALE / args.scale
    within = projected < TARGET_SECONDS
    how = "measured" if args.scale == TARGET_SCALE else f"projected from scale {args.scale}"
    verdict = "PASS" if within else "FAIL"
    print(
        f"target           minutes, not hours: scale {TARGET_SCALE} under "
        f"{TARGET_SECONDS // 60} min on 2 cores: {verdict} ({how}: {minutes(projected)})"
    )
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())
