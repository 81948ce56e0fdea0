"""One organisation's worth of every kind of exportable thing, with text a spreadsheet would
run as a formula in each (the formula-injection cases of tests/downloads)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cxaudit.insights.actions.models import ActionItem
from shoppers.models import Assignment, AssignmentStatus, PayoutBatch, Scenario
from surveys.models import Contact, Invitation
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey, make_wave
from tests.outreach.helpers import campaign as make_campaign

EVIL = '=HYPERLINK("http://evil.test","x")'
# Every way a cell can start a formula (OWASP), each in some exported text.
HOSTILE = [EVIL, "+1+2", "-3+4", "@SUM(A1)", "\tTAB", "\rCR"]

QUESTIONS = [
    {"code": "greet", "type": "yes_no", "points": 1},
    {"code": "wait", "type": "rating", "config": {"min": 1, "max": 5}, "points": 5},
    {
        "code": "extras",
        "type": "multi_choice",
        "required": False,
        "points": 0,
        "config": {"options": [{"value": "tea", "points": 0}, {"value": "cake", "points": 0}]},
    },
    {"code": "note", "type": "long_text", "required": False, "points": 0},
]


def build(org, location, user) -> dict:
    std = make_standard(org, "GREET", name=EVIL)
    wave = make_wave(org, "2026 Q3")
    survey = make_survey(
        org, [{"title": "-Desk", "questions": QUESTIONS}], code="visit", title=EVIL
    )
    responses = [
        record_response(
            survey=survey,
            source="shopper",
            raw_answers={
                "greet": "yes",
                "wait": str(i % 5 + 1),
                "extras": "tea;cake",
                "note": HOSTILE[i % len(HOSTILE)],
            },
            location=location,
            wave=wave,
            respondent_ref=HOSTILE[(i + 1) % len(HOSTILE)],
        )
        for i in range(len(HOSTILE))
    ]
    scenario = Scenario.objects.create(
        organization=org,
        touchpoint=std.touchpoint,
        title=EVIL,
        brief="b",
        survey=survey,
        fee=Decimal("25.00"),
        expense_cap=Decimal("10.00"),
    )
    user.full_name = EVIL
    user.save(update_fields=["full_name"])
    now = timezone.now()
    batch = PayoutBatch.objects.create(
        organization=org, reference="@PAY-1", currency="GBP", total=Decimal("30"), shops=1
    )
    shop = Assignment.objects.create(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=now - dt.timedelta(days=2),
        window_end=now,
        deadline=now,
        status=AssignmentStatus.APPROVED,
        shopper=user,
        response=responses[0],
        fee=Decimal("25.00"),
        expense_cap=Decimal("10.00"),
        expense_approved=Decimal("5.00"),
        decided_at=now,
        payout_batch=batch,
    )
    contact = Contact.objects.create(
        organization=org,
        email="pat@example.test",
        first_name=EVIL,
        last_name="+Lee",
        location=location,
    )
    camp = make_campaign(org, name=EVIL)
    Invitation.objects.create(organization=org, campaign=camp, contact=contact, location=location)
    item = ActionItem.objects.create(
        organization=org,
        standard=std,
        location=location,
        wave=wave,
        gap="self_vs_customer",
        title=EVIL,
        description="-rm",
        root_cause="expertise",
        owner=user,
        due_date=timezone.localdate() + dt.timedelta(days=7),
    )
    return {
        "standard": std,
        "wave": wave,
        "survey": survey,
        "responses": responses,
        "scenario": scenario,
        "shop": shop,
        "batch": batch,
        "contact": contact,
        "campaign": camp,
        "action": item,
    }
