"""Staff planning shops in Chromium, on a phone (390 px) and a desktop (1280 px): the bulk
creation's preview, then creating the shops, opening one from the list and assigning it to a
shopper; no page scrolls sideways."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Location
from shoppers.models import Assignment, Scenario
from tests.conftest import login
from tests.factories import make_standard, make_survey, make_wave
from tests.shoppers.conftest import add_shopper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def programme(org):
    std = make_standard(org, "GREET", name="Greeted within 30 seconds")
    form = make_survey(
        org,
        [{"questions": [{"code": "greet", "type": "yes_no", "standard": std}]}],
        code="visit",
        title="Desk visit",
    )
    Scenario.objects.create(
        organization=org,
        touchpoint=std.touchpoint,
        title="Ask for a refund at the desk",
        brief="Ask for a refund of a <b>day return</b>.",
        survey=form,
        fee=Decimal("25.00"),
    )
    for code, name in (("KGX", "Kingsbridge"), ("MLF", "Millford Parkway")):
        Location.objects.create(organization=org, code=code, name=name, region="North")
    wave = make_wave(org, "This month")
    today = timezone.localdate()
    wave.starts_on, wave.ends_on = today - dt.timedelta(days=10), today + dt.timedelta(days=30)
    wave.save()
    add_shopper(org, "ann@shoppers.test", home_region="North")
    return wave


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_staff_preview_and_create_shops_in_bulk_then_assign_one(
    page, org, program_admin, programme, width
):
    page.set_viewport_size({"width": width, "height": 900})
    login(page, program_admin.email)
    page.goto(reverse("shoppers:shop_list", args=[org.slug]))
    assert no_sideways_scroll(page)
    page.get_by_role("link", name="Create in bulk").click()

    start = timezone.localtime() - dt.timedelta(hours=1)
    end = start + dt.timedelta(days=5)
    page.get_by_label("Wave").select_option(label="This month")
    page.get_by_label("Ask for a refund at the desk").check()
    page.get_by_label("Kingsbridge").check()
    page.get_by_label("Millford Parkway").check()
    page.get_by_label("Visits per location").fill("1")
    page.get_by_label("Visit window opens").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Visit window closes").fill(end.strftime("%Y-%m-%dT%H:%M"))
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Preview").click()

    assert page.get_by_test_id("plan-new").inner_text() == "2"
    assert page.get_by_test_id("plan-existing").inner_text() == "0"
    assert not Assignment.objects.exists()
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Create 2 shops").click()

    page.get_by_text("2 shops created").wait_for()
    assert Assignment.objects.count() == 2
    assert no_sideways_scroll(page)
    page.get_by_role("link", name="Ask for a refund at the desk").first.click()

    page.get_by_role("heading", name="Assign to a shopper").wait_for()
    assert "<b>day return</b>" in page.locator(".brief").text_content()  # text, not markup
    assert no_sideways_scroll(page)
    page.get_by_role("combobox", name="Shopper").select_option(label="ann <ann@shoppers.test>")
    page.get_by_role("button", name="Assign", exact=True).click()

    page.get_by_text("The shop is given to").wait_for()
    assert page.get_by_role("heading", name="Take it back").is_visible()
    assert no_sideways_scroll(page)
    shop = Assignment.objects.get(shopper__email="ann@shoppers.test")
    assert shop.status == Assignment.Status.ASSIGNED
