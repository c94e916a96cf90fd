"""The catalogue of materials in a browser: its list, a material's page and its form, on a phone
(390 px) and a laptop (1366 px), with axe-core; and a coordinator keeping it by keyboard."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_every_screen import WIDTHS, _check, new_context

ADMIN, COORDINATOR = 1, 2
# A long title and link: what would push a narrow page sideways.
TITLE = "Schulungsmodul für Arbeitnehmervertretungen: Sozialpartnerschaftliche Verantwortung"
LINK = "https://designmts.eu/materialien/schulungsmodul-arbeitnehmervertretungen-verantwortung.pdf"


@pytest.fixture(scope="module")
def material_url(browser, live_url: str) -> str:
    """A training module created through the form by a coordinator, with the keyboard."""
    context = new_context(browser, WIDTHS["laptop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_as(page, live_url, COORDINATOR)
    page.goto(live_url + "/materials")
    page.get_by_role("link", name="New material").click()
    page.get_by_label("Kind").select_option("training-module")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Worker representatives").check()
    page.get_by_label("Language").select_option("de")
    page.get_by_label("Link").fill(LINK)
    page.get_by_label("Description").fill("Deutsche Fassung des Moduls.")
    page.get_by_label("Description").press("Tab")
    page.keyboard.press("Enter")  # on Save
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    url = page.url
    context.close()
    return url


def _pages(live_url: str, material_url: str):
    yield "materials", live_url + "/materials"
    yield "materials-filtered", live_url + "/materials?kind=training-module&retired=show"
    yield "materials-filter-errors", live_url + "/materials?kind=poster&language=zz"
    yield "material", material_url
    yield "material-seeded", _open_seeded(live_url)
    yield "material-new", live_url + "/materials/new"
    yield "material-new-errors", _submit_bad(live_url + "/materials/new")
    yield "material-edit", material_url + "/edit"


def _open_seeded(live_url: str):
    def open_seeded(page) -> None:
        page.goto(live_url + "/materials")
        page.get_by_role("link", name="Training module for employers/owners and managers").click()
        page.wait_for_load_state()

    return open_seeded


def _submit_bad(url: str):
    def open_and_submit(page) -> None:
        page.goto(url)
        page.get_by_label("Kind").select_option("training-module")
        page.get_by_label("Link").fill("javascript:alert(1)")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert")).to_be_visible()

    return open_and_submit


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_the_catalogue_fits_and_passes_axe(
    browser, live_url: str, material_url: str, width_name: str
) -> None:
    axe = Axe()
    problems: list[str] = []
    context = new_context(browser, WIDTHS[width_name])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in_as(page, live_url, ADMIN)
    for name, target in _pages(live_url, material_url):
        if callable(target):
            target(page)
        else:
            page.goto(target)
        _check(page, name, width_name, axe, problems)
    context.close()
    assert not script_errors, script_errors
    assert not problems, "\n\n".join(problems)


def test_a_refused_form_says_why_beside_each_field(page, live_url: str) -> None:
    sign_in_as(page, live_url, COORDINATOR)
    page.goto(live_url + "/materials/new")
    page.get_by_label("Kind").select_option("training-module")
    page.get_by_label("Title").fill("Modul ohne Zielgruppe")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()  # app.js moves the focus to the summary
    expect(summary).to_contain_text("choose whom the training module is for")
    summary.get_by_role("link").click()
    expect(page.locator("#audiences-error")).to_have_text("choose whom the training module is for")
    expect(page.get_by_label("Title")).to_have_value("Modul ohne Zielgruppe")


def test_retire_and_reinstate(page, live_url: str, material_url: str) -> None:
    sign_in_as(page, live_url, ADMIN)
    page.goto(material_url)
    page.get_by_role("button", name="Retire").click()
    expect(page.get_by_role("status")).to_contain_text("was retired")
    page.goto(live_url + "/materials")
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)
    page.get_by_label("Retired materials").select_option("only")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("button", name="Reinstate").click()
    expect(page.get_by_role("status")).to_contain_text("offered for new outreach again")
