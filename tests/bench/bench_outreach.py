"""Benchmark of the outreach list under load, and of logging outreach through the form.

    python -m tests.bench.bench_outreach --database-url URL --password PW
        [--rounds 3] [--duration 10] [--records 1000] [--year YYYY]

Point ``--database-url`` at a database filled by ``crm demo --scale 100`` (1,000,000 outreach
records). Without it, a new SQLite file in a temporary folder is filled first, as
``bench_register`` does. The list part only reads; the logging part adds ``--records``
outreach records (subjects "Benchmark outreach N"; ``--records 0`` leaves it out).

Part 1, the list, measured exactly as ``bench_register`` measures the people list (gunicorn,
2 sync workers on loopback, ``wrk`` with 2 threads and 16 connections, in rounds, each page's
share of the bare page taken within a round), beside both of its baselines in the same run:

- ``/login``, anonymous: the bare page (a template and a signed cookie, no SQL);
- ``/account``, signed in: one trivial query;
- ``/outreach``: the first page of the list (newest first, capped count of every live record);
- ``/outreach?subitem=1.3b&country=DE&year=YYYY``: the sub-item served most, the country
  reached most (directly or through people who counted for its organisations), and the last
  full year of the demo's two (``--year``).

Target from issue 8: each list page reaches at least a fifth of the bare page's throughput,
with p95 under 100 ms.

Part 2, logging: one client signs in as a demo officer and posts ``--records`` records, one
after the other, to ``/outreach/new`` with the form's own fields (people with their current
organisation, one or two sub-items, sometimes a material). The server time of each is read
from gunicorn's access log (``%(D)s``: from the request read to the response written), the
round trip at the client beside it. Target: p95 of the server time under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.bench.bench_register import (
    BARE,
    COOKIE,
    ONE_QUERY,
    WORKERS,
    WRK_SCRIPT,
    Result,
    _CsrfToken,
    _NoRedirect,
    baseline_statements,
    build_demo_database,
    check_page,
    fetch,
    measure,
    report,
    sign_in,
)
from tests.livedb import free_port, gunicorn, production_env

VIEWER = "viewer@demo.example"
OFFICER = "officer1@demo.example"
SUBITEM = "1.3b"
COUNTRY = "DE"
FORM = "/outreach/new"
MAX_FORM_P95_MS = 50.0
ACCESS_FORMAT = "bench-access %(m)s %(U)s %(s)s %(D)s"
ACCESS_LINE = re.compile(r"^bench-access (\w+) (\S+) (\d{3}) (\d+)$", re.M)
CHANNELS = ("email", "call", "meeting")


def list_pages(year: int) -> tuple[str, str]:
    return "/outreach", f"/outreach?subitem={SUBITEM}&country={COUNTRY}&year={year}"


def default_year(url: str) -> int:
    """The last year of the demo's two that is more than half over at its newest record."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            newest = connection.scalar(
                sa.text("SELECT max(occurred_at) FROM outreach_records WHERE deleted_at IS NULL")
            )
    finally:
        engine.dispose()
    if newest is None:
        sys.exit("no outreach in this database: is it a demo database?")
    if isinstance(newest, str):  # SQLite hands back the stored text
        year, month = int(newest[:4]), int(newest[5:7])
    else:
        year, month = newest.year, newest.month
    return year if month >= 7 else year - 1


def unvacuumed(url: str) -> list[str]:
    if sa.make_url(url).get_backend_name() != "postgresql":
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.text(
                        "SELECT relname FROM pg_stat_user_tables WHERE relname IN "
                        "('outreach_records', 'outreach_subitems', 'outreach_people', "
                        "'outreach_organisations') "
                        "AND last_vacuum IS NULL AND last_autovacuum IS NULL ORDER BY relname"
                    )
                )
            )
    finally:
        engine.dispose()


# --- Part 1: the list ------------------------------------------------------------------------


