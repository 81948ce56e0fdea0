"""The assignment status machine, transition by transition: every method from every status
(legal: the row moves and says so; illegal: InvalidTransition and the row untouched), the rules
the methods check themselves, two stale copies racing for each claim, and the database
constraints that hold whatever writes the rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxaudit.errors import DomainError, InvalidTransition
from shoppers.models import Assignment, PayoutBatch
from surveys.models import Response
from tests.shoppers.shops import make_shop, row, visit_response

pytestmark = pytest.mark.django_db
S = Assignment.Status
ALL = list(S)


@pytest.fixture
def shop_of(scenario, location, wave, ann):
    def build(status, **kw):
        kw.setdefault("shopper", ann)
        return make_shop(status, scenario=scenario, location=location, wave=wave, **kw)

    return build


@pytest.fixture
def acts(ann, bob, reviewer, scenario, location, wave):
    """Each method called as its legitimate caller would, at a moment its rules allow."""

    def draft():
        return visit_response(scenario, location, wave, ann, submitted=False)

    def call(shop: Assignment, method: str):
        now = timezone.now()
        return {
            "assign": lambda: shop.assign(shopper=bob, at=now),
            "unassign": lambda: shop.unassign(),
            "start": lambda: shop.start(by=ann, at=now),
            "attach_response": lambda: shop.attach_response(draft()),
            "submit": lambda: shop.submit(by=ann, at=now),
            "return_for_edits": lambda: shop.return_for_edits(
                by=reviewer, at=now, deadline=now + dt.timedelta(days=3)
            ),
            "approve": lambda: shop.approve(by=reviewer, at=now, expense_approved=None),
            "reject": lambda: shop.reject(by=reviewer, at=now),
            "cancel": lambda: shop.cancel(),
            "expire": lambda: shop.expire(at=shop.deadline + dt.timedelta(minutes=1)),
        }[method]()

    return call


LEGAL = {
    "assign": {S.OPEN: S.ASSIGNED},
    "unassign": {S.ASSIGNED: S.OPEN},
    "start": {S.ASSIGNED: S.IN_PROGRESS},
    "attach_response": {S.IN_PROGRESS: S.IN_PROGRESS},
    "submit": {S.IN_PROGRESS: S.SUBMITTED, S.RETURNED: S.RESUBMITTED},
    "return_for_edits": {S.SUBMITTED: S.RETURNED, S.RESUBMITTED: S.RETURNED},
    "approve": {S.SUBMITTED: S.APPROVED, S.RESUBMITTED: S.APPROVED},
    "reject": {S.SUBMITTED: S.REJECTED, S.RESUBMITTED: S.REJECTED},
    "cancel": {S.OPEN: S.CANCELLED, S.ASSIGNED: S.CANCELLED, S.IN_PROGRESS: S.CANCELLED},
    "expire": {S.ASSIGNED: S.EXPIRED, S.IN_PROGRESS: S.EXPIRED, S.RETURNED: S.EXPIRED},
}
CASES = [(method, status) for method in LEGAL for status in ALL]


def _build_for(shop_of, method, status):
    # attach_response is legal on a started shop whose draft is not linked yet.
    with_response = False if (method, status) == ("attach_response", S.IN_PROGRESS) else None
    return shop_of(status, with_response=with_response)


@pytest.mark.parametrize(("method", "status"), CASES, ids=[f"{m}-{s}" for m, s in CASES])
def test_every_method_from_every_status(shop_of, acts, method, status, ann, bob, reviewer):
    shop = _build_for(shop_of, method, status)
    before = row(shop)
    target = LEGAL[method].get(status)
    if target is None:
        with pytest.raises(InvalidTransition):
            acts(shop, method)
        assert row(shop) == before, "a refused transition changed the row"
        return
    acts(shop, method)
    stored = Assignment.objects.get(pk=shop.pk)
    assert stored.status == shop.status == target
    # The instance says what the row says.
    for name in ("shopper_id", "response_id", "started_at", "submitted_at", "reviewer_id"):
        assert getattr(shop, name) == getattr(stored, name), name
    if method == "assign":
        assert stored.shopper == bob and stored.assigned_at is not None
    if method == "unassign":
        assert stored.shopper is None and stored.assigned_at is None
    if method == "start":
        assert stored.started_at is not None
    if method == "attach_response":
        assert stored.response_id is not None
    if method == "submit":
        assert stored.submitted_at is not None
        # the first submission's time is kept through a resubmission
        if status == S.RETURNED:
            assert stored.first_submitted_at == before["first_submitted_at"]
            assert stored.submitted_at > before["submitted_at"]
        else:
            assert stored.first_submitted_at == stored.submitted_at
    if method == "return_for_edits":
        assert stored.returns == before["returns"] + 1 and stored.reviewer == reviewer
    if method in ("approve", "reject"):
        assert stored.reviewer == reviewer and stored.decided_at is not None
        assert stored.outcome_points == (5 if method == "approve" else 1)
    if method in ("cancel", "expire"):
        # who held it is kept (the audit trail and lockouts read it)
        assert stored.shopper_id == before["shopper_id"]


def test_the_table_covers_every_status_and_method():
    methods = {
        "assign",
        "unassign",
        "start",
        "attach_response",
        "submit",
        "return_for_edits",
        "approve",
        "reject",
        "cancel",
        "expire",
    }
    assert set(LEGAL) == methods
    reached = {to for legal in LEGAL.values() for to in legal.values()}
    assert reached | {S.OPEN} == set(ALL)


# -- the rules inside the methods ------------------------------------------------------------------


def test_start_only_inside_the_window_and_before_the_deadline(shop_of, ann, bob):
    future = timezone.now() + dt.timedelta(days=2)
    shop = shop_of(S.ASSIGNED, window=(future, future + dt.timedelta(days=1)))
    before = row(shop)
    with pytest.raises(DomainError, match="not opened yet"):
        shop.start(by=ann, at=future - dt.timedelta(seconds=1))
    with pytest.raises(DomainError, match="deadline"):
        shop.start(by=ann, at=shop.deadline + dt.timedelta(seconds=1))
    with pytest.raises(InvalidTransition, match="another shopper"):
        shop.start(by=bob, at=future)
    assert row(shop) == before
    shop.start(by=ann, at=future)  # the window's first moment is inside it
    assert Assignment.objects.get(pk=shop.pk).started_at == future


def test_start_at_the_deadline_itself_is_allowed(shop_of, ann):
    shop = shop_of(S.ASSIGNED)
    shop.start(by=ann, at=shop.deadline)
    assert shop.status == S.IN_PROGRESS


def test_submit_needs_the_visit_details_the_form_and_the_shopper(shop_of, ann, bob):
    shop = shop_of(S.IN_PROGRESS, visited_at=None, visit_minutes=None)
    before = row(shop)
    with pytest.raises(DomainError, match="Record when") as exc:
        shop.submit(by=ann, at=timezone.now())
    assert exc.value.field == "visited_at" and not isinstance(exc.value, InvalidTransition)
    shop.visited_at = timezone.now()
    with pytest.raises(DomainError, match="Record when"):  # the length is missing still
        shop.submit(by=ann, at=timezone.now())
    shop.visit_minutes = 10
    with pytest.raises(InvalidTransition):
        shop.submit(by=bob, at=timezone.now())
    with pytest.raises(DomainError, match="deadline"):
        shop.submit(by=ann, at=shop.deadline + dt.timedelta(seconds=1))
    assert row(shop) == before

    no_form = shop_of(S.IN_PROGRESS, with_response=False)
    with pytest.raises(DomainError, match="Fill in the visit form"):
        no_form.submit(by=ann, at=timezone.now())
    assert no_form.status == S.IN_PROGRESS


def test_approve_needs_a_score(shop_of, reviewer):
    shop = shop_of(S.SUBMITTED)
    Response.objects.filter(pk=shop.response_id).update(score_percent=None)
    shop = Assignment.objects.get(pk=shop.pk)
    before = row(shop)
    with pytest.raises(DomainError, match="no score"):
        shop.approve(by=reviewer, at=timezone.now(), expense_approved=None)
    assert row(shop) == before


@pytest.mark.parametrize(
    ("amount", "ok"),
    [
        (Decimal("-0.01"), False),
        (Decimal("0"), True),
        (Decimal("10.00"), True),  # exactly the cap (the scenario's 10.00)
        (Decimal("10.01"), False),
        (None, True),
    ],
)
def test_approve_refunds_an_expense_within_the_cap_only(shop_of, reviewer, amount, ok):
    shop = shop_of(S.RESUBMITTED, returns=1)
    before = row(shop)
    if not ok:
        with pytest.raises(DomainError) as exc:
            shop.approve(by=reviewer, at=timezone.now(), expense_approved=amount)
        assert exc.value.field == "expense_approved"
        assert row(shop) == before
        return
    shop.approve(by=reviewer, at=timezone.now(), expense_approved=amount)
    stored = Assignment.objects.get(pk=shop.pk)
    assert stored.expense_approved == amount
    assert stored.outcome_points == 3  # approved after an edit
    assert stored.payable_amount == Decimal("25.00") + (amount or 0)


def test_return_extends_the_deadline_never_shortens_it(shop_of, reviewer):
    shop = shop_of(S.SUBMITTED)
    old = shop.deadline
    shop.return_for_edits(by=reviewer, at=timezone.now(), deadline=old - dt.timedelta(days=2))
    assert Assignment.objects.get(pk=shop.pk).deadline == old
    again = shop_of(S.RESUBMITTED, returns=1)
    later = again.deadline + dt.timedelta(days=5)
    again.return_for_edits(by=reviewer, at=timezone.now(), deadline=later)
    stored = Assignment.objects.get(pk=again.pk)
    assert stored.deadline == later and stored.returns == 2


def test_expire_only_after_the_deadline(shop_of):
    shop = shop_of(S.IN_PROGRESS)
    with pytest.raises(InvalidTransition, match="not passed"):
        shop.expire(at=shop.deadline)
    assert Assignment.objects.get(pk=shop.pk).status == S.IN_PROGRESS
    shop.expire(at=shop.deadline + dt.timedelta(microseconds=1))
    assert Assignment.objects.get(pk=shop.pk).status == S.EXPIRED


def test_assign_after_the_deadline_is_refused(shop_of, bob):
    past = timezone.now() - dt.timedelta(days=10)
    shop = shop_of(S.OPEN, window=(past, past + dt.timedelta(days=1)))
    before = row(shop)
    with pytest.raises(DomainError):
        shop.assign(shopper=bob, at=timezone.now())
    assert row(shop) == before


def test_attach_response_is_once(shop_of, scenario, location, wave, ann):
    shop = shop_of(S.IN_PROGRESS, with_response=False)
    first = visit_response(scenario, location, wave, ann, submitted=False)
    shop.attach_response(first)
    shop.attach_response(first)  # the same draft again: a replay
    other = visit_response(scenario, location, wave, ann, submitted=False)
    with pytest.raises(InvalidTransition):
        shop.attach_response(other)
    assert Assignment.objects.get(pk=shop.pk).response_id == first.pk


# -- two stale copies racing for one claim ---------------------------------------------------------

RACES = [
    # (status, first, second): both copies were read in `status`.
    (S.OPEN, "assign", "assign"),
    (S.OPEN, "assign", "cancel"),
    (S.OPEN, "cancel", "assign"),
    (S.ASSIGNED, "unassign", "unassign"),
    (S.ASSIGNED, "unassign", "start"),
    (S.ASSIGNED, "start", "start"),
    (S.ASSIGNED, "start", "unassign"),
    (S.ASSIGNED, "cancel", "start"),
    (S.ASSIGNED, "expire", "start"),
    (S.IN_PROGRESS, "attach_response", "attach_response"),
    (S.IN_PROGRESS, "submit", "submit"),
    (S.IN_PROGRESS, "submit", "expire"),
    (S.IN_PROGRESS, "expire", "submit"),
    (S.IN_PROGRESS, "cancel", "submit"),
    (S.IN_PROGRESS, "submit", "cancel"),
    (S.IN_PROGRESS, "cancel", "cancel"),
    (S.IN_PROGRESS, "expire", "expire"),
    (S.RETURNED, "submit", "submit"),
    (S.RETURNED, "submit", "expire"),
    (S.RETURNED, "expire", "submit"),
    (S.SUBMITTED, "return_for_edits", "return_for_edits"),
    (S.SUBMITTED, "approve", "approve"),
    (S.SUBMITTED, "approve", "return_for_edits"),
    (S.SUBMITTED, "return_for_edits", "approve"),
    (S.SUBMITTED, "approve", "reject"),
    (S.RESUBMITTED, "reject", "approve"),
    (S.RESUBMITTED, "reject", "reject"),
]


@pytest.mark.parametrize(
    ("status", "first", "second"), RACES, ids=[f"{s}-{a}-{b}" for s, a, b in RACES]
)
def test_two_copies_one_winner(shop_of, acts, status, first, second):
    method = first if first == "attach_response" else None
    shop = _build_for(shop_of, method, status)
    mine, theirs = Assignment.objects.get(pk=shop.pk), Assignment.objects.get(pk=shop.pk)
    acts(mine, first)
    after = row(shop)
    with pytest.raises(InvalidTransition):
        acts(theirs, second)
    assert row(shop) == after, "the loser changed the row"
    assert after["status"] == LEGAL[first][status]


def test_a_released_and_retaken_job_is_not_started_by_its_first_holder(shop_of, ann, bob):
    """A copy read while ann held it: after a release and bob taking it, ann's stale copy can
    neither start nor release it (the claim repeats who holds it, not only the status)."""
    shop = shop_of(S.ASSIGNED)
    stale = Assignment.objects.get(pk=shop.pk)
    shop.unassign()
    shop.assign(shopper=bob, at=timezone.now())
    with pytest.raises(InvalidTransition):
        stale.start(by=ann, at=timezone.now())
    with pytest.raises(InvalidTransition):
        stale.unassign()
    stored = Assignment.objects.get(pk=shop.pk)
    assert stored.status == S.ASSIGNED and stored.shopper == bob


# -- the database's own guarantees -----------------------------------------------------------------


def _refused(shop: Assignment, **fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.filter(pk=shop.pk).update(**fields)


def test_open_means_nobody_holds_it_and_held_means_somebody_does(shop_of, ann):
    _refused(shop_of(S.ASSIGNED), shopper=None)
    _refused(shop_of(S.OPEN, shopper=None), shopper=ann)
    _refused(shop_of(S.ASSIGNED), status=S.OPEN)  # still holding the shopper
    for status in (S.IN_PROGRESS, S.SUBMITTED, S.APPROVED, S.REJECTED):
        _refused(shop_of(status), shopper=None)
    # cancelled and expired shops may or may not have had a shopper
    for status in (S.CANCELLED, S.EXPIRED):
        shop = shop_of(status)
        assert shop.shopper is None
        Assignment.objects.filter(pk=shop.pk).update(shopper=ann)


def test_a_response_is_required_from_the_first_submission_on(shop_of):
    for status in (S.SUBMITTED, S.RETURNED, S.RESUBMITTED, S.APPROVED, S.REJECTED):
        _refused(shop_of(status), response=None)
    _refused(shop_of(S.IN_PROGRESS, with_response=False), status=S.SUBMITTED)


def test_one_response_per_shop(shop_of):
    first = shop_of(S.SUBMITTED)
    second = shop_of(S.IN_PROGRESS, with_response=False)
    _refused(second, response=first.response)


def test_paid_only_when_approved(org, shop_of, program_admin):
    batch = PayoutBatch.objects.create(
        organization=org, reference="PAY-1", currency="GBP", total=0, shops=0
    )
    for status in (S.SUBMITTED, S.REJECTED, S.RETURNED):
        _refused(shop_of(status), payout_batch=batch)
    approved = shop_of(S.APPROVED)
    Assignment.objects.filter(pk=approved.pk).update(payout_batch=batch)
    _refused(approved, status=S.REJECTED)  # a paid shop cannot leave approved


def test_amounts_and_times_are_sane(shop_of):
    shop = shop_of(S.APPROVED)
    _refused(shop, expense_approved=Decimal("10.01"))  # over the cap of 10
    _refused(shop, expense_approved=Decimal("-1"))
    _refused(shop, fee=Decimal("-1"))
    _refused(shop, expense_cap=Decimal("-1"))
    _refused(shop, expense_cap=Decimal("5"), expense_approved=Decimal("6"))
    _refused(shop, window_end=shop.window_start)
    _refused(shop, deadline=shop.window_end - dt.timedelta(seconds=1))
    _refused(shop, status="bogus")
    Assignment.objects.filter(pk=shop.pk).update(expense_approved=Decimal("10.00"))
