"""A reviewer on a phone (Chromium at 390 px) returns a shop with a comment and approves a
resubmitted one; then a client manager opens the approved shop's report card and its print
view. Every page fits the screen."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Location
from shoppers.models import Assignment
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from tests.conftest import login
from tests.e2e.shops import desk_visit, fits
from tests.shoppers.conftest import add_shopper

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path("test-artifacts")
S = Assignment.Status


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"review-{name}-390.png"), full_page=True)


@pytest.fixture
def shops(org, program_admin, reviewer):
    """Two sent shops of Ann: one submitted, one returned once and sent again."""
    d = desk_visit(org, receipt=False, brief="Ask for a refund of a <b>day return</b>.")
    scenario, wave = d["scenario"], d["wave"]
    ann = add_shopper(org, "ann@shoppers.test", home_region="North", languages=["en"])
    now = timezone.now()

    def sent(code: str, story: str) -> Assignment:
        location = Location.objects.create(organization=org, code=code, name=f"Station {code}")
        shop = scheduling.create_assignment(
            organization=org,
            scenario=scenario,
            location=location,
            wave=wave,
            window_start=now - dt.timedelta(days=1),
            window_end=now + dt.timedelta(days=5),
            actor=program_admin,
        )
        shop = scheduling.self_assign(assignment=shop, shopper=ann)
        shop = visits.start_visit(assignment=shop, shopper=ann)
        visits.record_visit(
            assignment=shop,
            shopper=ann,
            visited_at=now - dt.timedelta(minutes=30),
            visit_minutes=10,
        )
        return visits.submit_visit(
            assignment=shop, shopper=ann, raw_answers={"greet": "yes", "story": story}
        )

    first = sent("AAA", "Greeted at once by a <em>friendly</em> agent.")
    second = sent("BBB", "Short")
    review.return_shop(assignment=second, actor=reviewer, comment="Tell us more.")
    second = visits.submit_visit(
        assignment=Assignment.objects.get(pk=second.pk),
        shopper=ann,
        raw_answers={"greet": "yes", "story": "Greeted within ten seconds; the queue was empty."},
    )
    return first, second


def test_a_reviewer_returns_and_approves_on_a_phone_and_a_manager_reads_the_card(
    page, org, shops, reviewer, manager
):
    first, second = shops
    login(page, reviewer.email)
    page.get_by_role("button", name="Toggle navigation").click()
    page.locator("#mainnav.show").wait_for()
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("button", name="Collect", exact=True).click()
    nav.get_by_role("link", name="Review queue").click()
    page.get_by_role("heading", level=1, name="Review queue").wait_for()
    shot(page, "queue")
    assert fits(page)

    page.get_by_role("link", name=re.compile(f"#{first.pk}")).click()
    page.get_by_role("heading", name="Answers and score").wait_for()
    assert page.get_by_text("Greeted at once by a <em>friendly</em> agent.").first.is_visible()
    shot(page, "shop")
    assert fits(page)
    page.get_by_role("button", name="Return to shopper").click()
    page.get_by_text("Write what the shopper should correct").first.wait_for()
    assert Assignment.objects.get(pk=first.pk).status == S.SUBMITTED
    page.get_by_label("What should the shopper correct?").fill("Add the <receipt> photo, please.")
    page.get_by_role("button", name="Return to shopper").click()
    page.get_by_text(f"Shop #{first.pk} returned to").wait_for()
    assert Assignment.objects.get(pk=first.pk).status == S.RETURNED
    assert fits(page)

    page.get_by_role("link", name=re.compile(f"#{second.pk}")).click()
    page.get_by_text("Tell us more.").wait_for()  # the earlier return, in the audit trail
    page.get_by_role("button", name="Approve").click()
    page.get_by_text(f"Shop #{second.pk} approved").wait_for()
    shot(page, "queue-after")
    assert fits(page)
    assert Assignment.objects.get(pk=second.pk).status == S.APPROVED

    page.context.clear_cookies()
    login(page, manager.email)
    page.goto(reverse("shoppers:shop_report", args=[org.slug, second.pk]))
    page.get_by_role("heading", name="Item by item").wait_for()
    assert page.get_by_role("blockquote").inner_text().startswith("Greeted within ten seconds")
    assert page.get_by_text("Whole organisation, Now").is_visible()
    shot(page, "report")
    assert fits(page)
    page.get_by_role("link", name="Print view").click()
    page.get_by_role("button", name="Print").wait_for()
    shot(page, "print")
    assert fits(page)
    # A shop still with its shopper is not the manager's to see.
    response = page.goto(reverse("shoppers:shop_report", args=[org.slug, first.pk]))
    assert response.status == 404
