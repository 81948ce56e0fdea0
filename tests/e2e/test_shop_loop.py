"""The whole mystery-shop loop in Chromium, with a real worker delivering to a real SMTP server:
staff create a shop → a shopper takes it on a phone, fills it with a photo and sends it → a
reviewer returns it → the shopper corrects it → the reviewer approves it → the manager sees the
shop's report card and the gap report counts it. Each email reaches the SMTP server once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.messaging.models import Message, State
from shoppers.models import Assignment
from surveys.models import Answer, Response
from tests.conftest import login, wait_for
from tests.e2e.shops import desk_visit, fits, receipt_photo
from tests.messaging.test_faults import Workers
from tests.shoppers.conftest import add_shopper

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path("test-artifacts")


@pytest.fixture
def worker(redis_url, tmp_path, smtp_sink):
    workers = Workers(tmp_path, smtp_sink)
    workers.start()
    try:
        yield workers
    finally:
        workers.close()


@pytest.fixture
def programme(org):
    return desk_visit(org, brief="Ask for a refund of a day return. Note the time you waited.")


def _context(browser, live_server, width: int):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"loop-{name}.png"), full_page=True)


def _observed_n(org, wave) -> int:
    """Shop answers the gap report counts for the one standard."""
    from cxaudit.insights.gaps import analyse_gaps

    rows = analyse_gaps(organization=org, wave=wave).rows("standard")
    return sum(r.perspectives["observed"].n for r in rows)


def _sent(purpose_part: str) -> int:
    return Message.objects.filter(purpose__contains=purpose_part, state=State.SENT).count()


def test_the_whole_loop_from_a_new_shop_to_the_gap_report(
    worker,
    smtp_sink,
    browser,
    live_server,
    org,
    program_admin,
    reviewer,
    manager,
    programme,
    tmp_path,
):
    p = programme
    ann = add_shopper(org, "ann@shoppers.test", home_region="North", languages=["en"])
    now = timezone.localtime()

    # 1. Staff create the shop, one by one, on a desktop.
    context, staff = _context(browser, live_server, 1280)
    login(staff, program_admin.email)
    staff.goto(reverse("shoppers:shop_create", args=[org.slug]))
    staff.get_by_label("Scenario").select_option(str(p["scenario"].pk))
    staff.get_by_label("Location").select_option(str(p["location"].pk))
    staff.get_by_label("Wave").select_option(str(p["wave"].pk))
    staff.get_by_label("Visit window opens").fill(
        (now - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    )
    staff.get_by_label("Visit window closes").fill(
        (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    )
    staff.get_by_role("button", name="Create the shop").click()
    staff.wait_for_load_state()
    shop = wait_for(lambda: Assignment.objects.filter(scenario=p["scenario"]).first())
    assert shop.status == Assignment.Status.OPEN
    _shot(staff, "staff-created")
    context.close()

    # 2. The shopper takes it on a phone, fills it with a photo and sends it.
    context, phone = _context(browser, live_server, 390)
    login(phone, ann.email)
    phone.goto(f"/o/{org.slug}/shop/jobs/")
    phone.get_by_role("link", name="Ask for a refund at the desk").click()
    phone.get_by_role("button", name="Take this job").click()
    phone.get_by_role("button", name="Start the visit").click()
    phone.get_by_role("heading", name="Desk visit").wait_for()
    phone.get_by_label("Yes", exact=True).check()
    phone.get_by_label("Photo of the receipt").set_input_files(str(receipt_photo(tmp_path)))
    phone.get_by_text("Attached: receipt.jpg").wait_for()
    phone.get_by_label("What happened, in your words").fill("Greeted at once.")
    phone.get_by_label("What happened, in your words").blur()
    wait_for(
        lambda: Response.objects.filter(
            pk=Assignment.objects.get(pk=shop.pk).response_id, draft__story__isnull=False
        ).exists()
    )
    phone.get_by_role("link", name="record when and how long").click()
    visited = timezone.localtime(timezone.now() - dt.timedelta(minutes=25))
    phone.get_by_label("When did the visit start?").fill(visited.strftime("%Y-%m-%dT%H:%M"))
    phone.get_by_label("How long did it last?").fill("14")
    phone.get_by_label("What did you spend? (GBP)").fill("4.80")
    phone.get_by_role("button", name="Save visit details").click()
    phone.get_by_text("Visit details saved.").wait_for()
    phone.get_by_role("link", name="Fill in the visit form").click()
    phone.get_by_role("button", name="Submit").click()
    phone.get_by_role("heading", name="Sent for review").wait_for()
    assert fits(phone)
    shop.refresh_from_db()
    assert shop.status == Assignment.Status.SUBMITTED
    response = Response.objects.get(pk=shop.response_id)
    assert not response.counted
    assert _observed_n(org, p["wave"]) == 0  # under review: not counted

    # 3. The reviewer returns it with a comment.
    rcontext, rev = _context(browser, live_server, 1280)
    login(rev, reviewer.email)
    rev.goto(reverse("shoppers:review_queue", args=[org.slug]))
    rev.locator("a.shop-link").first.click()
    rev.get_by_label("What should the shopper correct?").fill(
        "Say how long you queued, please <in minutes>."
    )
    rev.get_by_role("button", name="Return to shopper").click()
    rev.wait_for_load_state()
    wait_for(lambda: Assignment.objects.get(pk=shop.pk).status == Assignment.Status.RETURNED)

    # 4. The shopper corrects it.
    phone.goto(f"/o/{org.slug}/shop/shops/{shop.pk}/")
    assert (
        phone.get_by_role("alert")
        .get_by_text("Say how long you queued, please <in minutes>.")
        .is_visible()
    )
    phone.get_by_role("link", name="Correct the visit form").click()
    phone.get_by_label("What happened, in your words").fill("Greeted at once; queued 4 minutes.")
    phone.get_by_role("button", name="Submit").click()
    phone.get_by_role("heading", name="Sent for review").wait_for()
    wait_for(lambda: Assignment.objects.get(pk=shop.pk).status == Assignment.Status.RESUBMITTED)
    context.close()

    # 5. The reviewer approves it.
    rev.goto(reverse("shoppers:review", args=[org.slug, shop.pk]))
    rev.get_by_role("button", name="Approve").click()
    rev.wait_for_load_state()
    shop = wait_for(
        lambda: Assignment.objects.filter(pk=shop.pk, status=Assignment.Status.APPROVED).first()
    )
    rcontext.close()
    assert Response.objects.get(pk=shop.response_id).counted
    assert Answer.objects.get(response_id=shop.response_id, question__code="greet").counted
    assert _observed_n(org, p["wave"]) == 1

    # 6. The manager sees the report card of the shop, and the gap report counts it.
    context, mgr = _context(browser, live_server, 390)
    login(mgr, manager.email)
    mgr.goto(reverse("shoppers:shop_report", args=[org.slug, shop.pk]))
    mgr.get_by_role("heading", level=1).wait_for()
    assert "100" in mgr.locator("main").inner_text()
    thumbs = mgr.locator("main img")
    assert thumbs.count() >= 1
    for i in range(thumbs.count()):
        thumbs.nth(i).scroll_into_view_if_needed()
        thumbs.nth(i).evaluate("img => img.decode()")  # rejects when the image does not load
        assert thumbs.nth(i).evaluate("img => img.naturalWidth") > 0
    _shot(mgr, "report-card")
    assert fits(mgr)
    mgr.goto(f"/o/{org.slug}/insights/standards/{p['std'].pk}/?wave={p['wave'].name}")
    table = mgr.locator("table", has_text="Every perspective of GREET")
    row = table.locator("tr").filter(has=mgr.locator("th", has_text="Observed"))
    cells = row.locator("td").all_inner_texts()  # n, mean, mean 0-100, interval, agree
    assert (cells[0], cells[2]) == ("1", "100.0"), cells
    context.close()

    # 7. Every email once, through the worker: taken, returned, approved.
    wait_for(lambda: _sent("shoppers.") >= 3, timeout=60)
    smtp_sink.wait(3, timeout=30)
    ids = smtp_sink.message_ids()
    assert all(n == 1 for n in ids.values()), ids
    to_ann = [m for m in smtp_sink.messages if m["to"] == [ann.email]]
    assert len(to_ann) == 3