def bench_list(
    base_url: str, password: str, year: int, duration: int, rounds: int, script: Path
) -> bool:
    cookie = sign_in(base_url, VIEWER, password)
    bare_page = check_page(base_url, BARE, None)
    one_query_page = check_page(base_url, ONE_QUERY, cookie)
    pages = [check_page(base_url, path, cookie) for path in list_pages(year)]
    for page in pages:
        if page.people is None:
            sys.exit(f"GET {page.path} is not the outreach list (no result count)")
        more = "more than " if "More than" in page.body else ""
        print(f"  {page.path} lists {more}{page.people:,} records")
    timed = [(bare_page, None), *((p, cookie) for p in (one_query_page, *pages))]
    runs: dict[str, list[Result]] = {page.path: [] for page, _ in timed}
    for n in range(rounds):
        print(f"round {n + 1} of {rounds}", flush=True)
        for page, page_cookie in timed:
            runs[page.path].append(measure(base_url, page, page_cookie, duration, script, n == 0))
    check_page(base_url, pages[0].path, cookie)  # still signed in: no figure was a redirect
    return report(runs, ONE_QUERY)


# --- Part 2: logging through the form --------------------------------------------------------


def form_choices(url: str) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """(person, current organisation) pairs, sub-item ids and active material ids."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            pairs = connection.execute(
                sa.text(
                    "SELECT positions.person_id, positions.organisation_id FROM positions "
                    "JOIN people ON people.id = positions.person_id "
                    "JOIN organisations ON organisations.id = positions.organisation_id "
                    "WHERE positions.ends_on IS NULL AND people.deleted_at IS NULL "
                    "AND people.erased_at IS NULL AND organisations.deleted_at IS NULL "
                    "ORDER BY positions.id LIMIT 5000"
                )
            ).all()
            leaves = connection.scalars(
                sa.text(
                    "SELECT id FROM commitment_items AS item WHERE NOT EXISTS "
                    "(SELECT 1 FROM commitment_items AS child WHERE child.parent_id = item.id) "
                    "ORDER BY id"
                )
            ).all()
            materials = connection.scalars(
                sa.text("SELECT id FROM materials WHERE retired_at IS NULL ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    if not pairs or not leaves:
        sys.exit("no people with positions or no sub-items: is it a demo database?")
    return [(int(p), int(o)) for p, o in pairs], [int(i) for i in leaves], list(materials)


def form_fields(
    rng: random.Random,
    n: int,
    token: str,
    choices: tuple[list[tuple[int, int]], list[int], list[int]],
) -> list[tuple[str, str]]:
    """One record as the form posts it (repeatable fields repeated)."""
    from crm.clock import local_today

    pairs, leaves, materials = choices
    person, organisation = rng.choice(pairs)
    day = local_today() - timedelta(days=rng.randint(0, 60))
    fields = [
        ("csrf_token", token),
        ("occurred_on", day.isoformat()),
        ("occurred_time", f"{rng.randint(8, 17):02d}:{rng.randrange(0, 60, 5):02d}"),
        ("channel", rng.choice(CHANNELS)),
        ("direction", "outbound"),
        ("subject", f"Benchmark outreach {n}: follow-up on the guidelines"),
        ("person_ids", str(person)),
        ("organisation_ids", str(organisation)),
        ("event_id", ""),
        ("outcome", rng.choice(("informed", "interested", ""))),
        ("notes", "Logged by the outreach benchmark." if n % 5 == 0 else ""),
    ]
    if rng.random() < 0.2:
        fields.append(("person_ids", str(rng.choice(pairs)[0])))
    for item in rng.sample(leaves, rng.randint(1, 2)):
        fields.append(("subitem_ids", str(item)))
    if materials and rng.random() < 0.3:
        fields.append(("material_ids", str(rng.choice(materials))))
    return fields


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def bench_form(base_url: str, url: str, password: str, records: int, log_path: Path) -> bool:
    cookie = sign_in(base_url, OFFICER, password)
    opener = urllib.request.build_opener(_NoRedirect)
    opener.addheaders = [("Cookie", f"{COOKIE}={cookie}")]
    status, _, body = fetch(opener, base_url + FORM)
    parser = _CsrfToken()
    parser.feed(body)
    if status != 200 or not parser.token:
        sys.exit(f"GET {FORM} answered {status} without a csrf_token field")
    choices = form_choices(url)
    rng = random.Random(8)
    round_trips: list[float] = []
    print(f"logging {records:,} outreach records through {FORM}, one client ...", flush=True)
    before = log_path.read_text().count("\n")
    for n in range(1, records + 1):
        data = urllib.parse.urlencode(form_fields(rng, n, parser.token, choices)).encode()
        started = time.perf_counter()
        status, headers, body = fetch(opener, base_url + FORM, data)
        round_trips.append((time.perf_counter() - started) * 1000)
        if status not in (302, 303):
            errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', body)
            sys.exit(
                f"POST {FORM} (record {n}) answered {status}, not a redirect: "
                + ("; ".join(e.strip() for e in errors[:5]) or body[:500])
            )
    time.sleep(1)  # gunicorn writes its access log line after the response
    lines = log_path.read_text().split("\n")[before:]
    server = [
        int(us) / 1000
        for method, path, _status, us in ACCESS_LINE.findall("\n".join(lines))
        if method == "POST" and path == FORM
    ]
    if len(server) != records:
        print(f"WARNING: {len(server)} access log lines for {records} posts")
    if not server:
        sys.exit("no server times in gunicorn's access log")
    median, p95 = statistics.median(server), _percentile(server, 0.95)
    passed = p95 < MAX_FORM_P95_MS
    print(f"\n{'POST ' + FORM:<20} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}  target")
    print(
        f"{'server time':<20} {median:>10.1f} {p95:>8.1f} {max(server):>8.1f}  "
        f"{'PASS' if passed else 'FAIL'} (p95 under {MAX_FORM_P95_MS:.0f} ms)"
    )
    print(
        f"{'round trip':<20} {statistics.median(round_trips):>10.1f} "
        f"{_percentile(round_trips, 0.95):>8.1f} {max(round_trips):>8.1f}  (at the client)"
    )
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database filled by crm demo --scale 100")
    parser.add_argument(
        "--password",
        default=os.environ.get("CRM_BENCH_PASSWORD"),
        help="the demo password (default: $CRM_BENCH_PASSWORD)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per timed run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the four pages")
    parser.add_argument("--records", type=int, default=1000, help="records to log (0: none)")
    parser.add_argument("--year", type=int, help="the year of the filtered page")
    parser.add_argument("--skip-list", action="store_true", help="only the logging part")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if not 0 <= args.records <= 100_000:
        parser.error("--records must be between 0 and 100,000")
    if shutil.which("wrk") is None and not args.skip_list:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    if args.database_url and not args.password:
        parser.error("give --password (or CRM_BENCH_PASSWORD) of the demo users")

    with tempfile.TemporaryDirectory(prefix="crm-bench-outreach-") as name:
        folder = Path(name)
        password = args.password or "bench " + secrets.token_hex(8)
        url = args.database_url or build_demo_database(folder, password)
        year = args.year or default_year(url)
        port = free_port()
        env = production_env(url, port)
        script = folder / "p95.lua"
        script.write_text(WRK_SCRIPT)
        backend = sa.make_url(url).get_backend_name()
        print(f"outreach list and logging: {backend}, {os.cpu_count()} CPUs")
        stale = unvacuumed(url)
        if stale:
            print(
                f"WARNING: never vacuumed: {', '.join(stale)}; run VACUUM (ANALYZE) first, "
                "or the figures measure a fresh bulk load"
            )
        bare, one_query = baseline_statements(env, VIEWER, ONE_QUERY)
        print(f"baseline {BARE}: {'no SQL' if not bare else f'WARNING: {bare} statements'}")
        print(f"baseline {ONE_QUERY}: {'one query' if one_query == 1 else f'{one_query} queries'}")
        access_log = folder / "access.log"
        access_log.touch()
        env["GUNICORN_CMD_ARGS"] = (
            f"--access-logfile {access_log} --access-logformat '{ACCESS_FORMAT}'"
        )
        ok = True
        with gunicorn(env, port, folder, WORKERS) as base_url:
            if not args.skip_list:
                ok = bench_list(base_url, password, year, args.duration, args.rounds, script)
            if args.records:
                ok = bench_form(base_url, url, password, args.records, access_log) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
