"""Benchmark of the people list and a search under load, next to a bare page of the same app.

    python -m tests.bench.bench_register [--database-url URL] [--password PW]
        [--rounds 3] [--duration 10]

Point ``--database-url`` at a database filled by ``crm demo --scale 100`` (it only reads; the
one sign-in is its only write). Without it, a new SQLite file in a temporary folder is filled
with ``crm db upgrade``, ``crm seed`` and ``crm demo --scale 100`` first (about 3 minutes).

It serves the app as in production (gunicorn, 2 sync workers, on loopback), signs in as a demo
viewer through the real form, and loads four pages with ``wrk`` (2 threads, 16 connections)
in rounds (3 by default, the first after a short warm-up), each round in this order:

- ``/login`` for an anonymous visitor: the baseline, a page that renders a template and signs a
  session cookie but runs no SQL (checked in-process before timing). It is loaded without the
  session cookie, because a signed-in visitor is looked up in the database and redirected.
- ``/account`` for the signed-in viewer: the second baseline, a page that runs one trivial
  query (the user of the session, by its unique token; checked in-process) and renders a
  small template. Its share of the bare page is what a database costs a page that barely
  uses it: on SQLite a library call, on PostgreSQL a server process that takes its share of
  the same cores, round trips and a pooled connection. The lists run the same lookup, so
  their share of this page is their own cost beyond it.
- ``/people``: the first page of the people list (count of all live people, 50 rows, their
  positions, organisations and tags).
- ``/people?q=muller``: an accent-free search.

Target from issue 3: the list and the search reach at least a fifth of the bare page's
throughput, with p95 under 100 ms, on a 2-core machine where wrk competes with gunicorn (and,
on PostgreSQL, the database server). The
table gives medians over the rounds, and each page's share of the bare page as the median of
its shares within a round: on a shared machine whose speed drifts, pages measured a minute
apart are not comparable, pages measured in the same round are.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from unittest import mock

import sqlalchemy as sa

from tests.livedb import crm_executable, free_port, gunicorn, production_env

SCALE = 100
WORKERS = 2
THREADS = 2
CONNECTIONS = 16
WARMUP_SECONDS = 3
MIN_RATIO = 0.2  # a fifth of the bare page's throughput
MAX_P95_MS = 100.0
BARE = "/login"
ONE_QUERY = "/account"
PAGES = ("/people", "/people?q=muller")
COOKIE = "crm_session"
DEFAULT_EMAIL = "viewer@demo.example"

# wrk prints the summary, not p95: this prints p95 (and the exact byte count) when it is done.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("bench-p95-us: %d\\n", latency:percentile(95)))
  io.write(string.format("bench-bytes: %d\\n", summary.bytes))
  io.write(string.format("bench-requests: %d\\n", summary.requests))
end
"""
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
PERCENTILE = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
RESULT_COUNT = re.compile(r'class="result-count">\s*(?:More than )?([\d,]+)\s')


@dataclass
class Page:
    """What one page answered before timing: its size and the people it lists."""

    path: str
    status: int
    body: str

    @property
    def people(self) -> int | None:
        match = RESULT_COUNT.search(self.body)
        return int(match.group(1).replace(",", "")) if match else None


