"""Every register page on a phone (390 px) and a laptop (1366 px): nothing scrolls sideways and
axe-core finds no accessibility violation. Screenshots of each page at each width go to
``CRM_SCREENSHOTS`` when it is set, to be looked at by a person."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import E2E_USERS, sign_in_as

ADMIN = 1
WIDTHS = {"phone": (390, 844), "laptop": (1366, 900)}
# Long words are what push a narrow page sideways: a long organisation name, a long e-mail.
ORGANISATION = "Werkzeugmaschinenfabrik Kowalczyk-Wiśniewski Präzisionstechnik Sp. z o.o."
ORGANISATION_TWIN = "Werkzeugmaschinenfabrik Kowalczyk-Wisniewski Präzisionstechnik"
PERSON = ("Małgorzata", "Kowalczyk-Wiśniewska")
PERSON_EMAIL = "malgorzata.kowalczyk-wisniewska.procurement@werkzeugmaschinenfabrik.example"


def new_context(browser, size: tuple[int, int], **options: object):
    """A context axe can be injected into (the app's CSP forbids other scripts)."""
    width, height = size
    return browser.new_context(
        locale="en-GB",
        timezone_id="Europe/Brussels",
        viewport={"width": width, "height": height},
        bypass_csp=True,
        **options,
    )


def _create_organisation(page, live_url: str, name: str, confirm: bool = False) -> str:
    page.goto(live_url + "/organisations/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Kind").select_option("enterprise")
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("City").fill("Bielsko-Biała")
    page.get_by_label("Headcount (staff)").fill("240")
    page.get_by_label("Tags (comma-separated)").fill("gear-cutting, supplier-day-2026")
    page.get_by_role("button", name="Save").click()
    if confirm:
        page.get_by_label("Save anyway: this is not the same organisation").check()
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    return page.url


def _create_person(
    page, live_url: str, email: str, with_position: bool = True, confirm: bool = False
) -> str:
    page.goto(live_url + "/people/new")
    page.get_by_label("First name").fill(PERSON[0])
    page.get_by_label("Last name").fill(PERSON[1])
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Country").select_option("PL")
    page.get_by_label("Source of the data and basis").fill("Business card, EMO Hannover 2025")
    if with_position:
        page.get_by_label("Organisation").fill(ORGANISATION)
        page.get_by_label("Position title").fill("Head of procurement and supplier development")
        page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_role("button", name="Save").click()
    if confirm:  # the register asks first: the same name in the same country
        page.get_by_label("Save anyway: this is not the same person").check()
        page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PERSON[1])
    return page.url


@pytest.fixture(scope="module")
def register_urls(browser, live_url: str) -> dict[str, str]:
    """A few records with long names, a likely duplicate of each kind (for the duplicates
    page), created through the forms as an admin."""
    context = new_context(browser, WIDTHS["laptop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_as(page, live_url, ADMIN)
    organisation = _create_organisation(page, live_url, ORGANISATION)
    _create_organisation(page, live_url, ORGANISATION_TWIN, confirm=True)
    person = _create_person(page, live_url, PERSON_EMAIL)
    # The same name in the same country, elsewhere: listed as a likely duplicate.
    _create_person(page, live_url, "m.kowalczyk@example.org", with_position=False, confirm=True)
    context.close()
    return {"organisation": organisation, "person": person}


def _pages(live_url: str, urls: dict[str, str]) -> Iterator[tuple[str, object]]:
    """(name, how to reach it) for every page of the register a signed-in admin sees."""
    yield "home", live_url + "/"
    yield "people", live_url + "/people"
    yield "people-filtered", live_url + "/people?q=kowalczyk&country=PL&kind=enterprise"
    yield "people-filter-errors", live_url + "/people?officer=nobody&page=first"
    yield "person", urls["person"]
    yield "person-timeline", urls["person"] + "/timeline"
    yield "person-timeline-filter-errors", urls["person"] + "/timeline?kind=bogus"
    yield "person-new-errors", _submit_empty(live_url + "/people/new")
    yield "organisations", live_url + "/organisations"
    yield "organisation", urls["organisation"]
    yield "organisation-timeline", urls["organisation"] + "/timeline"
    yield "organisation-new", live_url + "/organisations/new"
    yield "organisation-new-errors", _submit_empty(live_url + "/organisations/new")
    yield "organisation-edit", urls["organisation"] + "/edit"
    yield "outreach", live_url + "/outreach"
    yield "outreach-filtered", live_url + "/outreach?commitment=1.3&country=PL&year=2026&officer=me"
    yield "outreach-filter-errors", live_url + "/outreach?from=2026-05-01&to=2026-04-01&page=x"
    yield "duplicates", live_url + "/duplicates"
    yield "duplicates-compare", _open_first_comparison(live_url + "/duplicates")
    yield "follow-ups", live_url + "/followups"
    yield "follow-ups-team", live_url + "/followups/team"
    yield "follow-ups-team-by-subitem", live_url + "/followups/team?by=subitem&status=done"
    yield "follow-ups-team-filter-errors", live_url + "/followups/team?by=bogus"
    yield "follow-up-new", live_url + "/followups/new"
    yield "follow-up-new-errors", _submit_empty(live_url + "/followups/new")
    yield "account", live_url + "/account"
    yield "admin-users", live_url + "/admin/users"
    yield "admin-mail", live_url + "/admin/mail"
    yield "not-found", live_url + "/people/999999"


def _open_first_comparison(url: str):
    def open_compare(page) -> None:
        page.goto(url)
        page.get_by_role("link", name="Compare").first.click()
        page.wait_for_load_state()

    return open_compare


def _submit_empty(url: str):
    def open_and_submit(page) -> None:
        page.goto(url)
        page.get_by_role("button", name="Save").click()
        page.wait_for_load_state()

    return open_and_submit


def _check(page, name: str, width_name: str, axe: Axe, problems: list[str]) -> None:
    # After a click that navigates, the page may be between two documents: wait for the new
    # one rather than read a document that is gone.
    page.wait_for_function(
        "document.scrollingElement !== null && document.readyState !== 'loading'"
    )
    scroll_width, inner_width = page.evaluate(
        "[document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width > inner_width:
        problems.append(f"{name} at {width_name}: {scroll_width} px wide in {inner_width} px")
    results = axe.run(page)
    if results.violations_count:
        problems.append(f"{name} at {width_name}:\n{results.generate_report()}")
    folder = os.environ.get("CRM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-{width_name}.png"), full_page=True)


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_every_register_page_fits_and_passes_axe(
    browser,
    live_url: str,
    register_urls: dict[str, str],
    width_name: str,
) -> None:
    axe = Axe()
    problems: list[str] = []
    context = new_context(browser, WIDTHS[width_name])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    page.goto(live_url + "/login")
    _check(page, "sign-in", width_name, axe, problems)
    email, _, _ = E2E_USERS[ADMIN]
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("not the passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    _check(page, "sign-in-errors", width_name, axe, problems)

    sign_in_as(page, live_url, ADMIN)
    for name, target in _pages(live_url, register_urls):
        if callable(target):
            target(page)
        else:
            page.goto(target)
        _check(page, name, width_name, axe, problems)
    context.close()
    assert not script_errors, script_errors
    assert not problems, "\n\n".join(problems)
