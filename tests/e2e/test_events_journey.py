"""An organiser, with the keyboard, creates an event in another time zone and publishes it;
finds it in the list and the month grid; an anonymous visitor sees it on /agenda, opens its
public page and follows its .ics link. Every page visited passes axe and fits 390 px and
1366 px without scrolling sideways.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as
from tests.e2e.test_every_screen import WIDTHS, _check, new_context
from tests.e2e.test_outreach_journey import _pick, _tab_to

ADMIN = 1
# The .ics of one event is the calendar helper's view: checked fully once it is there.
HAS_ICS_VIEW = importlib.util.find_spec("crm.views.calendar") is not None
# Per width, an exhibitor with a long name (long words push narrow pages sideways).
EXHIBITORS = {
    "phone": "Werkzeugmaschinenfabrik Chicago-Schaumburg Präzisionsdrehtechnik Inc.",
    "laptop": "Great Lakes Precision Grinding and Gear-Cutting Machinery Corporation",
}


def _in_two_months() -> date:
    return datetime.now(ZoneInfo("America/Chicago")).date() + timedelta(days=60)


def _press_link(page, locator) -> None:
    locator.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _new_organiser(browser, live_url: str, width: str) -> tuple[str, str]:
    """An organiser account made by the admin on the users page; its one-time password."""
    context = new_context(browser, WIDTHS["laptop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_as(page, live_url, ADMIN)
    email = f"olga.organiser.{width}@programme.example"
    page.goto(live_url + "/admin/users")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Full name").fill(f"Olga Organiser ({width})")
    page.get_by_label("Role").select_option("organiser")
    page.get_by_role("button", name=re.compile("Add|Create")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("User added")
    password = page.locator(".secret code").inner_text().strip()
    # An exhibitor of the register, to take part.
    page.goto(live_url + "/organisations/new")
    page.get_by_label("Name", exact=True).fill(EXHIBITORS[width])
    page.get_by_label("Kind").select_option("enterprise")
    page.get_by_label("Country").select_option("US")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(EXHIBITORS[width])
    context.close()
    return email, password


def _type_date(page, selector: str, day: date) -> None:
    """A date box from the keyboard. Chromium orders its parts by the locale it was built
    or started with, not the page's: month first (en-US), else day first (en-GB)."""
    box = page.locator(selector)
    _tab_to(page, selector)
    for order in ("%m%d%Y", "%d%m%Y"):
        page.keyboard.type(day.strftime(order))
        if box.input_value() == day.isoformat():
            return
        box.evaluate("(input) => { input.value = ''; }")  # the other order, from scratch
        box.focus()
    expect(box).to_have_value(day.isoformat())


