"""A program admin builds a small journey in Chromium, reorders it with the keyboard and sees it
on the journey map."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_build_reorder_and_map_a_journey(page, program_admin, org):
    login(page, program_admin.email)
    page.get_by_role("button", name="Toggle navigation").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Set up").click()
    nav.get_by_role("link", name="Journeys").click()
    page.get_by_role("link", name="New journey").click()
    page.get_by_label("Name").fill("Support <b>journey</b>")
    page.get_by_role("button", name="Save").click()
    for stage in ["Get help", "Complain"]:
        page.get_by_role("link", name="Add stage").click()
        page.get_by_label("Name").fill(stage)
        page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Add touchpoint to Get help").click()
    page.get_by_label("Name").fill("Call the contact centre")
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("This is a moment that matters").check()
    page.get_by_role("button", name="Save").click()

    page.get_by_role("link", name="Add standard to Call the contact centre").click()
    page.get_by_label("Code").fill("RESP-PHONE-01")
    page.get_by_label("Name").fill("Call answered within 60 seconds")
    page.get_by_label("SERVQUAL dimension").select_option("responsiveness")
    page.get_by_label("Target: comparator").select_option("lte")
    page.get_by_label("Target: value").fill("60")
    page.get_by_label("Target: unit").fill("seconds")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Standard RESP-PHONE-01 added.")).to_be_visible()

    # Reorder with the keyboard: focus the button and press Enter; focus stays on the stage.
    up = page.get_by_role("button", name="Move stage Complain up")
    up.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2).first).to_have_text(re.compile("Complain"))
    # Now first, its "up" button is disabled: focus moved to its "down" button.
    expect(page.get_by_role("button", name="Move stage Complain down")).to_be_focused()

    page.get_by_role("link", name="View map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support <b>journey</b>")
    stages = page.locator(".journey-stage-title")
    expect(stages).to_have_text([re.compile("Complain"), re.compile("Get help")])
    card = page.locator(".touchpoint-card", has_text="Call the contact centre")
    expect(card).to_contain_text("Moment that matters")
    expect(card).to_contain_text("RESP-PHONE-01")
    expect(card).to_contain_text("≤ 60 seconds")
