"""The pages of the action plan, KPIs, wave planner and outbox on a 390 px phone: each renders
without console errors or missing files and does not scroll sideways (with long titles, a
reopened item's before/after figures and a failed message's long error on them)."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.insights.actions import services
from cxaudit.insights.kpis.models import Direction, Kpi, KpiValue
from cxaudit.journeys.services import close_wave
from cxaudit.messaging.apps import NOTICE
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import queue_message
from tests.conftest import login
from tests.insights import action_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CXAUDIT_SCREENSHOTS")  # a folder: save screenshots there to look at

LONG = "Coach every ticket-office colleague on acknowledging the passenger's situation first " * 2


def _setting(org, location, program_admin, manager):
    d = action_data.build(org, location, after="same")
    item = services.create_action(
        scope=services.GapScope(
            organization=org,
            wave=d["w1"],
            gap="self_vs_perceived",
            standard=d["standard"],
            location=location,
        ),
        actor=program_admin,
        owner=manager,
        title=LONG.strip()[:200],
        description=LONG * 3,
        due_date=timezone.localdate() + dt.timedelta(days=20),
        root_cause="expertise",
    )
    services.add_comment(item=item, author=manager, text=LONG)
    services.change_status(item=item, actor=manager, to="done")
    close_wave(wave=d["w2"])
    services.evaluate_actions(wave=d["w2"])  # reopened: before and after side by side
    kpi = Kpi.objects.create(
        organization=org,
        code="FIRST-CONTACT-RESOLUTION-RATE",
        name="First-contact resolution rate of the contact centre",
        unit="%",
        direction=Direction.HIGHER,
        target=Decimal("75"),
    )
    kpi.standards.add(d["standard"])
    for wave, value in ((d["w1"], "71.5"), (d["w2"], "78.25")):
        KpiValue.objects.create(kpi=kpi, location=location, wave=wave, value=Decimal(value))
    message = queue_message(
        purpose=NOTICE,
        key="phone-check",
        to_email="a.very.long.address.of.someone@subdomain.example-organisation.test",
        organization=org,
        context={"subject": "Hello"},
    )
    Message.objects.filter(pk=message.pk).update(
        state=State.FAILED,
        attempts=1,
        last_error="recipient refused: 550 5.1.1 <a.very.long.address.of.someone@subdomain."
        "example-organisation.test>: Recipient address rejected: User unknown in virtual "
        "mailbox table",
    )
    return d, item, kpi, message


def test_the_loop_pages_fit_a_phone(page, org, location, program_admin, manager, sent_tasks):
    d, item, kpi, message = _setting(org, location, program_admin, manager)
    slug = org.slug
    pages = {
        "actions": reverse("insights:action_list", args=[slug]),
        "board": reverse("insights:action_board", args=[slug]),
        "action": reverse("insights:action_detail", args=[slug, item.pk]),
        "action-new": reverse("insights:action_create", args=[slug])
        + f"?wave={d['w1'].pk}&gap=self_vs_perceived&standard={d['standard'].pk}",
        "action-edit": reverse("insights:action_edit", args=[slug, item.pk]),
        "summary": reverse("insights:action_summary", args=[slug, location.pk]),
        "kpis": reverse("insights:kpi_list", args=[slug]),
        "kpi-new": reverse("insights:kpi_create", args=[slug]),
        "kpi-edit": reverse("insights:kpi_edit", args=[slug, kpi.pk]),
        "kpi-import": reverse("insights:kpi_import", args=[slug]),
        "planner": reverse("insights:wave_planner", args=[slug]),
        "standard": reverse("insights:standard_detail", args=[slug, d["standard"].pk])
        + f"?wave={d['w1'].name}",
        "outbox": reverse("accounts:outbox_list", args=[slug]),
        "message": reverse("accounts:outbox_detail", args=[slug, message.pk]),
    }
    errors, missing = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and missing.append((r.status, r.url)))
    login(page, program_admin.email)
    wide = {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[name] = width
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/loop-{name}-390.png", full_page=True)
    assert not wide, f"pages wider than the phone: {wide}"
    assert not errors and not missing, (errors, missing)
