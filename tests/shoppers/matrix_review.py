"""Permission matrix rows of the review, shop report card and payout pages.

The review pages need REVIEW_SHOPS and the payouts MANAGE_PAYOUTS. The report card is open to
every member (VIEW_ORG) and then decides by role: staff see every sent shop, client managers
approved shops of their locations (Row.located), a shopper their own shops (Row.per_user: the
requesting shopper's own shop; anybody else gets a shop held by a stand-in shopper)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from cxaudit.accounts.models import Membership, Role
from cxaudit.accounts.permissions import Cap
from shoppers.models import Assignment, PayoutBatch
from surveys.models import Answer, Response
from surveys.responses import services as responses
from tests.factories import make_wave
from tests.matrix_row import Row
from tests.shoppers.matrix_shopper_pages import _holder, _location, _scenario

S = Assignment.Status


def sent_shop(org, *, location=None, shopper=None, status=S.SUBMITTED) -> Assignment:
    """A shop whose visit form was sent, in `status` (submitted or approved)."""
    now = timezone.now()
    scenario = _scenario(org)
    location = location or _location(org)
    wave = org.waves.filter(name="Matrix shops").first() or make_wave(org, "Matrix shops")
    shopper = shopper or _holder(None)
    response = responses.start_response(
        survey=scenario.survey,
        source="shopper",
        respondent=shopper,
        location=location,
        wave=wave,
        counted=False,
    )
    responses.submit_form(response=response, raw_answers={"ok": "yes"})
    approved = status == S.APPROVED
    if approved:
        Response.objects.filter(pk=response.pk).update(counted=True)
        Answer.objects.filter(response=response).update(counted=True)
    return Assignment.objects.create(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=now - dt.timedelta(days=1),
        window_end=now + dt.timedelta(days=5),
        deadline=now + dt.timedelta(days=6),
        fee=Decimal("20"),
        status=status,
        shopper=shopper,
        response=response,
        assigned_at=now,
        started_at=now,
        visited_at=now,
        visit_minutes=10,
        submitted_at=now,
        first_submitted_at=now,
        decided_at=now if approved else None,
    )


def submitted(org):
    return {"pk": sent_shop(org).pk}


def _is_shopper(org, user) -> bool:
    return (
        user is not None
        and Membership.objects.filter(user=user, organization=org, role=Role.SHOPPER).exists()
    )


def report(org, user):
    """An approved shop: the requesting shopper's own, else a stand-in shopper's."""
    own = _holder(user) if _is_shopper(org, user) else None
    return {"pk": sent_shop(org, shopper=own, status=S.APPROVED).pk}


def report_at(org, location, user):
    return {"pk": sent_shop(org, location=location, status=S.APPROVED).pk}


def batch(org):
    made = PayoutBatch.objects.create(
        organization=org,
        reference=f"PAY-MATRIX-{PayoutBatch.objects.count() + 1}",
        currency="GBP",
        total=Decimal("0"),
        shops=0,
    )
    return {"pk": made.pk}


ROWS: list[Row] = [
    Row("shoppers:review_queue", Cap.REVIEW_SHOPS),
    Row("shoppers:review", Cap.REVIEW_SHOPS, submitted),
    Row("shoppers:review_edit", Cap.REVIEW_SHOPS, submitted, "post"),
    Row("shoppers:review_return", Cap.REVIEW_SHOPS, submitted, "post"),
    Row("shoppers:review_approve", Cap.REVIEW_SHOPS, submitted, "post"),
    Row("shoppers:review_reject", Cap.REVIEW_SHOPS, submitted, "post"),
    Row("shoppers:shop_report", Cap.VIEW_ORG, report, per_user=True, located=report_at),
    Row("shoppers:shop_report_print", Cap.VIEW_ORG, report, per_user=True, located=report_at),
    Row("shoppers:payouts", Cap.MANAGE_PAYOUTS),
    Row("shoppers:payout_create", Cap.MANAGE_PAYOUTS, method="post"),
    Row("shoppers:payout_batch", Cap.MANAGE_PAYOUTS, batch),
    Row("shoppers:payout_paid", Cap.MANAGE_PAYOUTS, batch, "post"),
    Row("shoppers:payout_batch_csv", Cap.MANAGE_PAYOUTS, batch),
]
