"""A program admin opens the gap dashboard on a phone-sized and a desktop viewport: charts
render without CSP errors, the page does not scroll sideways, tables sit behind <details>."""

import os

import pytest
from playwright.sync_api import expect

from tests.conftest import login
from tests.insights.conftest import data  # noqa: F401 - the shared gap dataset fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CXAUDIT_SCREENSHOTS")  # a folder: save screenshots there to look at


def test_dashboard_on_phone_and_desktop(page, program_admin, data):  # noqa: F811
    errors, missing = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("response", lambda r: r.status == 404 and missing.append(r.url))
    login(page, program_admin.email)
    page.get_by_role("button", name="Toggle navigation").click()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Analyse").click()
    nav.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Gap dashboard")).to_be_visible()
    page.get_by_label("Wave", exact=True).select_option("")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Largest gaps")).to_be_visible()
    expect(page.get_by_role("img", name="ANS Standard ANS")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dashboard-390.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/dashboard-1280.png", full_page=True)
    page.get_by_role("link", name="ANS Standard ANS").first.click()
    expect(page.get_by_role("heading", name="Gaps")).to_be_visible()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/standard-1280.png", full_page=True)
    assert not [m for m in errors if "Content Security Policy" in m], errors
    assert not [u for u in missing if "/static/" in u], missing
