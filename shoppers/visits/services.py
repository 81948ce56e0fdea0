"""The visit: the shopper starts it (the visit form's draft is made then, on the version of the
form published at that moment, and does not count until a reviewer approves it), records when
it took place, fills the form in the form engine and submits it before the deadline."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.models import User
from cxaudit.errors import DomainError
from surveys.models import Response, Source
from surveys.responses.services import (
    check_form_submission,
    save_form_draft,
    start_response,
    submit_response,
)

from ..models import REVIEWABLE_STATUSES, Assignment, AssignmentEvent, ShopperProgramme
from ..review.integrity import assess
from ..scheduling import facts as facts_mod
from ..scheduling.rules import visit_lockout_problem
from ..scheduling.services import log_event, shopper_profile

Status = Assignment.Status
NAMESPACE = uuid.UUID("6f1d3c2e-8a47-4b0e-9c55-1f2a7e6b9d01")


def visit_client_id(assignment: Assignment) -> uuid.UUID:
    """The visit form's client id, fixed per shop: a replayed start makes no second draft."""
    return uuid.uuid5(NAMESPACE, f"assignment:{assignment.pk}")


def _locked(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("organization", "scenario__survey", "location", "wave", "response")
        .get(pk=assignment.pk)
    )


@transaction.atomic
def start_visit(*, assignment: Assignment, shopper: User, at: dt.datetime | None = None):
    """assigned -> in progress: timestamp the visit's start and make the visit form's draft
    (uncounted). Refused before the window opens, after the deadline, and within the lockout
    of the shopper's other shops at the location."""
    at = at or timezone.now()
    shopper_profile(assignment.organization, shopper, lock=True)
    assignment = _locked(assignment)
    if assignment.status == Status.IN_PROGRESS and assignment.shopper_id == shopper.pk:
        return assignment  # a replay
    programme = ShopperProgramme.of(assignment.organization)
    held = facts_mod.held_shops(
        organization=assignment.organization,
        user_ids=[shopper.pk],
        location_ids=[assignment.location_id],
    ).get(shopper.pk, [])
    problem = visit_lockout_problem(
        location_id=assignment.location_id,
        at=at,
        held=held,
        lockout_days=programme.lockout_days,
        exclude_id=assignment.pk,
    )
    if problem:
        raise DomainError(f"The visit cannot start now: {problem}.")
    survey = assignment.scenario.current_survey()
    if survey is None:
        raise DomainError("The visit form is not published; ask the programme team.")
    before = assignment.status
    assignment.start(by=shopper, at=at)
    response = start_response(
        survey=survey,
        source=Source.SHOPPER,
        respondent=shopper,
        location=assignment.location,
        wave=assignment.wave,
        client_id=visit_client_id(assignment),
        counted=False,
    )
    assignment.attach_response(response)
    log_event(assignment, actor=shopper, from_status=before, at=at)
    return assignment


@transaction.atomic
def record_visit(
    *,
    assignment: Assignment,
    shopper: User,
    visited_at: dt.datetime,
    visit_minutes: int,
    expense_claimed: Decimal | None = None,
) -> Assignment:
    """The shopper says when the visit took place, how long it lasted and what it cost. A time
    outside the window is accepted (it is flagged for the reviewer); one in the future is not."""
    assignment = _locked(assignment)
    assignment._check_shopper(shopper)
    if assignment.status not in (Status.IN_PROGRESS, Status.RETURNED):
        raise DomainError("The visit details can be changed only before the shop is sent.")
    now = timezone.now()
    if visited_at > now + dt.timedelta(minutes=5):
        raise DomainError("The visit cannot be in the future.", field="visited_at")
    if assignment.started_at and visited_at < assignment.window_start - dt.timedelta(days=1):
        raise DomainError(
            "That is before this shop's visit window; check the date.", field="visited_at"
        )
    if not 1 <= visit_minutes <= 24 * 60:
        raise DomainError("Give the visit's length in minutes (1 to 1440).", field="visit_minutes")
    if expense_claimed is not None and not (
        expense_claimed.is_finite() and Decimal("0") <= expense_claimed <= Decimal("99999")
    ):
        raise DomainError("The expense must be an amount of 0 or more.", field="expense_claimed")
    fields = {
        "visited_at": visited_at,
        "visit_minutes": visit_minutes,
        "expense_claimed": expense_claimed,
    }
    updated = Assignment.objects.filter(
        pk=assignment.pk, status=assignment.status, shopper=shopper
    ).update(**fields, updated_at=now)
    if not updated:
        raise DomainError("This shop was changed meanwhile; reload the page.")
    for name, value in fields.items():
        setattr(assignment, name, value)
    log_event(
        assignment,
        actor=shopper,
        kind=AssignmentEvent.Kind.VISIT,
        visited_at=visited_at.isoformat(),
        visit_minutes=visit_minutes,
        expense_claimed=str(expense_claimed) if expense_claimed is not None else None,
    )
    return assignment


def submit_visit(
    *,
    assignment: Assignment,
    shopper: User,
    raw_answers: Mapping[str, Any],
    at: dt.datetime | None = None,
) -> Assignment:
    """Send the shop for review: the visit form is checked (problems keep what was typed in
    the draft and raise ValidationFailed), then, in one transaction, the shop moves to
    submitted (or resubmitted), the form is submitted and the integrity checks run. A replay
    after success returns the shop as it is."""
    at = at or timezone.now()
    current = Assignment.objects.select_related("response").get(pk=assignment.pk)
    current._check_shopper(shopper)
    response = current.response
    if response is None:
        raise DomainError("Start the visit before filling in its form.")
    if response.status == Response.Status.SUBMITTED and current.status not in (
        Status.IN_PROGRESS,
        Status.RETURNED,
    ):
        return current  # a replay of a submission that went through
    if current.status not in (Status.IN_PROGRESS, Status.RETURNED):
        raise DomainError(f"A shop that is {current.get_status_display().lower()} cannot be sent.")
    if at > current.deadline or current.visited_at is None:
        save_form_draft(response=response, raw_answers=raw_answers)  # keep what was typed
        current.submit(by=shopper, at=at)  # raises the reason
    structure = check_form_submission(response=response, raw_answers=raw_answers)
    with transaction.atomic():
        locked = _locked(current)
        if locked.status in REVIEWABLE_STATUSES:
            # The same submission sent twice at once: the other one went through meanwhile
            # (the row lock waited for it; the response joined to it was read before that).
            locked.response.refresh_from_db()
            return locked
        before = locked.status
        locked.submit(by=shopper, at=at)
        submit_response(
            response=locked.response,
            raw_answers=dict(raw_answers),
            submitted_at=at,
            structure=structure,
        )
        locked.response.refresh_from_db()
        report = assess(locked, at=at)
        Assignment.objects.filter(pk=locked.pk).update(
            integrity_score=report.score, integrity_flags=report.flags_json()
        )
        locked.integrity_score, locked.integrity_flags = report.score, report.flags_json()
        log_event(locked, actor=shopper, from_status=before, at=at)
    return locked
