"""The review of a submitted shop: correct an answer (with a reason, kept in the audit trail;
score and derived values recomputed), return it to the shopper with a comment, approve it (it
counts from then on and its fee becomes payable) or reject it with a reason.

Each decision locks the shop's row for its transaction and moves it with a claim
(Assignment.approve and the others), so of two reviewers acting at once one wins and the other
is told the shop changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.models import User
from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.webhooks.events import SHOP_APPROVED
from cxaudit.webhooks.services import emit
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import (
    count_response,
    reopen_response,
    rewrite_answers,
    stored_raw_answers,
)

from .. import emails
from ..models import REVIEWABLE_STATUSES, Assignment, AssignmentEvent, ShopperProgramme
from ..scheduling.services import log_event, notify_shopper, update_rating

Status = Assignment.Status
MAX_COMMENT = 4000


def _locked(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("organization", "scenario", "location", "shopper", "response__survey")
        .get(pk=assignment.pk)
    )


def _required(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(f"Write {what}.", field="comment")
    return text[:MAX_COMMENT]


def _reviewable(assignment: Assignment, seen_status: str | None) -> None:
    if seen_status is not None and assignment.status != seen_status:
        raise DomainError(
            "This shop was changed by someone else meanwhile "
            f"(it is now {assignment.get_status_display().lower()}); reload the page."
        )
    if assignment.status not in REVIEWABLE_STATUSES:
        raise DomainError(
            f"A shop that is {assignment.get_status_display().lower()} is not under review."
        )


@transaction.atomic
def edit_answer(
    *,
    assignment: Assignment,
    question_code: str,
    value: Any,
    reason: str,
    actor: User,
    seen_status: str | None = None,
) -> Assignment:
    """Correct one answer of a shop under review: the whole form is cleaned again (skip logic
    may show or hide other questions), its answers rewritten and re-scored; the before and
    after values and the reason go to the audit trail. ValidationFailed names the problem."""
    reason = _required(reason, "why the answer is changed")
    assignment = _locked(assignment)
    _reviewable(assignment, seen_status)
    response = assignment.response
    structure = load_structure(response.survey)
    question = structure.questions.get(question_code)
    if question is None:
        raise DomainError("This question is not part of the shop's form.", field="question")
    if question.type == "file":
        raise DomainError("Evidence files cannot be replaced by a reviewer.", field="question")
    raw = stored_raw_answers(response)
    before = raw.get(question_code)
    if value in (None, "", []):
        raw.pop(question_code, None)
    else:
        raw[question_code] = value
    try:
        rewrite_answers(response=response, raw_answers=raw)
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, exc.errors) from None
    after = stored_raw_answers(response).get(question_code)
    if after == before:
        raise DomainError("The answer is unchanged.", field="value")
    log_event(
        assignment,
        actor=actor,
        kind=AssignmentEvent.Kind.EDIT,
        reason=reason,
        question=question_code,
        before=before,
        after=after,
        score=response.score_percent,
    )
    return assignment


@transaction.atomic
def return_shop(
    *, assignment: Assignment, actor: User, comment: str, seen_status: str | None = None
) -> Assignment:
    """Send a shop back to its shopper for edits (comment required): its form becomes a draft
    again holding every answer, and the shopper gets until now + the programme's return days."""
    comment = _required(comment, "what the shopper should correct")
    assignment = _locked(assignment)
    _reviewable(assignment, seen_status)
    now = timezone.now()
    programme = ShopperProgramme.of(assignment.organization)
    before = assignment.status
    assignment.return_for_edits(
        by=actor, at=now, deadline=now + dt.timedelta(days=programme.return_days)
    )
    reopen_response(response=assignment.response)
    event = log_event(assignment, actor=actor, from_status=before, reason=comment, at=now)
    notify_shopper(emails.RETURNED, assignment, f"returned:{event.pk}", comment=comment)
    return assignment


@transaction.atomic
def approve_shop(
    *,
    assignment: Assignment,
    actor: User,
    expense_approved: Decimal | None = None,
    note: str = "",
    seen_status: str | None = None,
) -> Assignment:
    """Approve a shop: from now on it counts in every figure (its response and answers are
    marked counted in this transaction), its fee and refunded expense become payable, the
    shopper's rating is updated and they are told."""
    assignment = _locked(assignment)
    _reviewable(assignment, seen_status)
    if expense_approved is None:
        expense_approved = default_expense(assignment)
    now = timezone.now()
    before = assignment.status
    assignment.approve(by=actor, at=now, expense_approved=expense_approved)
    count_response(response=assignment.response)
    log_event(
        assignment,
        actor=actor,
        from_status=before,
        reason=(note or "").strip()[:MAX_COMMENT],
        at=now,
        expense_approved=str(expense_approved) if expense_approved is not None else None,
    )
    update_rating(organization=assignment.organization, shopper=assignment.shopper)
    emit(
        assignment.organization_id,
        SHOP_APPROVED,
        {
            "shop": {
                "id": assignment.pk,
                "response_id": assignment.response_id,
                "scenario_id": assignment.scenario_id,
                "location_id": assignment.location_id,
                "wave_id": assignment.wave_id,
                "approved_at": now,
                "score_percent": assignment.response.score_percent if assignment.response else None,
            }
        },
    )
    currency = ShopperProgramme.of(assignment.organization).currency
    notify_shopper(
        emails.APPROVED,
        assignment,
        "approved",
        amount=f"{currency} {assignment.payable_amount:.2f}",
    )
    return assignment


@transaction.atomic
def reject_shop(
    *, assignment: Assignment, actor: User, reason: str, seen_status: str | None = None
) -> Assignment:
    """Reject a shop (reason required): it never counts and pays nothing."""
    reason = _required(reason, "why the shop is rejected")
    assignment = _locked(assignment)
    _reviewable(assignment, seen_status)
    now = timezone.now()
    before = assignment.status
    assignment.reject(by=actor, at=now)
    log_event(assignment, actor=actor, from_status=before, reason=reason, at=now)
    update_rating(organization=assignment.organization, shopper=assignment.shopper)
    notify_shopper(emails.REJECTED, assignment, "rejected", reason=reason)
    return assignment


def has_receipt(assignment: Assignment) -> bool:
    code = assignment.scenario.receipt_question
    if not code or assignment.response is None:
        return False
    return bool(stored_raw_answers(assignment.response).get(code))


def default_expense(assignment: Assignment) -> Decimal | None:
    """What is refunded unless the reviewer says otherwise: the claim, up to the cap, when the
    receipt is there; nothing otherwise."""
    claimed = assignment.expense_claimed
    if not claimed or assignment.expense_cap <= 0:
        return None
    if assignment.scenario.receipt_question and not has_receipt(assignment):
        return Decimal("0")
    return min(claimed, assignment.expense_cap)
