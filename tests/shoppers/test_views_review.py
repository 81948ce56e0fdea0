"""The review pages: the queue (oldest first, flags, a constant number of queries), the review of
a shop (flags explained, answers beside points, evidence, brief, visit, trail) and its decisions
through the views: words required, no score no approval, the expense within the cap, a stale
page told so when another reviewer decided first, a double post acting once, and what users
wrote shown escaped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.once import FIELD, REPLAYED
from shoppers.models import Assignment, AssignmentEvent
from shoppers.review import services as review
from surveys.models import Response
from tests.conftest import make_user
from tests.shoppers.conftest import add_shopper
from tests.shoppers.pages import client_of, messages_of, url
from tests.shoppers.shops import jpeg, make_shop, send, take_and_start, upload

S = Assignment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_of(scenario, location, wave):
    def make(status, shopper, **fields):
        return make_shop(
            status, scenario=scenario, location=location, wave=wave, shopper=shopper, **fields
        )

    return make


@pytest.fixture
def sent(shop_of, ann):
    return shop_of(S.SUBMITTED, ann, answers={"greet": "yes", "smile": "no"})


def post(client, org, name, shop, **data):
    return client.post(url(name, org, shop.pk), data, follow=True)


# -- the queue -----------------------------------------------------------------------------------


FAST = {"code": "too_fast", "label": "Form filled implausibly fast", "detail": "x", "weight": 20}


def test_the_queue_lists_shops_waiting_oldest_first_with_their_flags(shop_of, org, reviewer, ann):
    now = timezone.now()
    newer = shop_of(S.SUBMITTED, ann, submitted_at=now - dt.timedelta(hours=1))
    older = shop_of(
        S.RESUBMITTED,
        ann,
        submitted_at=now - dt.timedelta(days=2),
        integrity_score=60,
        integrity_flags=[FAST],
    )
    for status in (S.APPROVED, S.RETURNED, S.IN_PROGRESS, S.REJECTED):
        shop_of(status, ann)
    page = client_of(reviewer).get(url("review_queue", org))
    assert page.status_code == 200
    listed = [s.pk for s in page.context["page"].object_list]
    assert listed == [older.pk, newer.pk]
    html = page.content.decode()
    assert "Form filled implausibly fast" in html and "Integrity 60/100" in html
    assert "Resubmitted" in html and scenario_title(older) in html


def scenario_title(shop) -> str:
    return shop.scenario.title


def test_the_queue_takes_a_constant_number_of_queries(
    shop_of, org, reviewer, ann, second_location, django_assert_max_num_queries
):
    client = client_of(reviewer)
    shop_of(S.SUBMITTED, ann)
    with django_assert_max_num_queries(9) as few:
        assert client.get(url("review_queue", org)).status_code == 200
    bob = add_shopper(org, "zed@shoppers.test")
    for i in range(30):
        shop_of(S.SUBMITTED if i % 2 else S.RESUBMITTED, bob if i % 3 else ann)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("review_queue", org))
    assert page.context["total"] == 31 and len(page.context["page"].object_list) == 25


def test_an_empty_queue_says_so(org, reviewer):
    page = client_of(reviewer).get(url("review_queue", org))
    assert b"Nothing to review." in page.content


# -- the review page -----------------------------------------------------------------------------


def test_the_review_page_shows_flags_answers_points_evidence_brief_and_trail(
    org, job, ann, reviewer
):
    shop = take_and_start(job, ann)
    evidence = upload(shop.response, "receipt", jpeg())
    shop = send(
        shop,
        ann,
        {"greet": "yes", "smile": "no", "receipt": str(evidence.key), "story": "<i>Queue</i> ok"},
        visited_at=shop.window_start - dt.timedelta(hours=1),
        expense=Decimal("4.50"),
    )
    page = client_of(reviewer).get(url("review", org, shop.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Visit outside its window" in html and "−25" in html  # the flag, explained
    assert "50%" in html and "1 of 2 points" in html
    assert 'id="q-greet"' in html and "1 / 1" in html and "0 / 1" in html
    assert reverse("surveys:evidence_file", args=[org.slug, evidence.key]) in html
    assert "&lt;i&gt;Queue&lt;/i&gt; ok" in html and "<i>Queue</i>" not in html
    assert "Ask for a refund of a &lt;b&gt;day return&lt;/b&gt;." in html
    assert "In progress → Submitted" in html
    for button in ("Return to shopper", "Approve", "Reject"):
        assert f">{button}</button>" in html
    assert html.count('name="comment"') == 3
    assert f'name="seen_status" value="{S.SUBMITTED}"' in html


def test_a_decided_shop_shows_no_decision_forms(shop_of, org, reviewer, ann):
    shop = shop_of(S.APPROVED, ann)
    html = client_of(reviewer).get(url("review", org, shop.pk)).content.decode()
    assert "no longer under review" in html and ">Approve</button>" not in html


def test_another_organisations_shop_is_not_found(shop_of, org, ann, outsider):
    shop = shop_of(S.SUBMITTED, ann)
    assert client_of(outsider).get(url("review", org, shop.pk)).status_code == 404


# -- return, reject, approve -------------------------------------------------------------------


def test_return_needs_a_comment(org, sent, reviewer):
    page = post(client_of(reviewer), org, "review_return", sent, seen_status=S.SUBMITTED)
    assert page.status_code == 200
    assert "Write what the shopper should correct" in page.content.decode()
    assert Assignment.objects.get(pk=sent.pk).status == S.SUBMITTED


def test_return_with_a_comment_sends_it_back_and_shows_it_escaped(org, sent, reviewer, ann):
    comment = "Add the <script>alert(1)</script> receipt photo"
    page = post(
        client_of(reviewer), org, "review_return", sent, seen_status=S.SUBMITTED, comment=comment
    )
    assert page.redirect_chain[-1][0] == url("review_queue", org)
    assert "returned to" in messages_of(page)
    assert Assignment.objects.get(pk=sent.pk).status == S.RETURNED
    for user, name in ((reviewer, "review"), (ann, "assignment")):
        html = client_of(user).get(url(name, org, sent.pk)).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html


def test_reject_needs_a_reason_and_then_rejects(org, sent, reviewer):
    client = client_of(reviewer)
    page = post(client, org, "review_reject", sent, seen_status=S.SUBMITTED, comment="   ")
    assert "Write why the shop is rejected." in page.content.decode()
    assert Assignment.objects.get(pk=sent.pk).status == S.SUBMITTED
    post(client, org, "review_reject", sent, seen_status=S.SUBMITTED, comment="Never went")
    shop = Assignment.objects.get(pk=sent.pk)
    assert shop.status == S.REJECTED
    assert shop.events.filter(to_status=S.REJECTED, reason="Never went").exists()


def test_approve_makes_the_shop_count_and_payable(org, sent, reviewer):
    page = post(
        client_of(reviewer),
        org,
        "review_approve",
        sent,
        seen_status=S.SUBMITTED,
        expense_approved="2.50",
        comment="Good <b>work</b>",
    )
    assert "approved" in messages_of(page) and "GBP 27.50" in messages_of(page)
    shop = Assignment.objects.get(pk=sent.pk)
    assert shop.status == S.APPROVED and shop.expense_approved == Decimal("2.50")
    assert Response.objects.get(pk=shop.response_id).counted
    assert shop.events.get(to_status=S.APPROVED).reason == "Good <b>work</b>"


def test_approve_refuses_an_expense_above_the_cap(org, sent, reviewer):
    page = post(
        client_of(reviewer),
        org,
        "review_approve",
        sent,
        seen_status=S.SUBMITTED,
        expense_approved="10.01",
    )
    assert page.status_code == 200
    assert "less than or equal to 10" in page.content.decode()
    assert Assignment.objects.get(pk=sent.pk).status == S.SUBMITTED


def test_a_shop_without_a_score_cannot_be_approved(org, sent, reviewer):
    Response.objects.filter(pk=sent.response_id).update(score_percent=None)
    page = post(client_of(reviewer), org, "review_approve", sent, seen_status=S.SUBMITTED)
    assert "no score yet" in messages_of(page)
    assert Assignment.objects.get(pk=sent.pk).status == S.SUBMITTED


# -- two reviewers, replays --------------------------------------------------------------------


def test_of_two_reviewers_the_second_is_told_another_decided_first(org, sent, reviewer):
    other = make_user("second-reviewer@acme.test")
    org.memberships.create(user=other, role="reviewer")
    first, second = client_of(reviewer), client_of(other)
    for client in (first, second):  # both opened the page while it was submitted
        assert client.get(url("review", org, sent.pk)).context["shop"].status == S.SUBMITTED
    post(first, org, "review_approve", sent, seen_status=S.SUBMITTED)
    page = post(second, org, "review_return", sent, seen_status=S.SUBMITTED, comment="Fix it")
    assert page.status_code == 200
    assert "changed by someone else" in messages_of(page)
    assert "now approved" in messages_of(page)
    shop = Assignment.objects.get(pk=sent.pk)
    assert shop.status == S.APPROVED and shop.returns == 0
    assert shop.events.filter(to_status=S.RETURNED).count() == 0


def test_a_decision_posted_twice_acts_once(org, sent, reviewer):
    client = client_of(reviewer)
    data = {"seen_status": S.SUBMITTED, "comment": "Add the photo", FIELD: "token-1"}
    client.post(url("review_return", org, sent.pk), data)
    again = client.post(url("review_return", org, sent.pk), data, follow=True)
    assert REPLAYED in messages_of(again)
    assert AssignmentEvent.objects.filter(assignment=sent, to_status=S.RETURNED).count() == 1
    assert Assignment.objects.get(pk=sent.pk).returns == 1


def test_returned_then_resubmitted_can_be_approved(org, sent, reviewer, ann):
    client = client_of(reviewer)
    post(client, org, "review_return", sent, seen_status=S.SUBMITTED, comment="Add the photo")
    shop = Assignment.objects.get(pk=sent.pk)
    from shoppers.visits import services as visits

    visits.submit_visit(assignment=shop, shopper=ann, raw_answers={"greet": "yes", "smile": "yes"})
    queue = client.get(url("review_queue", org))
    assert [s.pk for s in queue.context["page"].object_list] == [sent.pk]
    post(client, org, "review_approve", sent, seen_status=S.RESUBMITTED)
    assert Assignment.objects.get(pk=sent.pk).status == S.APPROVED


# -- editing an answer -------------------------------------------------------------------------


def edit(client, org, shop, question: str, value: str, reason: str):
    return post(
        client,
        org,
        "review_edit",
        shop,
        seen_status=S.SUBMITTED,
        question=question,
        value=value,
        reason=reason,
    )


def test_editing_needs_a_reason(org, sent, reviewer):
    page = edit(client_of(reviewer), org, sent, "smile", "yes", "")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Write why the answer is changed" in html
    assert Response.objects.get(pk=sent.response_id).score_percent == 50.0


def test_an_edit_rescores_and_is_kept_in_the_trail(org, sent, reviewer):
    page = edit(client_of(reviewer), org, sent, "smile", "yes", "The <photo> shows a smile")
    assert "now scores 100%" in messages_of(page)
    assert Response.objects.get(pk=sent.response_id).score_percent == 100.0
    event = AssignmentEvent.objects.get(assignment=sent, kind=AssignmentEvent.Kind.EDIT)
    assert event.details["before"] is False and event.details["after"] is True
    html = page.content.decode()
    assert "The &lt;photo&gt; shows a smile" in html


def test_an_invalid_or_unknown_answer_is_refused_with_the_reason(org, sent, reviewer):
    client = client_of(reviewer)
    bad = edit(client, org, sent, "smile", "maybe", "r")
    assert bad.status_code == 200 and "New answer:" in bad.content.decode()
    unknown = edit(client, org, sent, "receipt", "x", "r")
    assert "cannot be corrected here" in messages_of(unknown)
    assert not AssignmentEvent.objects.filter(kind=AssignmentEvent.Kind.EDIT).exists()


def test_an_edit_on_a_page_another_reviewer_overtook_is_refused(org, sent, reviewer):
    review.reject_shop(assignment=sent, actor=reviewer, reason="No")
    page = edit(client_of(reviewer), org, sent, "smile", "yes", "r")
    assert "changed by someone else" in messages_of(page)


def test_a_manager_and_a_shopper_cannot_review(org, sent, manager, ann):
    assert client_of(manager).get(url("review", org, sent.pk)).status_code == 403
    assert client_of(ann).get(url("review_queue", org)).status_code == 403
    bob = add_shopper(org, "bob2@shoppers.test")
    assert client_of(bob).post(url("review_approve", org, sent.pk)).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_posting_at_the_same_moment_one_wins_the_other_is_told(
    org, shop_of, ann, reviewer
):
    from tests.shoppers.shops import race

    shop = shop_of(S.SUBMITTED, ann, answers={"greet": "yes", "smile": "no"})
    other = make_user("racing-reviewer@acme.test")
    org.memberships.create(user=other, role="reviewer")
    approving, returning = client_of(reviewer), client_of(other)
    results = race(
        lambda: approving.post(url("review_approve", org, shop.pk), {"seen_status": S.SUBMITTED}),
        lambda: returning.post(
            url("review_return", org, shop.pk), {"seen_status": S.SUBMITTED, "comment": "Fix"}
        ),
    )
    assert all(r.status_code == 302 for r in results), results
    won = [r["Location"] == url("review_queue", org) for r in results]
    assert sorted(won) == [False, True]  # one decided, the other is sent back to the page
    loser = results[won.index(False)]
    assert loser["Location"] == url("review", org, shop.pk)
    told = (returning if won[0] else approving).get(loser["Location"])
    assert "changed by someone else" in messages_of(told)
    shop.refresh_from_db()
    assert shop.status == (S.APPROVED if won[0] else S.RETURNED)
    decided = AssignmentEvent.objects.filter(
        assignment=shop, to_status__in=[S.APPROVED, S.RETURNED]
    )
    assert decided.count() == 1


def test_the_review_page_takes_a_bounded_number_of_queries(
    org, sent, reviewer, django_assert_max_num_queries
):
    client = client_of(reviewer)
    with django_assert_max_num_queries(16):
        assert client.get(url("review", org, sent.pk)).status_code == 200
