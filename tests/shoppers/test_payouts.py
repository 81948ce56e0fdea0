"""Fees: what is owed per shopper, batches that claim each approved shop once (even when two
are made at once), marking paid once, the batch's CSV through the formula-safe writer, and a
shopper's earnings; amounts hand-computed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.errors import DomainError
from cxaudit.exports import csv_lines
from shoppers.models import Assignment, PayoutBatch
from shoppers.payouts import services as payouts
from tests.shoppers.conftest import add_shopper
from tests.shoppers.shops import make_shop, race

pytestmark = pytest.mark.django_db
S = Assignment.Status


@pytest.fixture
def shop(scenario, location, wave):
    def make(status, shopper, **kw):
        return make_shop(
            status, scenario=scenario, location=location, wave=wave, shopper=shopper, **kw
        )

    return make


@pytest.fixture
def owed_shops(shop, ann, bob):
    """ann: two approved (25 + 4.50 refunded, 25); bob: one approved (25 + 10); nothing owed
    for what is under review, returned, rejected, cancelled or open."""
    shops = [
        shop(S.APPROVED, ann, expense_approved=Decimal("4.50")),
        shop(S.APPROVED, ann),
        shop(S.APPROVED, bob, expense_approved=Decimal("10.00")),
    ]
    for status in (S.SUBMITTED, S.RESUBMITTED, S.RETURNED, S.REJECTED, S.CANCELLED, S.OPEN):
        shop(status, ann)
    return shops


def test_owed_per_shopper(org, owed_shops, ann, bob, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = payouts.owed(organization=org)
    assert [
        (r.shopper_id, r.name, r.email, r.shops, r.fees, r.expenses, r.total) for r in rows
    ] == [
        (ann.pk, "ann", ann.email, 2, Decimal("50.00"), Decimal("4.50"), Decimal("54.50")),
        (bob.pk, "bob", bob.email, 1, Decimal("25.00"), Decimal("10.00"), Decimal("35.00")),
    ]


def test_another_organisation_owes_nothing_here(other_org, owed_shops):
    assert payouts.owed(organization=other_org) == []
    with pytest.raises(DomainError, match="Nothing is payable"):
        payouts.create_batch(organization=other_org, actor=None)


def test_a_batch_takes_every_payable_shop_once(org, owed_shops, shop, ann, program_admin):
    today = timezone.localdate()
    batch = payouts.create_batch(organization=org, actor=program_admin)
    assert batch.reference == f"PAY-{today:%Y%m%d}-01"
    assert (batch.total, batch.shops, batch.currency) == (Decimal("89.50"), 3, "GBP")
    assert batch.status == PayoutBatch.Status.OPEN and batch.created_by == program_admin
    assert set(batch.assignments.all()) == set(owed_shops)
    assert payouts.owed(organization=org) == []
    with pytest.raises(DomainError, match="Nothing is payable"):
        payouts.create_batch(organization=org, actor=program_admin)
    late = shop(S.APPROVED, ann)
    second = payouts.create_batch(organization=org, actor=program_admin)
    assert second.reference == f"PAY-{today:%Y%m%d}-02"
    assert (second.total, second.shops, list(second.assignments.all())) == (
        Decimal("25.00"),
        1,
        [late],
    )


def test_a_batch_of_chosen_shoppers(org, owed_shops, ann, bob, program_admin):
    batch = payouts.create_batch(organization=org, actor=program_admin, shopper_ids=[bob.pk])
    assert (batch.total, batch.shops) == (Decimal("35.00"), 1)
    assert [r.shopper_id for r in payouts.owed(organization=org)] == [ann.pk]
    # nobody chosen (an empty selection on the page) batches nobody, not everybody
    with pytest.raises(DomainError, match="Nothing is payable"):
        payouts.create_batch(organization=org, actor=program_admin, shopper_ids=[])
    assert [r.shopper_id for r in payouts.owed(organization=org)] == [ann.pk]


@pytest.mark.django_db(transaction=True)
def test_two_batches_made_at_once_claim_each_shop_once(org, owed_shops, program_admin, reviewer):
    results = race(
        lambda: payouts.create_batch(organization=org, actor=program_admin),
        lambda: payouts.create_batch(organization=org, actor=reviewer),
    )
    made = [r for r in results if isinstance(r, PayoutBatch)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], DomainError), refused  # never an IntegrityError (a 500)
    assert PayoutBatch.objects.count() == 1
    assert (made[0].shops, made[0].total) == (3, Decimal("89.50"))
    assert Assignment.objects.filter(payout_batch=made[0]).count() == 3


def test_marking_paid_once(org, owed_shops, program_admin, reviewer):
    batch = payouts.create_batch(organization=org, actor=program_admin)
    paid = payouts.mark_paid(batch=batch, actor=program_admin, payment_reference="  BACS 991 ")
    assert paid.status == PayoutBatch.Status.PAID and paid.paid_by == program_admin
    assert paid.payment_reference == "BACS 991" and paid.paid_at is not None
    stale = PayoutBatch.objects.get(pk=batch.pk)
    with pytest.raises(DomainError, match="already marked paid"):
        payouts.mark_paid(batch=stale, actor=reviewer, payment_reference="again")
    stored = PayoutBatch.objects.get(pk=batch.pk)
    assert (stored.paid_by, stored.payment_reference) == (program_admin, "BACS 991")


def test_the_batch_csv_is_formula_safe(org, scenario, location, wave, program_admin):
    evil = add_shopper(org, "evil@shoppers.test")
    evil.full_name = '=HYPERLINK("http://x.test","pay me")'
    evil.save()
    scenario.title = "+SUM(A1:A9)"
    scenario.save()
    location.name = "@cmd"
    location.save()
    wave.name = "-1+2"
    wave.save()
    shop = make_shop(
        S.APPROVED,
        scenario=scenario,
        location=location,
        wave=wave,
        shopper=evil,
        expense_approved=Decimal("3.25"),
    )
    batch = payouts.create_batch(organization=org, actor=program_admin)
    rows = payouts.batch_rows(batch)
    header = next(rows)  # the writer takes the header apart from the rows
    text = "".join(csv_lines(header, rows))
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == [
        "batch",
        "shopper",
        "email",
        "shop",
        "scenario",
        "location",
        "wave",
        "approved",
        "fee",
        "expense",
        "amount",
        "currency",
    ]
    assert len(parsed) == 2
    line = dict(zip(parsed[0], parsed[1], strict=True))
    assert line["shopper"] == """'=HYPERLINK("http://x.test","pay me")"""
    assert line["scenario"] == "'+SUM(A1:A9)"
    assert line["location"] == "'@cmd"
    assert line["wave"] == "'-1+2"
    assert (line["fee"], line["expense"], line["amount"]) == ("25.00", "3.25", "28.25")
    assert line["shop"] == str(shop.pk) and line["batch"] == batch.reference
    assert line["currency"] == "GBP" and line["email"] == "evil@shoppers.test"
    decided = timezone.localtime(Assignment.objects.get(pk=shop.pk).decided_at)
    assert line["approved"] == f"{decided:%Y-%m-%d %H:%M}"


def test_earnings_paid_payable_and_pending(org, shop, ann, bob, program_admin):
    shop(S.APPROVED, ann, expense_approved=Decimal("4.50"))
    batch = payouts.create_batch(organization=org, actor=program_admin)
    payouts.mark_paid(batch=batch, actor=program_admin)
    shop(S.APPROVED, ann)  # in an unpaid batch: still payable
    payouts.create_batch(organization=org, actor=program_admin)
    shop(S.APPROVED, ann, expense_approved=Decimal("1.00"))  # in no batch yet
    for status in (S.SUBMITTED, S.RESUBMITTED, S.RETURNED):
        shop(status, ann)  # the fee if approved
    for status in (S.REJECTED, S.CANCELLED, S.EXPIRED, S.IN_PROGRESS):
        shop(status, ann)
    shop(S.APPROVED, bob)
    assert payouts.earnings(organization=org, shopper=ann) == {
        "paid": Decimal("29.50"),
        "payable": Decimal("51.00"),
        "pending": Decimal("75.00"),
    }
    assert payouts.earnings(organization=org, shopper=bob) == {
        "paid": Decimal("0.00"),
        "payable": Decimal("25.00"),
        "pending": Decimal("0.00"),
    }
