"""The heatmap, drill-down, league table and report card in Chromium at phone and desktop
widths: reachable from the navigation, no horizontal scrolling of the page, no CSP errors.
Set HEATMAP_SHOTS=/some/dir to keep screenshots for a look."""

import os

import pytest
from playwright.sync_api import expect

from tests.conftest import login
from tests.insights.heatmap_data import build_heat, build_league

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    if folder := os.environ.get("HEATMAP_SHOTS"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def no_page_overflow(page) -> bool:
    """Nothing in the page content is wider than the window. On a phone the whole document
    (the navigation collapses); on a desktop the main content only (the shared top navigation
    is not this page's)."""
    return page.evaluate(
        "window.innerWidth < 768"
        " ? document.documentElement.scrollWidth <= window.innerWidth + 1"
        " : document.querySelector('main').scrollWidth <= window.innerWidth + 1"
    )


def test_heatmap_pages_at_phone_and_desktop_widths(page, program_admin, org, location):
    build_heat(org, location, suffix=" heat")
    lg = build_league(org, location)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, program_admin.email)
    for width, tag in ((390, "phone"), (1280, "desktop")):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/o/{org.slug}/")
        if width < 768:
            page.get_by_role("button", name="Toggle navigation").click()
        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("button", name="Analyse").click()
        nav.get_by_role("link", name="Heatmap").click()
        expect(page.get_by_role("heading", name="Journey heatmap: Test journey")).to_be_visible()
        expect(page.locator(".touchpoint-card.gap-bad")).to_have_count(1)
        shot(page, f"heatmap-{tag}")
        assert no_page_overflow(page), tag
        page.locator(".touchpoint-card.gap-bad").get_by_role("link", name="Checkout").click()
        expect(page.get_by_role("heading", name="Checkout", level=1)).to_be_visible()
        expect(page.get_by_text("Large gap: Delivery (gap 3) −33 pts").first).to_be_visible()
        shot(page, f"drill-{tag}")
        assert no_page_overflow(page), tag
        # Q4 (the heat wave, with more responses, is the default wave).
        page.goto(f"/o/{org.slug}/insights/league/?wave={lg['q4'].pk}")
        expect(page.get_by_role("table").first).to_be_visible()
        shot(page, f"league-{tag}")
        assert no_page_overflow(page), tag
        page.get_by_role("link", name="Report card of Kingsbridge").click()
        expect(page.locator("#rc-score")).to_have_text("83.3 %")
        shot(page, f"report-card-{tag}")
        assert no_page_overflow(page), tag
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
