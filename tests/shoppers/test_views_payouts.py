"""The payouts pages (program admins): what is owed per shopper, a batch of everything or of the
chosen shoppers (made once however often it is posted), a batch's page, marking it paid with a
reference, and its CSV through the formula-safe writer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cxaudit.accounts.models import User
from cxaudit.accounts.once import FIELD, REPLAYED
from shoppers.models import Assignment, PayoutBatch
from shoppers.payouts import services as payouts
from tests.shoppers.conftest import add_shopper
from tests.shoppers.pages import client_of, messages_of, url
from tests.shoppers.shops import make_shop

S = Assignment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(scenario, location, wave):
    def make(shopper, expense=None):
        return make_shop(
            S.APPROVED,
            scenario=scenario,
            location=location,
            wave=wave,
            shopper=shopper,
            expense_approved=expense,
        )

    return make


def test_the_payouts_page_lists_what_is_owed_per_shopper(org, approved, ann, bob, program_admin):
    approved(ann, Decimal("4.00"))
    approved(ann)
    approved(bob)
    page = client_of(program_admin).get(url("payouts", org))
    assert page.status_code == 200
    owed = {o.email: (o.shops, o.total) for o in page.context["owed"]}
    assert owed == {
        "ann@shoppers.test": (2, Decimal("54.00")),
        "bob@shoppers.test": (1, Decimal("25.00")),
    }
    html = page.content.decode()
    assert "3 shops owed to 2 shoppers" in html and "GBP 79.00" in html
    assert "No batch yet." in html


def test_nothing_owed_says_so(org, program_admin):
    html = client_of(program_admin).get(url("payouts", org)).content.decode()
    assert "Nothing is owed." in html


def test_a_batch_of_everything_owed(org, approved, ann, bob, program_admin):
    approved(ann)
    approved(bob)
    page = client_of(program_admin).post(url("payout_create", org), {"scope": "all"}, follow=True)
    batch = PayoutBatch.objects.get()
    assert page.redirect_chain[-1][0] == url("payout_batch", org, batch.pk)
    assert batch.shops == 2 and batch.total == Decimal("50.00")
    assert "2 shops" in messages_of(page)
    assert payouts.owed(organization=org) == []


def test_a_batch_of_the_chosen_shoppers(org, approved, ann, bob, program_admin):
    approved(ann)
    approved(bob)
    client = client_of(program_admin)
    none = client.post(url("payout_create", org), {"scope": "chosen"})
    assert none.status_code == 200 and b"Choose at least one shopper" in none.content
    assert not PayoutBatch.objects.exists()
    client.post(url("payout_create", org), {"scope": "chosen", "shoppers": [bob.pk]})
    batch = PayoutBatch.objects.get()
    assert list(batch.assignments.values_list("shopper", flat=True)) == [bob.pk]
    assert [o.email for o in payouts.owed(organization=org)] == ["ann@shoppers.test"]


def test_a_stranger_cannot_be_chosen(org, approved, ann, program_admin):
    approved(ann)
    page = client_of(program_admin).post(
        url("payout_create", org), {"scope": "chosen", "shoppers": ["999999", "x"]}
    )
    assert page.status_code == 200 and not PayoutBatch.objects.exists()


def test_a_batch_posted_twice_is_made_once(org, approved, ann, program_admin):
    approved(ann)
    client = client_of(program_admin)
    data = {"scope": "all", FIELD: "batch-token"}
    first = client.post(url("payout_create", org), data)
    again = client.post(url("payout_create", org), data, follow=True)
    assert REPLAYED in messages_of(again)
    assert again.redirect_chain[-1][0] == first["Location"]
    assert PayoutBatch.objects.count() == 1


def test_a_second_batch_with_nothing_left_is_refused_politely(org, approved, ann, program_admin):
    approved(ann)
    client = client_of(program_admin)
    client.post(url("payout_create", org), {"scope": "all"})
    page = client.post(url("payout_create", org), {"scope": "all"}, follow=True)
    assert "Nothing is payable." in messages_of(page)
    assert PayoutBatch.objects.count() == 1


def test_mark_paid_needs_a_reference_and_happens_once(org, approved, ann, program_admin):
    approved(ann)
    batch = payouts.create_batch(organization=org, actor=program_admin)
    client = client_of(program_admin)
    page = client.get(url("payout_batch", org, batch.pk))
    assert page.status_code == 200 and b"Mark paid" in page.content
    missing = client.post(url("payout_paid", org, batch.pk), {"payment_reference": " "})
    assert b"Give the payment reference" in missing.content
    assert PayoutBatch.objects.get().status == "open"
    done = client.post(
        url("payout_paid", org, batch.pk), {"payment_reference": "BACS <run> 7"}, follow=True
    )
    assert "marked paid" in messages_of(done)
    assert b"BACS &lt;run&gt; 7" in done.content
    batch.refresh_from_db()
    assert batch.status == "paid" and batch.payment_reference == "BACS <run> 7"
    again = client.post(
        url("payout_paid", org, batch.pk), {"payment_reference": "other"}, follow=True
    )
    assert "already marked paid" in messages_of(again)
    assert PayoutBatch.objects.get().payment_reference == "BACS <run> 7"


def test_the_batch_csv_neutralises_formulas(org, scenario, location, wave, program_admin):
    evil = add_shopper(org, "evil@shoppers.test")
    User.objects.filter(pk=evil.pk).update(full_name='=HYPERLINK("http://x.test","pay")')
    make_shop(S.APPROVED, scenario=scenario, location=location, wave=wave, shopper=evil)
    batch = payouts.create_batch(organization=org, actor=program_admin)
    response = client_of(program_admin).get(url("payout_batch_csv", org, batch.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"{batch.reference}.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("batch,shopper,email,shop")
    assert "'=HYPERLINK" in text and ',"=HYPERLINK' not in text
    assert lines[1].endswith("25.00,0.00,25.00,GBP")


def test_the_pages_take_a_constant_number_of_queries(
    org, approved, program_admin, django_assert_max_num_queries
):
    client = client_of(program_admin)
    approved(add_shopper(org, "s0@shoppers.test"))
    batch = payouts.create_batch(organization=org, actor=program_admin)
    approved(add_shopper(org, "s1@shoppers.test"))
    with django_assert_max_num_queries(12) as few:
        client.get(url("payouts", org))
    with django_assert_max_num_queries(12) as few_batch:
        client.get(url("payout_batch", org, batch.pk))
    for i in range(2, 12):
        shopper = add_shopper(org, f"s{i}@shoppers.test")
        approved(shopper)
        approved(shopper)
    payouts.create_batch(organization=org, actor=program_admin, shopper_ids=None)
    for i in range(12, 20):
        approved(add_shopper(org, f"s{i}@shoppers.test"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url("payouts", org))
    batch = PayoutBatch.objects.order_by("-pk").first()
    with django_assert_max_num_queries(len(few_batch.captured_queries)):
        assert len(client.get(url("payout_batch", org, batch.pk)).context["page"]) == 21


def test_reviewers_and_managers_cannot_open_payouts(org, reviewer, manager, ann):
    for user in (reviewer, manager, ann):
        assert client_of(user).get(url("payouts", org)).status_code == 403
