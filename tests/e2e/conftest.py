"""Browser tests: Playwright driving Debian's headless Chromium against a real gunicorn."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.livedb import live_server, scratch_database

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_USERS = (
    ("sofia.berger@vdw.example", "officer", "officer passphrase 2027"),
    ("admin@programme.example", "admin", "admin passphrase 2027"),
    ("marta.ruiz@afm.example", "coordinator", "coordinator passphrase 2027"),
)


def sign_in_as(page, live_url: str, index: int) -> None:
    email, _, password = E2E_USERS[index]
    page.goto(live_url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_url + "/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)  # a browser against a live gunicorn


def chromium_path() -> str:
    path = os.environ.get("CRM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(
            "Chromium is missing: install Debian's chromium package "
            "(apt-get install chromium chromium-driver) or set CRM_CHROMIUM"
        )
    return path


@pytest.fixture(scope="session")
def live_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("e2e")
    with (
        scratch_database(database_url, folder) as url,
        live_server(url, folder, workers=2, users=E2E_USERS) as base_url,
    ):
        yield base_url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


@pytest.fixture()
def page(browser, tmp_path: Path) -> Iterator[object]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Brussels")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    # Script errors and failed sub-resources (CSS, JS, icons) fail the test; a page answered
    # with 4xx on purpose (a refused form) is checked by the test itself.
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.request.resource_type != "document"
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"the browser reported errors: {errors}"
