"""The staff navigation in Chromium, for the role with the most items (a program admin who is
also Django staff): one row on a desktop, every group operable with the keyboard, a menu on a
phone that reaches every item, and no sideways scrolling at either width."""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CXAUDIT_SCREENSHOTS")  # a folder: save screenshots there to look at

GROUPS = {
    "Set up": ["Journeys", "Waves", "Wave planner", "Surveys", "Locations"],
    "Collect": [
        "Self-assessment rounds",
        "My self-assessments",
        "Campaigns",
        "Contacts",
        "Imports",
        "Review queue",
        "Shops",
        "Scenarios",
        "Shopper panel",
    ],
    "Analyse": ["Dashboard", "Heatmap", "League", "KPIs", "Exports"],
    "Act": ["Action plan"],
    "Administer": ["Members", "Settings", "Payouts", "Outbox", "Webhooks", "Django admin"],
}


@pytest.fixture
def staff_admin(program_admin):
    program_admin.is_staff = True
    program_admin.save(update_fields=["is_staff"])
    return program_admin


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def top_row(page) -> dict:
    """The bar's top-level items (labels, tops) and its height against one item's."""
    return page.evaluate(
        """() => {
          const items = [...document.querySelectorAll('#mainnav > nav > .navbar-nav > li')];
          const bar = document.querySelector('header .container-lg');
          return {tops: items.map(li => li.getBoundingClientRect().top),
                  labels: items.map(li => li.firstElementChild.textContent.trim()),
                  barHeight: bar.getBoundingClientRect().height,
                  itemHeight: items[0].getBoundingClientRect().height};
        }"""
    )


def assert_one_row(page) -> None:
    row = top_row(page)
    assert row["labels"] == ["Home", *GROUPS], row
    assert len(set(row["tops"])) == 1, row  # every top-level item on the same line
    assert row["barHeight"] < 2 * row["itemHeight"], row  # and the bar is one row high


def test_desktop_bar_is_one_row_and_each_group_opens_with_the_keyboard(page, staff_admin, org):
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, staff_admin.email)
    nav = page.get_by_role("navigation", name="Main")
    expect(page.get_by_role("button", name="Toggle navigation")).to_be_hidden()
    assert_one_row(page)
    assert no_sideways_scroll(page)

    for group, items in GROUPS.items():
        toggle = nav.get_by_role("button", name=group, exact=True)
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        menu = page.locator(f"#{toggle.get_attribute('id')} + .dropdown-menu")
        expect(menu.get_by_role("link")).to_have_text(items)
        page.keyboard.press("ArrowDown")
        expect(menu.get_by_role("link", name=items[0], exact=True)).to_be_focused()
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/nav-1280-{group.replace(' ', '-').lower()}.png")
        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(menu).to_be_hidden()
        expect(toggle).to_be_focused()

    # Follow an item from the keyboard: the new page marks it and its group.
    toggle = nav.get_by_role("button", name="Analyse", exact=True)
    toggle.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/o/{org.slug}/insights/heatmap/$"))
    expect(nav.get_by_role("button", name="Analyse", exact=True)).to_have_class(
        re.compile(r"\bactive\b")
    )
    expect(nav.get_by_role("button", name="Set up", exact=True)).not_to_have_class(
        re.compile(r"\bactive\b")
    )
    current = nav.locator("[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Heatmap")
    assert_one_row(page)


def test_phone_menu_opens_from_the_toggler_and_reaches_every_item(page, staff_admin, org):
    login(page, staff_admin.email)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Set up")).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    home = nav.get_by_role("link", name="Home", exact=True)
    expect(home).to_be_visible()
    expect(home).to_have_attribute("aria-current", "page")
    reached = []
    for group, items in GROUPS.items():
        nav.get_by_role("button", name=group, exact=True).click()
        for item in items:
            link = nav.get_by_role("link", name=item, exact=True)
            link.scroll_into_view_if_needed()
            expect(link).to_be_in_viewport()
            reached.append(item)
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/nav-390-{group.replace(' ', '-').lower()}.png")
        assert no_sideways_scroll(page), group
    assert reached == [item for items in GROUPS.values() for item in items]

    nav.get_by_role("button", name="Collect", exact=True).click()
    nav.get_by_role("link", name="Imports", exact=True).click()
    expect(page.get_by_role("heading", name="Response imports", level=1)).to_be_visible()
    page.get_by_role("button", name="Toggle navigation").click()
    nav.get_by_role("button", name="Collect", exact=True).click()
    expect(nav.get_by_role("link", name="Imports", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    assert no_sideways_scroll(page)
