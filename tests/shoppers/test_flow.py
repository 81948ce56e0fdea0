"""The core of a shop's life, end to end through the services: taken, started, filled, sent,
returned, corrected, approved; what counts when; the emails queued once each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.messaging.models import Message
from shoppers.models import Assignment, AssignmentEvent
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from surveys.models import Answer, Response

S = Assignment.Status
pytestmark = pytest.mark.django_db


def observed_n(org) -> int:
    rows = analyse_gaps(organization=org).rows("standard")
    return sum(r.perspectives["observed"].n for r in rows)


def fill(job, shopper, answers=None, *, minutes_ago=30):
    job = scheduling.self_assign(assignment=job, shopper=shopper)
    job = visits.start_visit(assignment=job, shopper=shopper)
    visits.record_visit(
        assignment=job,
        shopper=shopper,
        visited_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        visit_minutes=12,
        expense_claimed=Decimal("4.50"),
    )
    return visits.submit_visit(
        assignment=job, shopper=shopper, raw_answers=answers or {"greet": "no", "smile": "yes"}
    )


def test_a_shop_counts_only_once_approved(org, job, ann, reviewer):
    shop = fill(job, ann)
    assert shop.status == S.SUBMITTED and shop.response.status == Response.Status.SUBMITTED
    assert shop.response.score_percent == 50.0 and not shop.response.counted
    assert observed_n(org) == 0  # under review: in no figure

    shop = review.return_shop(assignment=shop, actor=reviewer, comment="Was the desk open?")
    assert shop.status == S.RETURNED and shop.returns == 1
    response = Response.objects.get(pk=shop.response_id)
    assert response.status == Response.Status.DRAFT
    assert response.draft == {"greet": False, "smile": True}
    assert not Answer.objects.filter(response=response).exists()

    shop = visits.submit_visit(
        assignment=shop, shopper=ann, raw_answers={"greet": "yes", "smile": "yes"}
    )
    assert shop.status == S.RESUBMITTED
    assert observed_n(org) == 0

    shop = review.approve_shop(assignment=shop, actor=reviewer)
    assert shop.status == S.APPROVED
    assert Response.objects.get(pk=shop.response_id).counted
    assert observed_n(org) == 1
    assert shop.expense_approved == Decimal("0")  # a receipt was asked for and not given
    assert shop.outcome_points == 3
    ann_profile = ann.shopper_profiles.get()
    assert ann_profile.rating == Decimal("3.00") and ann_profile.rated_shops == 1

    purposes = list(Message.objects.order_by("pk").values_list("purpose", flat=True))
    assert purposes == [
        "shoppers.assignment_confirmed",
        "shoppers.returned",
        "shoppers.approved",
    ]
    kinds = list(shop.events.values_list("kind", "from_status", "to_status"))
    assert kinds[0] == ("created", "", "")
    assert ("transition", "submitted", "returned") in kinds
    assert kinds[-1] == ("transition", "resubmitted", "approved")


def test_submitting_twice_or_after_the_deadline(org, job, ann):
    shop = fill(job, ann)
    again = visits.submit_visit(assignment=shop, shopper=ann, raw_answers={"greet": "yes"})
    assert again.status == S.SUBMITTED and Response.objects.count() == 1
    assert Answer.objects.get(question__code="greet").value is False  # the replay changed nothing


def test_late_submission_is_refused_and_keeps_the_typing(org, job, ann):
    job = scheduling.self_assign(assignment=job, shopper=ann)
    job = visits.start_visit(assignment=job, shopper=ann)
    visits.record_visit(assignment=job, shopper=ann, visited_at=timezone.now(), visit_minutes=5)
    Assignment.objects.filter(pk=job.pk).update(
        window_end=timezone.now() - dt.timedelta(hours=2),
        deadline=timezone.now() - dt.timedelta(hours=1),
    )
    with pytest.raises(DomainError, match="deadline"):
        visits.submit_visit(assignment=job, shopper=ann, raw_answers={"greet": "yes"})
    assert Response.objects.get().draft == {"greet": "yes"}
    assert Assignment.objects.get().status == S.IN_PROGRESS


def test_invalid_answers_keep_the_draft_and_the_status(org, job, ann):
    job = scheduling.self_assign(assignment=job, shopper=ann)
    job = visits.start_visit(assignment=job, shopper=ann)
    visits.record_visit(assignment=job, shopper=ann, visited_at=timezone.now(), visit_minutes=5)
    with pytest.raises(ValidationFailed) as exc:
        visits.submit_visit(assignment=job, shopper=ann, raw_answers={"greet": "maybe"})
    assert [code for code, _ in exc.value.errors] == ["greet"]
    assert Assignment.objects.get().status == S.IN_PROGRESS


def test_two_reviewers_at_once_one_wins(org, job, ann, reviewer, program_admin):
    shop = fill(job, ann)
    stale = Assignment.objects.get(pk=shop.pk)  # the second reviewer's page
    review.approve_shop(assignment=shop, actor=reviewer, seen_status=S.SUBMITTED)
    with pytest.raises(DomainError, match="changed by someone else"):
        review.return_shop(
            assignment=stale, actor=program_admin, comment="x", seen_status=stale.status
        )
    with pytest.raises(InvalidTransition):
        stale.reject(by=program_admin, at=timezone.now())  # the claim itself refuses too
    assert Assignment.objects.get().status == S.APPROVED


def test_reviewer_edit_rescores_and_is_audited(org, job, ann, reviewer):
    shop = fill(job, ann)
    review.edit_answer(
        assignment=shop,
        question_code="greet",
        value="yes",
        reason="Photo shows a greeting",
        actor=reviewer,
    )
    response = Response.objects.get(pk=shop.response_id)
    assert response.score_percent == 100.0 and not response.counted
    edit = AssignmentEvent.objects.get(kind="edit")
    assert edit.details["before"] is False and edit.details["after"] is True
    assert edit.reason == "Photo shows a greeting" and edit.actor == reviewer
    with pytest.raises(DomainError, match="Write why"):
        review.edit_answer(
            assignment=shop, question_code="smile", value="no", reason=" ", actor=reviewer
        )
    with pytest.raises(ValidationFailed):
        review.edit_answer(
            assignment=shop, question_code="smile", value="perhaps", reason="r", actor=reviewer
        )


def test_return_and_reject_need_words(org, job, ann, reviewer):
    shop = fill(job, ann)
    with pytest.raises(DomainError):
        review.return_shop(assignment=shop, actor=reviewer, comment="  ")
    with pytest.raises(DomainError):
        review.reject_shop(assignment=shop, actor=reviewer, reason="")
    shop = review.reject_shop(assignment=shop, actor=reviewer, reason="Visited the wrong station")
    assert shop.status == S.REJECTED and not Response.objects.get().counted
    assert observed_n(org) == 0
