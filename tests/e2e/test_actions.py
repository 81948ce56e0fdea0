"""The loop in Chromium: a manager plans an action from a gap on the standard page, completes
it; the next wave's customer answers are imported and the wave is closed; a real worker
evaluates the action, and its page says verified with the figures before and after."""

import datetime as dt
import time

import pytest

from cxaudit.insights.actions.models import ActionItem
from tests.conftest import login
from tests.insights import action_data
from tests.surveys.import_helpers import media_root  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("media_root"),
]


def test_an_action_from_a_gap_is_verified_by_the_next_wave(
    celery_worker, browser, live_server, org, location, manager, program_admin, tmp_path
):
    d = action_data.build(org, location, after="none")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    login(page, manager.email)

    # 1. From the gap on the standard page, with the form prefilled.
    page.goto(f"/o/{org.slug}/insights/standards/{d['standard'].pk}/?wave={d['w1'].name}")
    page.get_by_role("link", name="Plan an action for Self vs perceived", exact=True).click()
    assert page.locator("#id_gap").input_value() == "self_vs_perceived"
    page.get_by_label("Title").fill("Empathy coaching for the ticket office")
    page.get_by_label("Root cause").select_option("expertise")
    page.get_by_label("Due date").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Create action").click()
    page.wait_for_url("**/actions/*/")
    assert page.get_by_text("+50.0").first.is_visible()  # the gap when it was found

    # 2. Done.
    page.get_by_label("New status").select_option("done")
    page.get_by_role("button", name="Change status").click()
    assert page.get_by_text("Waiting for the next closed wave's figures.").is_visible()
    item = ActionItem.objects.get()
    context.close()

    # 3. The next wave's customer answers arrive by import; the wave is closed.
    admin_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    admin = admin_context.new_page()
    admin.set_default_timeout(20_000)
    admin.on("dialog", lambda dialog: dialog.accept())
    login(admin, program_admin.email)
    rows = [
        f"customer,{location.code},{d['w2'].name},2026-07-{1 + i % 28:02d},,{4 + i % 2}"
        for i in range(30)
    ]
    path = tmp_path / "q3.csv"
    path.write_text("source,location,wave,submitted_at,respondent,emp_c\n" + "\n".join(rows) + "\n")
    admin.goto(f"/o/{org.slug}/responses/imports/new/?survey=cust")
    admin.locator("#id_survey").select_option("cust")
    admin.get_by_label("CSV file").set_input_files(str(path))
    admin.get_by_role("button", name="Upload and import").click()
    admin.get_by_text("Imported 30 responses").wait_for(timeout=60_000)
    admin.goto(f"/o/{org.slug}/waves/")
    admin.get_by_role("button", name=f"Close {d['w2'].name}").click()
    admin.wait_for_load_state()

    # 4. The worker evaluates it: verified, before and after side by side.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        item.refresh_from_db()
        if item.status != "done":
            break
        time.sleep(0.3)
    admin.goto(f"/o/{org.slug}/actions/{item.pk}/")
    assert admin.get_by_text("Verified", exact=True).first.is_visible()
    assert admin.get_by_role("row", name=f"{d['w2'].name} (after)").is_visible()
    assert admin.get_by_text("verified", exact=True).count() >= 1
    admin_context.close()
