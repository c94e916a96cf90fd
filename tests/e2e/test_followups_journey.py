"""An officer, with the keyboard, logs outreach to an organisation with a follow-up in 7 days,
finds it in "My follow-ups", and completes it by logging the outreach that resulted; then
plans one by hand. A coordinator looks at the team's. Every page visited passes axe and
fits 390 px and 1366 px without scrolling sideways.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_every_screen import WIDTHS, _check, new_context
from tests.e2e.test_outreach_journey import _pick, _tab_to

OFFICER, COORDINATOR = 0, 2
# Per width, an organisation the register does not take for a duplicate of the other's; long
# words, as real names have, are what push a narrow page sideways.
ORGANISATIONS = {
    "phone": "Odlewnia Żeliwa i Obrabiarek Kraków-Nowa Huta Spółka Akcyjna",
    "laptop": "Gießerei und Werkzeugmaschinenbau Zwickau-Mülsen GmbH",
}


def _in_a_week() -> date:
    return datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=7)


def _press_link(page, locator) -> None:
    """Follow a link from the keyboard: focus it, press Enter."""
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_officer_follows_up_an_outreach_and_completes_it(
    browser, live_url: str, width: str
) -> None:
    axe = Axe()
    problems: list[str] = []
    context = new_context(browser, WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in_as(page, live_url, OFFICER)

    # The organisation to talk to (set-up: the register's own journey tests its form).
    name = ORGANISATIONS[width]
    page.goto(live_url + "/organisations/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Kind").select_option("enterprise")
    page.get_by_label("Country").select_option("PL")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    organisation_url = page.url

    # Log the outreach from its page with "Follow up in 7 days", keyboard only.
    _tab_to(page, "details.quick-log > summary")
    page.keyboard.press("Enter")
    expect(page.locator("details.quick-log")).to_have_attribute("open", "")
    subject = f"Phoned the foundry about the CSR guidelines ({width})"
    _tab_to(page, "#channel")
    page.keyboard.type("Phone")
    _tab_to(page, "#subject")
    page.keyboard.type(subject)
    _pick(page, "#subitem_ids", "1.3b", "1.3b")
    _tab_to(page, "#follow_up_days")
    page.keyboard.type("7")
    _check(page, "quick-log-with-follow-up", width, axe, problems)
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.locator(".flashes")).to_contain_text("was logged")
    expect(page.locator(".flashes")).to_contain_text("follow-up was planned")
    title = f"Follow up: {subject}"
    # The organisation's timeline has it, linked to its page.
    expect(page.locator("ol.timeline").get_by_role("link", name=title, exact=True)).to_be_visible()
    _check(page, "organisation-after-logging", width, axe, problems)

    # "My follow-ups", from the navigation: a week ahead is "Later".
    _press_link(
        page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Follow-ups")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("My follow-ups")
    later = page.locator("section#later")
    expect(later.get_by_role("link", name=title, exact=True)).to_be_visible()
    expect(later).to_contain_text(f"{_in_a_week():%a %d %b %Y}")
    expect(later).to_contain_text(name)
    _check(page, "my-follow-ups", width, axe, problems)

    # Its page.
    _press_link(page, later.get_by_role("link", name=title, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("dl.facts")).to_contain_text(name)
    expect(page.locator("dl.facts")).to_contain_text("on the day")
    follow_up_url = page.url
    _check(page, "follow-up", width, axe, problems)

    # Complete it, logging the outreach that resulted: the form comes filled from it.
    page.goto(live_url + "/followups")
    _press_link(page, later.get_by_role("link", name=f"Complete “{title}”", exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Complete:")
    expect(page.locator("#subject")).to_have_value(title)
    expect(page.locator("input[name=organisation_ids]:checked")).to_have_count(1)
    expect(page.locator("input[name=then][value=log]")).to_be_checked()
    _check(page, "complete", width, axe, problems)
    # A refused step first (no subject): nothing is written, the summary takes the focus.
    _tab_to(page, "#subject")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("Subject")
    _check(page, "complete-refused", width, axe, problems)
    # Then the outreach as it happened.
    _tab_to(page, "#channel")
    page.keyboard.type("Meeting")
    _tab_to(page, "#subject")
    result = f"Visited the foundry: CSR action plan agreed ({width})"
    page.keyboard.type(result)
    _pick(page, "#subitem_ids", "2.1", "2.1")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page).to_have_url(live_url + "/followups")
    expect(page.locator(".flashes")).to_contain_text("was completed")
    expect(page.locator(".flashes")).to_contain_text(f"The outreach {result} was logged")
    expect(page.locator("main section").get_by_role("link", name=title, exact=True)).to_have_count(
        0
    )
    _check(page, "my-follow-ups-after", width, axe, problems)

    # Done, with the outreach it led to; that outreach's page lists it.
    page.goto(follow_up_url)
    expect(page.locator(".page-head .badge")).to_have_text("Done")
    _press_link(page, page.locator("dl.facts").get_by_role("link", name=result, exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text(result)
    expect(page.locator("#subitems")).to_contain_text("2.1")
    _check(page, "resulting-outreach", width, axe, problems)

    # A follow-up planned by hand from the organisation's page, at a time, then edited.
    page.goto(live_url + f"/followups/new?organisation={organisation_url.rsplit('/', 1)[1]}")
    _check(page, "new", width, axe, problems)
    page.get_by_label("What to do").fill(f"Send the position paper ({width})")
    page.get_by_label("At (optional)").fill("09:30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("was planned")
    _check(page, "planned", width, axe, problems)
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(re.compile(r"/edit$"))  # the check must not read the page it left
    _check(page, "edit", width, axe, problems)
    page.get_by_label("Due on").fill("")  # a date box takes no impossible date: an empty one
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Due on: give the due date as YYYY-MM-DD")
    _check(page, "edit-refused", width, axe, problems)
    context.close()

    # The coordinator sees the team's, by assignee and by sub-item.
    context = new_context(browser, WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in_as(page, live_url, COORDINATOR)
    page.goto(live_url + "/followups/team")
    expect(page.get_by_role("link", name=f"Send the position paper ({width})")).to_be_visible()
    _check(page, "team", width, axe, problems)
    page.goto(live_url + "/followups/team?by=subitem&status=done")
    expect(page.get_by_role("link", name=title, exact=True)).to_be_visible()
    _check(page, "team-by-subitem", width, axe, problems)
    page.goto(live_url + "/followups/team?by=nonsense")
    expect(page.get_by_role("alert")).to_contain_text("by:")
    _check(page, "team-refused", width, axe, problems)
    context.close()
    assert not script_errors, script_errors
    assert not problems, "\n\n".join(problems)
