"""An officer's day in the register, in a real browser: create, find, edit, flag a duplicate,
export. The two steps the role rules keep for coordinators (reading the audit log of a
record, merging) are taken by a coordinator in between, and the officer is shown neither."""

from __future__ import annotations

import csv
import io

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in_as

OFFICER, COORDINATOR = 0, 2


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_register_journey(page, live_url: str) -> None:
    sign_in_as(page, live_url, OFFICER)

    # An organisation, from the keyboard.
    page.get_by_role("link", name="Organisations").click()
    page.get_by_role("link", name="New organisation").click()
    page.get_by_label("Name", exact=True).fill("Präzisionswerke Müller GmbH")
    page.get_by_label("Kind").select_option("enterprise")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("City").fill("Chemnitz")
    page.get_by_label("Headcount (staff)").fill("85")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Präzisionswerke Müller GmbH")).to_be_visible()
    expect(page.get_by_text("Medium (85 staff)")).to_be_visible()

    # A person with a position there; the organisation is typed, not picked from 30,000.
    page.get_by_role("link", name="People").click()
    page.get_by_role("link", name="New person").click()
    page.get_by_label("First name").fill("Jürgen")
    page.get_by_label("Last name").fill("Müller")
    page.get_by_label("E-mail").fill("j.mueller@praezisionswerke.example")
    page.get_by_label("Organisation").fill("Präzisionswerke Müller")
    page.get_by_label("Position title").fill("Managing director")
    page.get_by_label("Role").select_option("employer-owner")
    page.get_by_label("Source of the data and basis").fill("Business card, METAV 2026")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Jürgen Müller")).to_be_visible()
    expect(page.get_by_role("cell", name="Managing director", exact=True)).to_be_visible()

    # Found again without typing the accents.
    page.get_by_role("link", name="People").click()
    page.get_by_label("Search", exact=True).fill("jurgen muller")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_text("1 person", exact=True)).to_be_visible()
    page.get_by_role("link", name="Müller, Jürgen").click()

    # An edit; the audit log of the record is for coordinators, not shown to the officer.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Phone").fill("+49 371 555 0199")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    record_url = page.url
    expect(page.locator(".timeline-change")).to_have_count(0)

    # A duplicate typed in by a colleague, warned about, saved anyway, then merged.
    page.goto(live_url + "/people/new")
    page.get_by_label("First name").fill("Jurgen")
    page.get_by_label("Last name").fill("Muller")
    page.get_by_label("Organisation").fill("Präzisionswerke Müller")
    page.get_by_label("Role").select_option("manager")
    page.get_by_label("Source of the data and basis").fill("Phone call")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Possible duplicates already in the register")).to_be_visible()
    page.get_by_label("Save anyway: this is not the same person").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Jurgen Muller")).to_be_visible()
    page.get_by_role("link", name="Duplicates").click()
    row = page.get_by_role("row").filter(has_text="same name at the same organisation")
    expect(row).to_have_count(1)
    expect(row.get_by_role("button")).to_have_count(0)  # merging is for coordinators
    _sign_out(page)

    # A coordinator reads the officer's change in the audit log and merges the pair.
    sign_in_as(page, live_url, COORDINATOR)
    page.goto(record_url)
    change = page.locator(".timeline-change").filter(has_text="update")
    expect(change.get_by_role("row", name="phone")).to_contain_text("+49 371 555 0199")
    page.get_by_role("link", name="Duplicates").click()
    page.on("dialog", lambda dialog: dialog.accept())
    row.get_by_role("link", name="Compare").click()  # both side by side, then the decision
    page.get_by_role("button", name="Keep #").first.click()
    expect(page.get_by_text("Merged #")).to_be_visible()
    _sign_out(page)
    sign_in_as(page, live_url, OFFICER)

    # The list as a spreadsheet.
    page.get_by_role("link", name="People").click()
    page.get_by_label("Search", exact=True).fill("muller")
    page.get_by_role("button", name="Find").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV").click()
    content = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 2, rows  # the header and the one person left after the merge
    assert "Müller" in rows[1] and "Präzisionswerke Müller GmbH" in ";".join(rows[1])
