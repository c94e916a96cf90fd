"""A user signs in through the real page in headless Chromium and sees the home page."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import E2E_USERS


def test_sign_in_through_the_page_and_see_the_commitments(page, live_url: str) -> None:
    email, _, password = E2E_USERS[0]
    page.goto(live_url + "/")
    expect(page).to_have_url(live_url + "/login?next=%2F")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(live_url + "/")
    expect(page.get_by_role("heading", name="Commitments")).to_be_visible()
    tree = page.get_by_role("list", name="Commitment framework")
    expect(tree).to_contain_text("Participate in strategic sectoral events")
    expect(tree.locator(".code")).to_have_count(15)
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Users")
    if os.environ.get("CRM_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["CRM_SCREENSHOTS"]) / "home.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_a_wrong_password_is_told_on_the_page(page, live_url: str) -> None:
    email, _, _ = E2E_USERS[1]
    page.goto(live_url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill("not my passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The e-mail address or the password is wrong")
    expect(page.get_by_label("E-mail")).to_have_value(email)
