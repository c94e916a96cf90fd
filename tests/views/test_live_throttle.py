"""Sign-in throttling holds across processes: two gunicorn workers share one count."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.livedb import live_server, scratch_database

pytestmark = pytest.mark.slow  # gunicorn with two workers on a scratch database

EMAIL = "maria.rossi@ucimu.example"
PASSWORD = "the real passphrase 42"
COLLEAGUES = tuple(
    (f"colleague{n}@ucimu.example", "viewer", f"colleague passphrase {n}") for n in range(4)
)
BURST_EMAIL = "burst@ucimu.example"


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("live")
    with (
        scratch_database(database_url, folder) as url,
        live_server(
            url,
            folder,
            workers=2,
            users=((EMAIL, "officer", PASSWORD), (BURST_EMAIL, "viewer", PASSWORD), *COLLEAGUES),
            # As behind a reverse proxy: each test speaks from its own client address.
            settings={"CRM_PROXY_HOPS": "1"},
        ) as base_url,
    ):
        yield base_url


def _post_login(
    base_url: str, password: str, email: str = EMAIL, client: str = "198.51.100.1"
) -> tuple[int, str]:
    """Each attempt from a new cookie jar, as a scripted guesser would."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("X-Forwarded-For", client)]
    with opener.open(base_url + "/login") as response:
        html = response.read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    try:
        with opener.open(base_url + "/login", data=data.encode()) as response:
            return response.status, response.geturl()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_seven_wrong_passwords_meet_a_429_across_two_workers(server: str) -> None:
    statuses = [_post_login(server, f"wrong guess {n}")[0] for n in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    status, page = _post_login(server, PASSWORD)
    assert status == 429  # the right password does not help while the account is throttled
    assert "Too many failed sign-ins" in page


def test_the_owner_elsewhere_still_gets_in_after_a_lockout_from_one_address(server: str) -> None:
    # The guesser at 198.51.100.1 (the test above) is still throttled; the owner is not.
    assert _post_login(server, PASSWORD, client="198.51.100.1")[0] == 429
    status, final = _post_login(server, PASSWORD, client="198.51.100.9")
    assert (status, final) == (200, server + "/")


def test_two_workers_served(server: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    logs = list(tmp_path_factory.getbasetemp().glob("live*/gunicorn-*.log"))
    booted = sum(log.read_text().count("Booting worker") for log in logs)
    assert booted >= 2, "the throttle test must run against more than one worker process"


def test_colleagues_signing_in_at_once_all_get_in(server: str) -> None:
    with ThreadPoolExecutor(max_workers=len(COLLEAGUES)) as pool:
        results = list(
            pool.map(lambda u: _post_login(server, u[2], u[0], "198.51.100.2"), COLLEAGUES)
        )
    assert [status for status, _ in results] == [200] * len(COLLEAGUES)
    assert all(final == server + "/" for _, final in results)  # landed on the home page


def test_a_parallel_burst_of_guesses_gets_no_more_than_five_tries(server: str) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(
            pool.map(
                lambda n: _post_login(server, f"guess {n}", BURST_EMAIL, "198.51.100.3")[0],
                range(12),
            )
        )
    assert sorted(set(statuses)) == [200, 429], statuses  # refused forms and throttling only
    assert statuses.count(200) <= 5
