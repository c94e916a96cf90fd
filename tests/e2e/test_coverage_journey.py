"""A coordinator opens the coverage view from the navigation, sets a target for a sub-item,
sees its progress on the matrix, and drills from a figure of the matrix into the cell's
records, down to one outreach record. Every page visited passes axe and fits 390 px and
1366 px without scrolling sideways (the matrix scrolls inside its own region).
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_every_screen import WIDTHS, _check, new_context
from tests.e2e.test_outreach_journey import _pick

COORDINATOR = 2
# Per width, a target for 1.3b this year (one per sub-item, period, metric and narrowing).
TARGETS = {
    "phone": ("organisations-engaged", "national-association", 4),
    "laptop": ("outreach-logged", "", 10),
}
# Per width, an association with a long name (long words push narrow pages sideways).
ASSOCIATIONS = {
    "phone": "Związek Producentów Obrabiarek i Narzędzi Rzeczpospolitej Polskiej",
    "laptop": "Verband Deutscher Werkzeugmaschinenfabriken und Präzisionswerkzeughersteller",
}


def _log_outreach(page, live_url: str, width: str) -> str:
    """An association and one outreach record reaching it on 1.3b, through the forms."""
    name = ASSOCIATIONS[width]
    page.goto(live_url + "/organisations/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Kind").select_option("national-association")
    page.get_by_label("Country").select_option("PL" if width == "phone" else "DE")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    subject = f"Board presentation of the CSR guidelines ({width})"
    page.goto(live_url + "/outreach/new")
    page.get_by_label("Channel").select_option("meeting")
    page.get_by_label("Subject").fill(subject)
    _pick(page, "#organisation_ids", name[:12], name[:12])
    _pick(page, "#subitem_ids", "1.3b", "1.3b")
    page.get_by_role("button", name=re.compile("^(Log|Save)")).first.click()
    expect(page.locator(".flashes")).to_contain_text("was logged")
    return subject


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_coordinator_sets_a_target_and_drills_into_a_cell(
    browser, live_url: str, width: str
) -> None:
    axe = Axe()
    problems: list[str] = []
    context = new_context(browser, WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    sign_in_as(page, live_url, COORDINATOR)
    subject = _log_outreach(page, live_url, width)

    # The coverage view, from the navigation.
    page.goto(live_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Coverage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Coverage")
    matrix = page.get_by_role("region", name=re.compile("^Coverage by stakeholder kind"))
    expect(matrix).to_be_visible()
    _check(page, "coverage", width, axe, problems)
    # The matrix scrolls by keyboard inside its region, never the page.
    matrix.focus()
    expect(matrix).to_be_focused()
    page.keyboard.press("ArrowRight")

    # The other axes and the trends.
    page.get_by_role("navigation", name="Columns").get_by_role("link", name="Size class").click()
    expect(page.get_by_role("region", name=re.compile("^Coverage by size class"))).to_be_visible()
    _check(page, "coverage-by-size", width, axe, problems)
    page.get_by_role("navigation", name="Columns").get_by_role("link", name="Country").click()
    expect(page.get_by_role("region", name=re.compile("^Coverage by country"))).to_be_visible()
    _check(page, "coverage-by-country", width, axe, problems)
    page.get_by_role("link", name="Trends").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trends")
    expect(page.get_by_role("img").first).to_be_visible()
    _check(page, "coverage-trends", width, axe, problems)
    page.goto(live_url + "/coverage/report")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Coverage report")
    _check(page, "coverage-report", width, axe, problems)

    # A target for 1.3b this year, above what was reached.
    page.goto(live_url + "/coverage")
    page.get_by_role("link", name="Targets", exact=True).click()
    page.get_by_role("link", name=re.compile("New target|Set a target")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New target")
    _check(page, "target-new", width, axe, problems)
    item = page.get_by_label("Commitment, item or sub-item")
    item.select_option(label=_option_label(item, "1.3b"))
    metric, kind, value = TARGETS[width]
    page.get_by_label("What is counted").select_option(metric)
    page.get_by_label("Only organisations of the kind").select_option(kind)
    page.get_by_label("Target", exact=True).fill(str(value))
    year = page.evaluate("new Date().getFullYear()")
    page.get_by_label("From", exact=True).fill(f"{year}-01-01")
    page.get_by_label("To", exact=True).fill(f"{year}-12-31")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("The target was set")
    _check(page, "targets", width, axe, problems)

    # Its progress on the matrix row of 1.3b (the other width's record may count too).
    page.goto(live_url + "/coverage")
    row = page.locator("tr", has=page.locator("th span.code", has_text=re.compile(r"^1\.3b$")))
    expect(row.locator("ul.target-bars")).to_contain_text(re.compile(rf"[12] of {value} "))
    _check(page, "coverage-with-target", width, axe, problems)

    # Drill into the national associations' cell of 1.3b, then to the record.
    link = row.get_by_role(
        "link", name=re.compile(r"outreach records, 1\.3b, National associations")
    )
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1.3b")
    _check(page, "coverage-cell", width, axe, problems)
    page.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    _check(page, "outreach-record", width, axe, problems)

    context.close()
    assert not script_errors, script_errors
    assert not problems, "\n\n".join(problems)


def _option_label(select, code: str) -> str:
    """The label of the select's option that starts with the code."""
    labels = select.locator("option").all_inner_texts()
    return next(label for label in labels if label.strip().startswith(code + " "))