def _type_time(page, selector: str, hour: int, minute: int) -> None:
    """A morning time from the keyboard: its parts, then AM where the box has a 12-hour
    clock (Chromium's en-US)."""
    assert hour < 12, "a morning time: the same digits on 12- and 24-hour clocks"
    box = page.locator(selector)
    _tab_to(page, selector)
    page.keyboard.type(f"{hour:02d}{minute:02d}")
    if not box.input_value():
        page.keyboard.type("A")
    expect(box).to_have_value(f"{hour:02d}:{minute:02d}")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_organiser_publishes_an_event_and_a_visitor_finds_it(
    browser, live_url: str, width: str
) -> None:
    email, password = _new_organiser(browser, live_url, width)
    axe = Axe()
    problems: list[str] = []
    context = new_context(browser, WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(live_url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_url + "/")

    # Events, from the navigation.
    _press_link(
        page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Events")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Events")
    _check(page, "events", width, axe, problems)
    _press_link(page, page.get_by_role("link", name="New event"))
    expect(page.get_by_role("heading", level=1)).to_have_text("New event")
    # The link box is styled as the other text boxes are (it was the browser's own).
    expect(page.locator("#online_url")).to_have_css("border-top-color", "rgb(170, 179, 191)")
    _check(page, "event-new", width, axe, problems)

    # A refused save first: nothing typed; the summary takes the focus.
    _tab_to(page, "#title")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.get_by_role("alert")).to_be_focused()
    for name in ("Title", "Kind", "Our role", "Starts on", "Start time", "End time"):
        expect(page.get_by_role("alert")).to_contain_text(name)  # all at once, not one a save
    _check(page, "event-new-refused", width, axe, problems)

    # The event, keyboard only: a session at IMTS in Chicago, published.
    title = f"IMTS Chicago: the CSR guidelines session ({width})"
    day = _in_two_months()
    _tab_to(page, "#title")
    page.keyboard.type(title)
    _tab_to(page, "#kind")
    page.keyboard.type("Conference")
    _tab_to(page, "#our_role")
    page.keyboard.type("Speaker")
    _tab_to(page, "#status")
    page.keyboard.type("Confirmed")  # its badge's green passes axe on the event's page
    expect(page.locator("#status")).to_have_value("confirmed")
    _type_date(page, "#start_date", day)
    _type_time(page, "#start_time", 9, 30)
    _type_date(page, "#end_date", day)
    _type_time(page, "#end_time", 11, 0)
    _tab_to(page, "#timezone")
    page.keyboard.type("America/Chicago")
    expect(page.locator("#timezone")).to_have_value("America/Chicago")
    # The viewer (Europe/Brussels) sees the start in their own time too, while typing.
    expect(page.locator("[data-viewer-time]")).to_contain_text("For you:")
    expect(page.locator("[data-viewer-time]")).to_contain_text("16:30")
    _tab_to(page, "#city")
    page.keyboard.type("Chicago")
    _tab_to(page, "#country_code")
    page.keyboard.type("United States")
    _pick(page, "#subitem_ids", "1.3c", "1.3c")
    _tab_to(page, "#is_published")
    page.keyboard.press("Space")
    expect(page.locator("#is_published")).to_be_checked()
    _tab_to(page, "#description")
    page.keyboard.type("**Room W-183**: the DESIGN-MTS guidelines for machine-tool SMEs.")
    _tab_to(page, "#description_format-0")  # a radio group is one tab stop: arrows choose
    page.keyboard.press("ArrowDown")
    expect(page.locator("#description_format-1")).to_be_checked()
    _check(page, "event-new-filled", width, axe, problems)
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.locator(".flashes")).to_contain_text("was created")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("09:30–11:00")
    expect(facts).to_contain_text("(America/Chicago)")
    expect(facts).to_contain_text("For you:")
    expect(facts).to_contain_text("16:30–18:00")
    expect(page.locator(".description strong")).to_have_text("Room W-183")
    expect(page.get_by_role("link", name="Log outreach at this event")).to_be_visible()
    event_url = page.url
    event_id = event_url.rstrip("/").rsplit("/", 1)[1]
    _check(page, "event", width, axe, problems)

    # An exhibitor takes part: picked by typing, with the keyboard.
    _pick(page, "#organisation_ids", EXHIBITORS[width][:12], EXHIBITORS[width])
    _tab_to(page, "#new-role")
    page.keyboard.type("Exhibitor")
    _tab_to(page, ".participant-form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".flashes")).to_contain_text("participant was added")
    expect(page.locator("#participants table")).to_contain_text(EXHIBITORS[width])
    _check(page, "event-with-participant", width, axe, problems)

    # Made a weekly series of three: the occurrences, one cancelled from the keyboard.
    _press_link(page, page.locator(".page-head").get_by_role("link", name="Edit"))
    _check(page, "event-edit", width, axe, problems)
    _tab_to(page, "#recurrence")
    page.keyboard.type("Weekly")
    _tab_to(page, "#recurrence_end-0")
    page.keyboard.press("ArrowDown")
    _tab_to(page, "#recurrence_count")
    page.keyboard.type("3")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    expect(page.locator(".flashes")).to_contain_text("was saved")
    rows = page.locator("#occurrences tbody tr")
    expect(rows).to_have_count(3)
    page.once("dialog", lambda dialog: dialog.accept())
    _tab_to(page, "#occurrences tbody tr:nth-child(2) button.danger")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(rows.nth(1)).to_contain_text("Cancelled")
    _check(page, "event-series", width, axe, problems)

    # In the list and in the month grid.
    page.goto(live_url + "/events?kind=conference&country=US")
    expect(page.get_by_role("link", name=title)).to_be_visible()
    _check(page, "events-filtered", width, axe, problems)
    page.goto(live_url + "/events?kind=nonsense")
    expect(page.get_by_role("alert")).to_contain_text("kind:")
    _check(page, "events-refused", width, axe, problems)
    page.goto(live_url + f"/events/month?month={day:%Y-%m}")
    grid_link = page.locator("table.month-grid").get_by_role("link", name=re.compile("IMTS"))
    expect(grid_link.first).to_be_visible()
    _check(page, "events-month", width, axe, problems)
    if width == "laptop":  # the grid's arrow keys (a phone shows a list of days)
        page.locator("table.month-grid td[tabindex='0']").focus()
        before = page.evaluate("document.activeElement.dataset.day")
        page.keyboard.press("ArrowRight")
        after = page.evaluate("document.activeElement.dataset.day")
        assert date.fromisoformat(after) - date.fromisoformat(before) == timedelta(days=1)
        page.keyboard.press("ArrowDown")
        below = page.evaluate("document.activeElement.dataset.day")
        assert date.fromisoformat(below) - date.fromisoformat(after) == timedelta(days=7)

    # The private follow-up feed, from the account.
    page.goto(live_url + "/account/calendar")
    _check(page, "account-calendar", width, axe, problems)
    page.get_by_role("button", name="Make my feed’s address").click()
    expect(page.locator("#feed-url")).to_have_value(re.compile(r"/calendar/followups/[\w-]+\.ics$"))
    _check(page, "account-calendar-made", width, axe, problems)
    context.close()

    # An anonymous visitor: the agenda, the event's page, its .ics.
    context = new_context(browser, WIDTHS[width])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(live_url + "/agenda")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agenda")
    link = page.get_by_role("link", name=title)
    expect(link).to_be_visible()
    expect(page.locator("#subscribe")).to_contain_text("Thunderbird")
    _check(page, "agenda", width, axe, problems)
    page.goto(live_url + "/agenda?subitem=1.3c&kind=conference")
    webcal = page.locator("#subscribe a[href^='webcal://']")
    expect(webcal).to_have_attribute(
        "href", re.compile(r"/calendar/events\.ics\?subitem=1\.3c&kind=conference$")
    )
    _check(page, "agenda-filtered", width, axe, problems)
    page.goto(live_url + "/agenda?country=Atlantis")
    expect(page.get_by_role("alert")).to_contain_text("country:")
    _check(page, "agenda-refused", width, axe, problems)
    page.goto(live_url + "/agenda?subitem=1.3c&kind=conference")
    _press_link(page, page.get_by_role("link", name=title))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("main")).not_to_contain_text("Olga Organiser")
    ics = page.get_by_role("link", name=re.compile(r"\.ics"))
    expect(ics).to_have_attribute("href", f"/agenda/{event_id}.ics")
    _check(page, "agenda-event", width, axe, problems)
    if HAS_ICS_VIEW:
        answer = page.request.get(live_url + f"/agenda/{event_id}.ics")
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        assert "IMTS Chicago" in answer.text()
    # The internal page is not for visitors.
    page.goto(event_url)
    expect(page).to_have_url(re.compile(r"/login"))
    context.close()
    assert not script_errors, script_errors
    assert not problems, "\n\n".join(problems)