@dataclass
class Result:
    """One timed wrk run; ``problems`` non-empty means it is no figure at all."""

    path: str
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def build_demo_database(folder: Path, password: str) -> str:
    """A fresh SQLite file filled by the real commands, as a user would fill one."""
    url = "sqlite:///" + str(folder / "crm.sqlite3")
    env = {**os.environ, "CRM_ENV": "development", "CRM_DATABASE_URL": url}
    print(f"building a scale-{SCALE} demo database in {folder} (about 3 minutes) ...", flush=True)
    steps = (
        ["db", "upgrade"],
        ["seed"],
        ["demo", "--scale", str(SCALE), "--password", password],
    )
    for args in steps:
        started = time.perf_counter()
        result = subprocess.run(
            [*crm_executable(), *args],
            env=env,
            text=True,
            capture_output=True,
            timeout=30 * 60,
            check=False,
        )
        if result.returncode != 0:
            sys.exit(f"crm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        print(f"  crm {args[0]}: {time.perf_counter() - started:.0f} s", flush=True)
    return url


def _is_query(statement: str) -> bool:
    """Not transaction control (SQLite's BEGIN is a statement of its own, PostgreSQL's not)."""
    return statement.split(None, 1)[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}


def baseline_statements(env: dict[str, str], email: str, one_query_path: str) -> tuple[int, int]:
    """SQL statements, in-process, of the two baselines: the bare page for an anonymous
    visitor (it must stay database-free) and the one-query page for the signed-in ``email``
    (it must run one). The session is started directly (one row in user_sessions), without
    the sign-in's password check."""
    with mock.patch.dict(os.environ, env):
        from crm import create_app
        from crm.extensions import db
        from crm.models import User
        from crm.services import accounts

        app = create_app()
        statements: list[str] = []
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            if user is None:
                sys.exit(f"no user {email} in this database: is it a demo database?")
            config = app.config
            accounts.start_session(
                user,
                False,
                config["PERMANENT_SESSION_LIFETIME"],
                config["REMEMBER_COOKIE_DURATION"],
            )
            db.session.commit()
            user_id = user.get_id()
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        # Each request in its own app context, as served (Flask-Login caches the user there).
        client = app.test_client()
        bare = client.get(BARE)
        bare_statements = [s for s in statements if _is_query(s)]
        with client.session_transaction() as session:
            session["_user_id"] = user_id
        statements.clear()
        one_query = client.get(one_query_path)
        one_query_statements = [s for s in statements if _is_query(s)]
        engine.dispose()
    for path, response in ((BARE, bare), (one_query_path, one_query)):
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code} in-process; expected 200")
    return len(bare_statements), len(one_query_statements)


