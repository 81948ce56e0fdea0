"""The visit: starting it (window, deadline, lockout at that moment, one draft per shop),
recording when it took place, and sending the form (once, before the deadline, keeping what
was typed when refused; a resubmission after a return keeps the evidence)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from shoppers.models import Assignment, AssignmentEvent
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from surveys.models import Answer, Evidence, Response, Source, Survey
from tests.shoppers.shops import jpeg, make_shop, race, row, send, take_and_start, upload

pytestmark = pytest.mark.django_db
S = Assignment.Status
ANSWERS = {"greet": "yes", "smile": "no"}


@pytest.fixture
def taken(job, ann):
    return scheduling.self_assign(assignment=job, shopper=ann)


# -- starting --------------------------------------------------------------------------------------


def test_starting_makes_one_uncounted_draft_and_a_replay_makes_no_other(taken, ann, location):
    shop = visits.start_visit(assignment=taken, shopper=ann)
    assert shop.status == S.IN_PROGRESS and shop.started_at is not None
    response = Response.objects.get()
    assert shop.response_id == response.pk and response.status == Response.Status.DRAFT
    assert not response.counted and response.source == Source.SHOPPER
    assert (response.respondent, response.location, response.wave_id) == (
        ann,
        location,
        taken.wave_id,
    )
    assert response.client_id == visits.visit_client_id(taken)
    again = visits.start_visit(assignment=taken, shopper=ann)
    assert again.response_id == response.pk and Response.objects.count() == 1
    assert AssignmentEvent.objects.filter(to_status=S.IN_PROGRESS).count() == 1


def test_starting_before_the_window_or_by_someone_else_is_refused(taken, ann, bob, reviewer):
    with pytest.raises(DomainError, match="not opened yet"):
        visits.start_visit(
            assignment=taken, shopper=ann, at=taken.window_start - dt.timedelta(minutes=1)
        )
    with pytest.raises(DomainError, match="deadline"):
        visits.start_visit(assignment=taken, shopper=ann, at=taken.deadline + dt.timedelta(1))
    with pytest.raises(InvalidTransition, match="another shopper"):
        visits.start_visit(assignment=taken, shopper=bob)
    with pytest.raises(DomainError, match="not a shopper"):
        visits.start_visit(assignment=taken, shopper=reviewer)
    assert row(taken)["status"] == S.ASSIGNED and not Response.objects.exists()


def test_starting_with_no_published_form_is_refused(taken, ann, visit_form):
    Survey.objects.filter(pk=visit_form.pk).update(status=Survey.Status.ARCHIVED)
    with pytest.raises(DomainError, match="not published"):
        visits.start_visit(assignment=taken, shopper=ann)
    assert row(taken)["status"] == S.ASSIGNED


def test_a_new_form_version_is_used_from_the_next_start(taken, ann, visit_form):
    Survey.objects.filter(pk=visit_form.pk).update(status=Survey.Status.ARCHIVED)
    v2 = Survey.objects.create(
        organization=visit_form.organization,
        code=visit_form.code,
        version=2,
        title="v2",
        kind=visit_form.kind,
        status=Survey.Status.PUBLISHED,
    )
    shop = visits.start_visit(assignment=taken, shopper=ann)
    assert shop.response.survey_id == v2.pk


def test_the_lockout_is_checked_at_the_moment_the_visit_starts(
    org, taken, ann, scenario, location, wave
):
    now = timezone.now()
    # ann shopped this location 25 days ago: the next visit may start 30 days after that
    make_shop(
        S.APPROVED,
        scenario=scenario,
        location=location,
        wave=wave,
        shopper=ann,
        window=(now - dt.timedelta(days=26), now - dt.timedelta(days=24)),
        visited_at=now - dt.timedelta(days=25),
    )
    with pytest.raises(DomainError, match="less than 30 days from your other shop") as exc:
        visits.start_visit(assignment=taken, shopper=ann, at=now)
    free = now + dt.timedelta(days=5)
    assert f"you can visit from {timezone.localtime(free):%d %b %Y %H:%M}" in exc.value.message
    assert row(taken)["status"] == S.ASSIGNED
    shop = visits.start_visit(assignment=taken, shopper=ann, at=free)  # exactly 30 days on
    assert shop.status == S.IN_PROGRESS


# -- the visit's details ---------------------------------------------------------------------------


@pytest.fixture
def started(taken, ann):
    return visits.start_visit(assignment=taken, shopper=ann)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"visited_at": dt.timedelta(minutes=6)}, "visited_at", "future"),
        ({"visited_at": -dt.timedelta(days=2, minutes=1)}, "visited_at", "before this shop"),
        ({"visit_minutes": 0}, "visit_minutes", "1 to 1440"),
        ({"visit_minutes": 1441}, "visit_minutes", "1 to 1440"),
        ({"expense_claimed": Decimal("-0.01")}, "expense_claimed", "0 or more"),
        ({"expense_claimed": Decimal("100000")}, "expense_claimed", "0 or more"),
        ({"expense_claimed": Decimal("NaN")}, "expense_claimed", "0 or more"),
        ({"expense_claimed": Decimal("Infinity")}, "expense_claimed", "0 or more"),
    ],
)
def test_record_visit_refuses_what_cannot_be(started, ann, change, field, message):
    values = {"visited_at": timezone.now(), "visit_minutes": 10, "expense_claimed": None}
    for name, value in change.items():
        values[name] = timezone.now() + value if name == "visited_at" else value
    before = row(started)
    with pytest.raises(DomainError, match=message) as exc:
        visits.record_visit(assignment=started, shopper=ann, **values)
    assert exc.value.field == field
    assert row(started) == before


def test_record_visit_keeps_the_details_and_audits_them(started, ann, bob):
    # the window opened yesterday; a time a little before it is accepted (and flagged later)
    visited = started.window_start - dt.timedelta(hours=20)
    for minutes in (1, 1440):
        visits.record_visit(
            assignment=started,
            shopper=ann,
            visited_at=visited,
            visit_minutes=minutes,
            expense_claimed=Decimal("4.50"),
        )
    stored = Assignment.objects.get(pk=started.pk)
    assert (stored.visited_at, stored.visit_minutes, stored.expense_claimed) == (
        visited,
        1440,
        Decimal("4.50"),
    )
    event = AssignmentEvent.objects.filter(kind="visit").last()
    assert event.actor == ann and event.details == {
        "visited_at": visited.isoformat(),
        "visit_minutes": 1440,
        "expense_claimed": "4.50",
    }
    near_future = timezone.now() + dt.timedelta(minutes=4)  # a phone's clock a little ahead
    visits.record_visit(assignment=started, shopper=ann, visited_at=near_future, visit_minutes=5)
    with pytest.raises(InvalidTransition):
        visits.record_visit(assignment=started, shopper=bob, visited_at=visited, visit_minutes=5)


def test_record_visit_only_before_sending(started, ann):
    shop = send(started, ann, ANSWERS)
    with pytest.raises(DomainError, match="only before the shop is sent"):
        visits.record_visit(
            assignment=shop, shopper=ann, visited_at=timezone.now(), visit_minutes=3
        )


# -- sending ---------------------------------------------------------------------------------------


def test_sending_without_the_visit_details_keeps_the_typing(started, ann):
    with pytest.raises(DomainError, match="Record when the visit took place"):
        visits.submit_visit(assignment=started, shopper=ann, raw_answers={"greet": "yes"})
    assert Response.objects.get().draft == {"greet": "yes"}
    assert row(started)["status"] == S.IN_PROGRESS


def test_sending_before_starting_or_by_another_or_when_cancelled(
    taken, started, ann, bob, program_admin
):
    with pytest.raises(InvalidTransition):
        visits.submit_visit(assignment=started, shopper=bob, raw_answers=ANSWERS)
    visits.record_visit(assignment=started, shopper=ann, visited_at=timezone.now(), visit_minutes=4)
    scheduling.cancel(assignment=started, actor=program_admin, reason="closed")
    with pytest.raises(DomainError, match="cancelled cannot be sent"):
        visits.submit_visit(assignment=started, shopper=ann, raw_answers=ANSWERS)
    assert Response.objects.get().status == Response.Status.DRAFT


def test_sending_twice_keeps_one_response_and_the_first_answers(started, ann):
    shop = send(started, ann, ANSWERS)
    again = visits.submit_visit(assignment=shop, shopper=ann, raw_answers={"greet": "no"})
    assert again.status == S.SUBMITTED and Response.objects.count() == 1
    assert Answer.objects.get(question__code="greet").value is True
    assert AssignmentEvent.objects.filter(to_status=S.SUBMITTED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_sending_twice_at_once_submits_once(job, ann):
    shop = take_and_start(job, ann)
    visits.record_visit(assignment=shop, shopper=ann, visited_at=timezone.now(), visit_minutes=9)

    def submit():
        return visits.submit_visit(assignment=shop, shopper=ann, raw_answers=ANSWERS)

    results = race(submit, submit)
    assert all(isinstance(r, Assignment) for r in results), results
    assert {r.status for r in results} == {S.SUBMITTED}
    assert Response.objects.get().status == Response.Status.SUBMITTED
    assert Answer.objects.count() == 2
    assert AssignmentEvent.objects.filter(to_status=S.SUBMITTED).count() == 1


def test_sending_after_the_deadline_is_refused_and_keeps_the_typing(started, ann):
    visits.record_visit(assignment=started, shopper=ann, visited_at=timezone.now(), visit_minutes=5)
    late = started.deadline + dt.timedelta(seconds=1)
    with pytest.raises(DomainError, match="deadline of this shop has passed"):
        visits.submit_visit(assignment=started, shopper=ann, raw_answers={"smile": "yes"}, at=late)
    assert Response.objects.get().draft == {"smile": "yes"}
    assert row(started)["status"] == S.IN_PROGRESS
    # at the deadline itself it goes through
    shop = visits.submit_visit(
        assignment=started, shopper=ann, raw_answers=ANSWERS, at=started.deadline
    )
    assert shop.status == S.SUBMITTED and shop.submitted_at == started.deadline


def test_a_file_answer_must_name_this_shop_s_own_evidence(
    org, started, ann, bob, scenario, second_location, wave
):
    theirs = make_shop(
        S.IN_PROGRESS, scenario=scenario, location=second_location, wave=wave, shopper=bob
    )
    foreign = upload(theirs.response, "receipt", jpeg(colour="red"))
    visits.record_visit(assignment=started, shopper=ann, visited_at=timezone.now(), visit_minutes=5)
    with pytest.raises(ValidationFailed) as exc:
        visits.submit_visit(
            assignment=started, shopper=ann, raw_answers={**ANSWERS, "receipt": str(foreign.key)}
        )
    assert [code for code, _ in exc.value.errors] == ["receipt"]
    assert row(started)["status"] == S.IN_PROGRESS


def test_a_resubmission_after_a_return_keeps_the_evidence(started, ann, reviewer):
    photo = upload(started.response, "receipt", jpeg(colour="purple"))
    raw = {**ANSWERS, "receipt": str(photo.key), "story": "All fine."}
    shop = send(started, ann, raw)
    assert shop.first_submitted_at == shop.submitted_at

    shop = review.return_shop(assignment=shop, actor=reviewer, comment="Was the smile real?")
    response = Response.objects.get(pk=shop.response_id)
    assert response.status == Response.Status.DRAFT
    assert response.draft == {
        "greet": True,
        "smile": False,
        "receipt": str(photo.key),
        "story": "All fine.",
    }
    assert Evidence.objects.filter(pk=photo.pk, response=response).exists()
    assert shop.deadline >= timezone.now() + dt.timedelta(days=3) - dt.timedelta(minutes=1)

    # the shopper corrects one answer; the photo is still theirs to send
    fixed = {**response.draft, "smile": "yes"}
    shop = visits.submit_visit(assignment=shop, shopper=ann, raw_answers=fixed)
    assert shop.status == S.RESUBMITTED and shop.submitted_at > shop.first_submitted_at
    stored = {a.question.code: a.value for a in Answer.objects.select_related("question")}
    assert stored == {"greet": True, "smile": True, "receipt": str(photo.key), "story": "All fine."}
    assert Evidence.objects.filter(response=response).count() == 1
    assert Response.objects.get(pk=response.pk).score_percent == 100.0


def test_a_returned_shop_may_be_sent_until_its_new_deadline(started, ann, reviewer):
    shop = send(started, ann, ANSWERS)
    shop = review.return_shop(assignment=shop, actor=reviewer, comment="again")
    with pytest.raises(DomainError, match="deadline"):
        visits.submit_visit(
            assignment=shop,
            shopper=ann,
            raw_answers=ANSWERS,
            at=shop.deadline + dt.timedelta(seconds=1),
        )
    assert row(shop)["status"] == S.RETURNED
