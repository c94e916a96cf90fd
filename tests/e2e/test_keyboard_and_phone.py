"""How the pages behave for a keyboard user and on a phone, in a real browser: the error
summary takes the focus, "/" jumps to the header search, and list filters fold on a phone
(with and without JavaScript)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_every_screen import WIDTHS, new_context

OFFICER = 0


def _active_id(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def test_a_refused_form_moves_the_focus_to_its_summary(page, live_url: str) -> None:
    sign_in_as(page, live_url, OFFICER)
    page.goto(live_url + "/people/new")
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("E-mail: Invalid email address.")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name="Source of the data and basis").click()
    expect(page.get_by_label("Source of the data and basis")).to_be_focused()
    assert page.evaluate(
        "document.querySelector('label[for=lawful_basis_source]').getBoundingClientRect().top >= 0"
    )


def test_slash_jumps_to_the_header_search_unless_typing(page, live_url: str) -> None:
    sign_in_as(page, live_url, OFFICER)
    page.goto(live_url + "/duplicates")
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search the register")
    expect(search).to_be_focused()
    page.keyboard.type("nobody-by-this-name")
    expect(search).to_have_value("nobody-by-this-name")  # the "/" was not typed into it
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_url + "/people?q=nobody-by-this-name")
    expect(page.get_by_text("Nobody matches")).to_be_visible()

    # In a field, "/" is a character like any other.
    field = page.get_by_label("Search", exact=True)
    field.fill("")
    field.press_sequentially("1.3/b")
    expect(field).to_have_value("1.3/b")
    expect(field).to_be_focused()

    # The other button searches organisations.
    field.blur()
    page.keyboard.press("/")
    page.keyboard.type("nothing-here")
    page.get_by_role("button", name="Search organisations").click()
    expect(page).to_have_url(live_url + "/organisations?q=nothing-here")
    expect(page.get_by_role("heading", name="Organisations")).to_be_visible()


def _filters(page):
    return page.locator("details.filter-more")


def test_filters_fold_on_a_phone_and_open_on_a_laptop(browser, live_url: str) -> None:
    for width_name, script in (("phone", True), ("phone", False), ("laptop", True)):
        context = new_context(browser, WIDTHS[width_name], java_script_enabled=script)
        page = context.new_page()
        sign_in_as(page, live_url, OFFICER)
        page.goto(live_url + "/people")
        country = page.get_by_label("Country")
        search = page.get_by_label("Search", exact=True)
        expect(search).to_be_visible()
        if width_name == "laptop":
            expect(country).to_be_visible()
        else:
            expect(country).to_be_hidden()
            # The first screen shows the list, not the filters.
            assert page.evaluate(
                "document.querySelector('form.filters').getBoundingClientRect().bottom"
                " < window.innerHeight / 2"
            )
            page.get_by_text("Filters", exact=True).click()
            expect(country).to_be_visible()
            country.select_option("PL")
            page.get_by_role("button", name="Find").click()
            expect(page).to_have_url(re.compile(r"/people\?.*country=PL"))
            expect(_filters(page).locator("summary")).to_contain_text("1 set")
        context.close()