def unvacuumed_tables(url: str) -> list[str]:
    """PostgreSQL tables of the two pages that were never vacuumed. Until a vacuum marks
    their pages all-visible, an index-only scan reads the table too: the list's capped count
    took 28 ms instead of 1.9 right after ``crm demo``, which autovacuum fixes minutes later."""
    if sa.make_url(url).get_backend_name() != "postgresql":
        return []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(
                    sa.text(
                        "SELECT relname FROM pg_stat_user_tables WHERE relname IN "
                        "('people', 'search_terms', 'positions', 'person_tags') "
                        "AND last_vacuum IS NULL AND last_autovacuum IS NULL ORDER BY relname"
                    )
                )
            )
    finally:
        engine.dispose()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to check, not to follow (the home page is slow at scale 100)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _CsrfToken(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("name") == "csrf_token" and self.token is None:
            self.token = values.get("value")


def fetch(
    opener: urllib.request.OpenerDirector, url: str, data: bytes | None = None
) -> tuple[int, dict[str, str], str]:
    """Status, headers and body of one request; HTTP errors and redirects are answers too."""
    try:
        with opener.open(url, data=data, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


def sign_in(base_url: str, email: str, password: str) -> str:
    """The session cookie of a real sign-in through the form, as a browser holds it after
    its first page: with the CSRF token that page stored. (The sign-in's own cookie has
    none, so every request sent with it would make a new token and a new cookie.)"""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    status, _, body = fetch(opener, base_url + "/login")
    parser = _CsrfToken()
    parser.feed(body)
    if status != 200 or not parser.token:
        sys.exit(f"GET /login answered {status} without a csrf_token field")
    form = urllib.parse.urlencode(
        {"csrf_token": parser.token, "email": email, "password": password}
    ).encode()
    status, headers, _ = fetch(opener, base_url + "/login", form)
    if status == 429:
        sys.exit(f"sign-in as {email} is throttled (too many failures); wait and retry")
    if status not in (302, 303) or "/login" in headers.get("Location", ""):
        sys.exit(f"sign-in as {email} failed (HTTP {status}): wrong e-mail or password?")
    status, _, _ = fetch(opener, base_url + PAGES[0])
    if status != 200:
        sys.exit(f"GET {PAGES[0]} after signing in answered {status}; expected 200")
    for cookie in jar:
        if cookie.name == COOKIE:
            return cookie.value
    sys.exit(f"sign-in as {email} set no {COOKIE} cookie")


def check_page(base_url: str, path: str, cookie: str | None) -> Page:
    """One request before timing, so that a redirect or an error is not timed as a figure."""
    opener = urllib.request.build_opener(_NoRedirect)
    if cookie:
        opener.addheaders = [("Cookie", f"{COOKIE}={cookie}")]
    status, headers, body = fetch(opener, base_url + path)
    if status != 200:
        where = headers.get("Location", "")
        sys.exit(f"GET {path} answered {status} {where}".rstrip() + "; expected 200")
    return Page(path, status, body)


def parse_wrk(path: str, output: str, expected_bytes: int) -> Result:
    """Throughput and latencies from wrk's report; errors or odd sizes make the run invalid."""
    result = Result(path)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    percentiles = {p: float(v) * UNITS_MS[u] for p, v, u in PERCENTILE.findall(output)}
    p95 = re.search(r"^bench-p95-us: (\d+)", output, re.M)
    if not rate or "50" not in percentiles or "99" not in percentiles or not p95:
        result.problems.append("wrk output not understood:\n" + output)
        return result
    result.requests_per_second = float(rate.group(1))
    result.p50_ms = percentiles["50"]
    result.p99_ms = percentiles["99"]
    result.p95_ms = int(p95.group(1)) / 1000
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx and int(non_2xx.group(1)):
        result.problems.append(f"{non_2xx.group(1)} non-2xx/3xx responses")
    socket_errors = re.search(r"Socket errors: (.+)", output)
    if socket_errors:
        result.problems.append(f"socket errors: {socket_errors.group(1).strip()}")
    done = re.search(r"^bench-requests: (\d+)", output, re.M)
    size = re.search(r"^bench-bytes: (\d+)", output, re.M)
    if not done or not int(done.group(1)):
        result.problems.append("no request completed")
    elif size:
        # A redirect (expired session) is not counted as non-2xx by wrk, but it is tiny.
        mean = int(size.group(1)) / int(done.group(1))
        if not expected_bytes * 0.9 <= mean <= expected_bytes + 4096:
            result.problems.append(
                f"responses average {mean:,.0f} bytes, the checked page has {expected_bytes:,}"
            )
    return result


def run_wrk(url: str, seconds: int, script: Path, cookie: str | None) -> str:
    """One bounded wrk run; its report as text."""
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
    ]
    if cookie:
        command += ["-H", f"Cookie: {COOKIE}={cookie}"]
    result = subprocess.run(
        [*command, url], text=True, capture_output=True, timeout=seconds + 60, check=False
    )
    if result.returncode != 0:
        sys.exit(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def measure(
    base_url: str, page: Page, cookie: str | None, duration: int, script: Path, warm_up: bool
) -> Result:
    print(
        f"  {page.path}: {f'{WARMUP_SECONDS} s warm-up, ' if warm_up else ''}"
        f"{duration} s timed ...",
        flush=True,
    )
    if warm_up:
        run_wrk(base_url + page.path, WARMUP_SECONDS, script, cookie)
    output = run_wrk(base_url + page.path, duration, script, cookie)
    return parse_wrk(page.path, output, len(page.body.encode()))


def _share(results: list[Result], baseline: list[Result]) -> float:
    """Median over rounds of the page's requests/s as a share of the baseline's."""
    pairs = zip(results, baseline, strict=True)
    return statistics.median([r.requests_per_second / b.requests_per_second for r, b in pairs])


def report(runs: dict[str, list[Result]], one_query_path: str) -> bool:
    """The table of medians over rounds, with a verdict per page; True when every run is
    valid and on target. A page's share of a baseline is the median of its per-round
    shares: each round measures all pages within a minute, so a machine that slows down
    or speeds up between rounds (this one is shared) moves both sides of a share alike.

    The verdict is against the bare page. The share of the one-query page beside it says
    how much of the distance is the database's fixed cost per request rather than the
    list's own work."""
    header = (
        f"{'URL':<20} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'vs bare':>8} "
        f"{'vs 1-query':>10}  {'target':<8} req/s by round"
    )
    print("\n" + header)
    print("-" * len(header))
    bare_runs, one_query_runs = runs[BARE], runs[one_query_path]
    bare_valid = all(r.valid for r in bare_runs)
    one_query_valid = all(r.valid for r in one_query_runs)
    ok = True
    for path, results in runs.items():
        problems = [p for r in results for p in r.problems]
        if problems:
            ok = False
            print(f"{path:<20} INVALID: {'; '.join(problems)}")
            continue
        line = (
            f"{path:<20} {statistics.median([r.requests_per_second for r in results]):>8,.0f} "
            f"{statistics.median([r.p50_ms for r in results]):>8.1f} "
            f"{statistics.median([r.p95_ms for r in results]):>8.1f} "
            f"{statistics.median([r.p99_ms for r in results]):>8.1f}"
        )
        by_round = " / ".join(f"{r.requests_per_second:,.0f}" for r in results)
        if path == BARE:
            print(f"{line} {'1.00':>8} {'':>10}  {'baseline':<8} {by_round}")
            continue
        if not bare_valid:
            ok = False
            print(f"{line} {'-':>8} {'-':>10}  no verdict: the baseline is invalid")
            continue
        ratio = _share(results, bare_runs)
        if path == one_query_path:
            print(f"{line} {ratio:>8.2f} {'1.00':>10}  {'baseline':<8} {by_round}")
            continue
        of_one_query = f"{_share(results, one_query_runs):.2f}" if one_query_valid else "-"
        p95 = statistics.median([r.p95_ms for r in results])
        passed = ratio >= MIN_RATIO and p95 < MAX_P95_MS
        ok = ok and passed
        verdict = "PASS" if passed else "FAIL"
        print(f"{line} {ratio:>8.2f} {of_one_query:>10}  {verdict:<8} {by_round}")
    print(
        f"\nmedians over {len(bare_runs)} rounds; target: at least {MIN_RATIO:.2f} x the bare "
        f"page's requests/s and p95 under {MAX_P95_MS:.0f} ms ({WORKERS} gunicorn workers, "
        f"wrk -t{THREADS} -c{CONNECTIONS})"
    )
    if bare_valid and one_query_valid:
        share = _share(one_query_runs, bare_runs)
        print(
            f"{one_query_path}, one trivial query, reaches {share:.2f} x the bare page: "
            "what the database alone costs a page in this run"
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help=f"a database filled by crm demo --scale {SCALE} (only read)"
    )
    parser.add_argument("--email", default=DEFAULT_EMAIL, help="demo user to sign in as")
    parser.add_argument(
        "--password",
        default=os.environ.get("CRM_BENCH_PASSWORD"),
        help="the demo password (default: $CRM_BENCH_PASSWORD)",
    )
    parser.add_argument(
        "--one-query-page",
        default=ONE_QUERY,
        help=f"the second baseline, a page that runs one trivial query (default {ONE_QUERY}; "
        "/healthz runs one without sign-in, template or session)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per timed run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the four pages (medians are reported)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 600:
        parser.error("--duration must be between 1 and 600 seconds")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    if args.database_url and not args.password:
        parser.error("give --password (or CRM_BENCH_PASSWORD) of the demo users")

    with tempfile.TemporaryDirectory(prefix="crm-bench-register-") as name:
        folder = Path(name)
        password = args.password or "bench " + secrets.token_hex(8)
        url = args.database_url or build_demo_database(folder, password)
        port = free_port()
        env = production_env(url, port)
        script = folder / "p95.lua"
        script.write_text(WRK_SCRIPT)

        backend = sa.make_url(url).get_backend_name()
        print(f"people list and search under load: {backend}, {os.cpu_count()} CPUs")
        stale = unvacuumed_tables(url)
        if stale:
            print(
                f"WARNING: never vacuumed: {', '.join(stale)}; run VACUUM (ANALYZE) or wait for "
                "autovacuum, or the figures measure a fresh bulk load, not the register"
            )
        bare, one_query = baseline_statements(env, args.email, args.one_query_page)
        note = "no SQL" if not bare else f"WARNING: {bare} SQL statements"
        print(f"baseline {BARE} for an anonymous visitor: {note}")
        note = "one query" if one_query == 1 else f"WARNING: {one_query} SQL statements"
        print(f"baseline {args.one_query_page} for the signed-in {args.email}: {note}")

        with gunicorn(env, port, folder, WORKERS) as base_url:
            cookie = sign_in(base_url, args.email, password)
            bare_page = check_page(base_url, BARE, None)
            one_query_page = check_page(base_url, args.one_query_page, cookie)
            pages = [check_page(base_url, path, cookie) for path in PAGES]
            for page in pages:
                if page.people is None:
                    sys.exit(f"GET {page.path} is not the people list (no result count)")
                print(f"  {page.path} lists {page.people:,} people")
            if not pages[1].people:
                sys.exit("the search finds nobody: is the search index built (crm reindex)?")
            timed = [(bare_page, None), *((p, cookie) for p in (one_query_page, *pages))]
            runs: dict[str, list[Result]] = {page.path: [] for page, _ in timed}
            for n in range(args.rounds):
                print(f"round {n + 1} of {args.rounds}", flush=True)
                for page, page_cookie in timed:
                    runs[page.path].append(
                        measure(base_url, page, page_cookie, args.duration, script, n == 0)
                    )
            check_page(base_url, PAGES[0], cookie)  # still signed in: no figure was a redirect
    return 0 if report(runs, args.one_query_page) else 1


if __name__ == "__main__":
    raise SystemExit(main())
