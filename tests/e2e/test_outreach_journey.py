"""An officer logs outreach from a person's page with the keyboard only, in a real browser:
two people, two sub-items and one material, saved with Ctrl+Enter. It lands back on the page
with the new record first on the timeline and focused, and shows on the other person's and
on their organisation's timelines, and in the list filtered by one of its sub-items. Every
page visited passes axe and fits 390 px and 1366 px.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_every_screen import WIDTHS, _check, new_context

OFFICER, ADMIN = 0, 1
# The widest choice of a select and the room its box gives it (padding and arrow left out).
WIDEST_CHOICE = """(selector) => {
  const select = document.querySelector(selector);
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const widest = Math.max(...Array.from(select.options, (o) => context.measureText(o.text).width));
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return [Math.ceil(widest), Math.floor(select.clientWidth - padding - 16)];
}"""
# Per width, records that the register does not take for duplicates of the other width's.
RECORDS = {
    "phone": (
        "Zakłady Obrabiarek Wiśniewski-Kowalczyk Sp. z o.o.",
        ("Agnieszka", "Zielińska-Wiśniewska", "a.zielinska@obrabiarki-wisniewski.example"),
        ("Tomasz", "Lewandowski", "t.lewandowski@obrabiarki-wisniewski.example"),
    ),
    "laptop": (
        "Fabryka Narzędzi Precyzyjnych Dąbrowski",
        ("Katarzyna", "Wójcik", "k.wojcik@narzedzia-dabrowski.example"),
        ("Marek", "Kamiński", "m.kaminski@narzedzia-dabrowski.example"),
    ),
}


def _create_records(browser, live_url: str, width: str) -> dict[str, str]:
    """An organisation and two people working there, made by an admin through the forms."""
    organisation, *people = RECORDS[width]
    context = new_context(browser, WIDTHS["laptop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_as(page, live_url, ADMIN)
    page.goto(live_url + "/organisations/new")
    page.get_by_label("Name", exact=True).fill(organisation)
    page.get_by_label("Kind").select_option("enterprise")
    page.get_by_label("Country").select_option("PL")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(organisation)
    urls = {"organisation": page.url}
    for n, (first, last, email) in enumerate(people):
        page.goto(live_url + "/people/new")
        page.get_by_label("First name").fill(first)
        page.get_by_label("Last name").fill(last)
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Organisation").fill(organisation)
        page.get_by_label("Role", exact=True).select_option("manager")
        page.get_by_label("Source of the data and basis").fill("Business card, EMO Hannover 2025")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(last)
        urls[f"person{n}"] = page.url
    context.close()
    return urls


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _pick(page, box: str, typed: str, expected: str) -> None:
    """Type into a picker's box, wait for the suggestion, take it with Enter."""
    _tab_to(page, box)
    page.keyboard.type(typed)
    option = page.locator(f"{box}-list [role=option][aria-selected=true]")
    expect(option).to_contain_text(expected)
    page.keyboard.press("Enter")
    expect(page.locator(box)).to_have_value("")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_officer_logs_outreach_from_a_person_with_the_keyboard(
    browser, live_url: str, width: str
) -> None:
    urls = _create_records(browser, live_url, width)
    axe = Axe()
    problems: list[str] = []
    context = new_context(browser, WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in_as(page, live_url, OFFICER)

    page.goto(urls["person0"])
    _check(page, "person", width, axe, problems)
    _tab_to(page, "details.quick-log > summary")
    page.keyboard.press("Enter")
    expect(page.locator("details.quick-log")).to_have_attribute("open", "")
    _check(page, "quick-log", width, axe, problems)

    subject = f"Presented the CSR guidelines to the management ({width})"
    _tab_to(page, "#channel")
    page.keyboard.type("Meeting")  # a select takes the option typed
    _tab_to(page, "#subject")
    page.keyboard.type(subject)
    # The person of the page is chosen; the second one is picked by name.
    expect(page.locator("input[name=person_ids]:checked")).to_have_count(1)
    second = RECORDS[width][2]
    _pick(page, "#person_ids", second[1][:6], second[0])
    expect(page.locator("input[name=person_ids]:checked")).to_have_count(2)
    _pick(page, "#subitem_ids", "1.3b", "1.3b")
    _pick(page, "#subitem_ids", "2.1", "2.1")
    expect(page.locator("input[name=subitem_ids]:checked")).to_have_count(2)
    _tab_to(page, "input[name=material_ids]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=material_ids]:checked")).to_have_count(1)
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")

    # Back on the person's page, the new record first on the timeline, in view and focused.
    expect(page).to_have_url(re.compile(re.escape(urls["person0"]) + r"#outreach-\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    expect(page.locator(".flashes")).to_contain_text("was logged")
    first = page.locator("ol.timeline > li").first
    expect(first).to_have_attribute("id", anchor)
    expect(first).to_contain_text(subject)
    expect(first).to_be_focused()
    _check(page, "person-after-logging", width, axe, problems)

    for name in ("person1", "organisation"):
        page.goto(urls[name])
        expect(page.locator("ol.timeline")).to_contain_text(subject)
        _check(page, name, width, axe, problems)

    # The list filtered by one of its sub-items holds it, linked to its page.
    page.goto(live_url + "/outreach?subitem=2.1")
    expect(page.get_by_role("link", name=subject)).to_have_attribute(
        "href", "/outreach/" + anchor.removeprefix("outreach-")
    )
    _check(page, "list-by-subitem", width, axe, problems)

    # The record's page, its edit form, and a refused save.
    page.goto(live_url + "/outreach/" + anchor.removeprefix("outreach-"))
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.locator("#subitems")).to_contain_text("1.3b")
    _check(page, "record", width, axe, problems)
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(re.compile(r"/edit$"))  # the check must not read the page it left
    _check(page, "record-edit", width, axe, problems)
    page.get_by_label("Subject").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_be_focused()
    _check(page, "record-edit-refused", width, axe, problems)
    page.goto(live_url + "/outreach/new")
    _check(page, "new", width, axe, problems)
    # Channel and direction show their whole choice, at 390 px too ("Outbound (we r" was cut).
    for select in ("#channel", "#direction"):
        widest, room = page.evaluate(WIDEST_CHOICE, select)
        assert widest <= room, f"{select} at {width}: a choice {widest} px wide in {room} px"

    context.close()
    assert not script_errors, script_errors
    assert not problems, "\n\n".join(problems)
