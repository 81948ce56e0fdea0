"""The review: a reviewer's edits (whole form cleaned again, skip logic applied, evidence never
replaced, the before and after kept), returning, approving and rejecting (words required, a
stale page told so, two reviewers at once), what counts in the analysis and what does not, the
expense refunded, the rating and the emails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.insights import scorecards
from cxaudit.insights.gaps import analyse_gaps
from shoppers import emails
from shoppers.models import Assignment, AssignmentEvent, Scenario, ShopperProfile
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from surveys.models import Answer, Response
from tests.factories import make_survey
from tests.shoppers.shops import jpeg, queued, race, row, send, take_and_start, upload

pytestmark = pytest.mark.django_db
S = Assignment.Status


@pytest.fixture
def started(job, ann):
    return take_and_start(job, ann)


@pytest.fixture
def sent(started, ann):
    return send(started, ann, {"greet": "no", "smile": "yes"})


def figures(org, wave, location) -> dict[str, int]:
    """How many observations of the shop each analysis counts."""
    observed = sum(
        r.perspectives["observed"].n for r in analyse_gaps(organization=org).rows("standard")
    )
    sums = scorecards.shop_sums(organization=org, waves=[wave]).get((wave.pk, location.pk))
    met = scorecards.standards_met(organization=org, wave=wave, location=location)
    sections = scorecards.section_scores(organization=org, wave=wave, location=location)
    return {
        "gap_observed": observed,
        "league_shops": sums.n if sums else 0,
        "standards_met": sum(r.n for r in met.rows),
        "sections": sum(1 for s in sections if s.location.n),
    }


NOTHING = {"gap_observed": 0, "league_shops": 0, "standards_met": 0, "sections": 0}
ONE = {"gap_observed": 1, "league_shops": 1, "standards_met": 1, "sections": 1}


# -- what counts -----------------------------------------------------------------------------------


def test_only_an_approved_shop_counts_everywhere(org, wave, location, sent, ann, reviewer):
    assert figures(org, wave, location) == NOTHING  # submitted: under review
    shop = review.return_shop(assignment=sent, actor=reviewer, comment="Check the greeting")
    assert figures(org, wave, location) == NOTHING  # returned
    from shoppers.visits import services as visits

    shop = visits.submit_visit(
        assignment=shop, shopper=ann, raw_answers={"greet": "yes", "smile": "yes"}
    )
    assert figures(org, wave, location) == NOTHING  # resubmitted
    shop = review.approve_shop(assignment=shop, actor=reviewer, seen_status=S.RESUBMITTED)
    assert shop.status == S.APPROVED
    response = Response.objects.get(pk=shop.response_id)
    assert response.counted and set(response.answers.values_list("counted", flat=True)) == {True}
    assert figures(org, wave, location) == ONE
    league = scorecards.shop_sums(organization=org, waves=[wave])[(wave.pk, location.pk)]
    assert (league.n, league.total) == (1, 100.0)


def test_a_rejected_shop_never_counts(org, wave, location, sent, reviewer):
    review.reject_shop(assignment=sent, actor=reviewer, reason="Wrong station")
    assert figures(org, wave, location) == NOTHING
    response = Response.objects.get(pk=sent.response_id)
    assert not response.counted and not response.answers.filter(counted=True).exists()


def test_approving_without_a_score_changes_nothing(org, wave, location, sent, reviewer):
    Response.objects.filter(pk=sent.response_id).update(score_percent=None)
    with pytest.raises(DomainError, match="no score"):
        review.approve_shop(assignment=sent, actor=reviewer)
    assert row(sent)["status"] == S.SUBMITTED
    assert not Response.objects.get(pk=sent.response_id).counted
    assert figures(org, wave, location) == NOTHING and not queued(emails.APPROVED)


# -- deciding --------------------------------------------------------------------------------------


def test_return_and_reject_need_words_and_a_current_page(sent, reviewer):
    for blank in ("", "  \n "):
        with pytest.raises(DomainError, match="Write what the shopper should correct") as exc:
            review.return_shop(assignment=sent, actor=reviewer, comment=blank)
        assert exc.value.field == "comment"
        with pytest.raises(DomainError, match="Write why the shop is rejected"):
            review.reject_shop(assignment=sent, actor=reviewer, reason=blank)
    with pytest.raises(DomainError, match=r"changed by someone else.*now submitted"):
        review.approve_shop(assignment=sent, actor=reviewer, seen_status=S.RESUBMITTED)
    assert row(sent)["status"] == S.SUBMITTED and not queued(emails.RETURNED)


def test_a_shop_not_under_review_is_not_decided(started, reviewer):
    for call in (
        lambda: review.approve_shop(assignment=started, actor=reviewer),
        lambda: review.reject_shop(assignment=started, actor=reviewer, reason="r"),
        lambda: review.return_shop(assignment=started, actor=reviewer, comment="c"),
        lambda: review.edit_answer(
            assignment=started, question_code="greet", value="no", reason="r", actor=reviewer
        ),
    ):
        with pytest.raises(DomainError, match="in progress is not under review"):
            call()


def test_each_decision_is_audited_and_emailed_once(org, sent, ann, reviewer):
    shop = review.return_shop(assignment=sent, actor=reviewer, comment="  The desk?  ")
    first = AssignmentEvent.objects.filter(to_status=S.RETURNED).get()
    assert (first.actor, first.from_status, first.reason) == (reviewer, S.SUBMITTED, "The desk?")
    from shoppers.visits import services as visits

    shop = visits.submit_visit(
        assignment=shop, shopper=ann, raw_answers={"greet": "no", "smile": "no"}
    )
    shop = review.return_shop(assignment=shop, actor=reviewer, comment="And the smile?")
    second = AssignmentEvent.objects.filter(to_status=S.RETURNED).last()
    shop = visits.submit_visit(
        assignment=shop, shopper=ann, raw_answers={"greet": "no", "smile": "yes"}
    )
    shop = review.reject_shop(assignment=shop, actor=reviewer, reason="Made up")
    assert shop.returns == 2 and shop.outcome_points == 1
    assert queued() == [
        (emails.CONFIRMED, queued()[0][1], ann.email),
        (emails.RETURNED, f"assignment:{shop.pk}:returned:{first.pk}", ann.email),
        (emails.RETURNED, f"assignment:{shop.pk}:returned:{second.pk}", ann.email),
        (emails.REJECTED, f"assignment:{shop.pk}:rejected", ann.email),
    ]
    from cxaudit.messaging.models import Message

    assert Message.objects.get(purpose=emails.REJECTED).context["reason"] == "Made up"
    assert Message.objects.filter(purpose=emails.RETURNED).first().context["comment"] == (
        "And the smile?"
    )
    with pytest.raises(DomainError):
        review.reject_shop(assignment=shop, actor=reviewer, reason="again")
    assert len(queued()) == 4


def test_the_rating_follows_the_decisions(org, job, new_second_job, ann, reviewer):
    shop = send(take_and_start(job, ann), ann)
    review.approve_shop(assignment=shop, actor=reviewer)
    assert ShopperProfile.objects.get(user=ann).rating == Decimal("5.00")
    other = send(take_and_start(new_second_job, ann), ann)
    review.reject_shop(assignment=other, actor=reviewer, reason="no")
    stored = ShopperProfile.objects.get(user=ann)
    assert (stored.rating, stored.rated_shops) == (Decimal("3.00"), 2)


@pytest.fixture
def new_second_job(org, scenario, second_location, wave, window, program_admin):
    return scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=second_location,
        wave=wave,
        window_start=window[0],
        window_end=window[1],
        actor=program_admin,
    )


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_at_once_one_wins(job, ann, reviewer, program_admin):
    shop = send(take_and_start(job, ann), ann)
    results = race(
        lambda: review.approve_shop(assignment=shop, actor=reviewer, seen_status=S.SUBMITTED),
        lambda: review.return_shop(
            assignment=shop, actor=program_admin, comment="fix", seen_status=S.SUBMITTED
        ),
    )
    won = [r for r in results if isinstance(r, Assignment)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], DomainError) and "changed by someone else" in lost[0].message
    stored = Assignment.objects.get(pk=shop.pk)
    response = Response.objects.get(pk=shop.response_id)
    decided = [p for p, _, _ in queued() if p != emails.CONFIRMED]
    if stored.status == S.APPROVED:
        assert response.counted and decided == [emails.APPROVED]
    else:
        assert stored.status == S.RETURNED and decided == [emails.RETURNED]
        assert not response.counted and response.status == Response.Status.DRAFT
    assert AssignmentEvent.objects.filter(from_status=S.SUBMITTED).count() == 1


# -- expenses --------------------------------------------------------------------------------------


def claim(started, ann, amount, *, receipt=True):
    raw = {"greet": "yes", "smile": "yes"}
    if receipt:
        photo = upload(started.response, "receipt", jpeg(colour="orange"))
        raw["receipt"] = str(photo.key)
    return send(started, ann, raw, expense=amount)


@pytest.mark.parametrize(
    ("amount", "receipt", "refunded"),
    [
        (None, True, None),
        (Decimal("0"), True, None),
        (Decimal("4.50"), True, Decimal("4.50")),
        (Decimal("10.00"), True, Decimal("10.00")),
        (Decimal("15.00"), True, Decimal("10.00")),  # the cap
        (Decimal("4.50"), False, Decimal("0")),  # a receipt is asked for and missing
    ],
)
def test_the_default_expense(started, ann, reviewer, amount, receipt, refunded):
    shop = claim(started, ann, amount, receipt=receipt)
    shop = Assignment.objects.select_related("scenario", "response").get(pk=shop.pk)
    assert review.has_receipt(shop) is receipt
    assert review.default_expense(shop) == refunded
    shop = review.approve_shop(assignment=shop, actor=reviewer)
    assert shop.expense_approved == refunded
    assert shop.payable_amount == Decimal("25.00") + (refunded or 0)
    message = queued(emails.APPROVED)
    assert len(message) == 1
    from cxaudit.messaging.models import Message

    assert Message.objects.get(purpose=emails.APPROVED).context["amount"] == (
        f"GBP {shop.payable_amount:.2f}"
    )


def test_no_receipt_asked_or_no_cap(started, ann, scenario):
    Scenario.objects.filter(pk=scenario.pk).update(receipt_question="")
    shop = claim(started, ann, Decimal("12.00"), receipt=False)
    shop = Assignment.objects.select_related("scenario", "response").get(pk=shop.pk)
    assert review.has_receipt(shop) is False
    assert review.default_expense(shop) == Decimal("10.00")
    shop.expense_cap = Decimal("0")
    assert review.default_expense(shop) is None


def test_the_reviewer_decides_the_refund_within_the_cap(started, ann, reviewer):
    shop = claim(started, ann, Decimal("8.00"))
    with pytest.raises(DomainError, match=r"between 0 and the cap of 10\.00") as exc:
        review.approve_shop(assignment=shop, actor=reviewer, expense_approved=Decimal("10.50"))
    assert exc.value.field == "expense_approved"
    assert row(shop)["status"] == S.SUBMITTED
    assert not Response.objects.get(pk=shop.response_id).counted
    shop = review.approve_shop(
        assignment=shop, actor=reviewer, expense_approved=Decimal("3.00"), note=" ok "
    )
    assert shop.expense_approved == Decimal("3.00")
    event = AssignmentEvent.objects.get(to_status=S.APPROVED)
    assert event.details == {"expense_approved": "3.00"} and event.reason == "ok"


# -- a reviewer's edits ----------------------------------------------------------------------------


@pytest.fixture
def skip_scenario(org, std, scenario):
    form = make_survey(
        org,
        [
            {
                "title": "Desk",
                "questions": [
                    {"code": "greet", "type": "yes_no", "standard": std, "points": 1},
                    {
                        "code": "help",
                        "type": "yes_no",
                        "points": 1,
                        "required": True,
                        "show_if": {"question": "greet", "operator": "equals", "value": True},
                    },
                    {"code": "smile", "type": "yes_no", "points": 1},
                    {"code": "photo", "type": "file", "points": 0, "required": False},
                    {"code": "story", "type": "long_text", "points": 0, "required": False},
                ],
            }
        ],
        code="skip",
    )
    return Scenario.objects.create(
        organization=org,
        touchpoint=scenario.touchpoint,
        title="With skip logic",
        brief="b",
        survey=form,
        fee=Decimal("20"),
    )


@pytest.fixture
def edited_shop(org, skip_scenario, location, wave, window, program_admin, ann):
    shop = scheduling.create_assignment(
        organization=org,
        scenario=skip_scenario,
        location=location,
        wave=wave,
        window_start=window[0],
        window_end=window[1],
        actor=program_admin,
    )
    shop = take_and_start(shop, ann)
    photo = upload(shop.response, "photo", jpeg(colour="white"))
    raw = {"greet": "yes", "help": "yes", "smile": "no", "photo": str(photo.key), "story": "ok"}
    shop = send(shop, ann, raw)
    assert Response.objects.get(pk=shop.response_id).score_percent == pytest.approx(200 / 3)
    return shop


def answers(shop) -> dict:
    return dict(
        Answer.objects.filter(response_id=shop.response_id).values_list("question__code", "value")
    )


def test_an_edit_applies_skip_logic_rescores_and_keeps_before_and_after(edited_shop, reviewer):
    review.edit_answer(
        assignment=edited_shop,
        question_code="greet",
        value="no",
        reason="The video shows no greeting",
        actor=reviewer,
        seen_status=S.SUBMITTED,
    )
    got = answers(edited_shop)
    assert "help" not in got  # hidden now that greet is no
    assert got["greet"] is False and got["smile"] is False and got["story"] == "ok"
    response = Response.objects.get(pk=edited_shop.response_id)
    assert response.score_percent == 0.0 and not response.counted  # 0 of 2
    assert Answer.objects.get(response=response, question__code="greet").agrees is False
    event = AssignmentEvent.objects.get(kind="edit")
    assert event.actor == reviewer and event.reason == "The video shows no greeting"
    assert event.details == {"question": "greet", "before": True, "after": False, "score": 0.0}
    assert not event.shopper_visible
    assert row(edited_shop)["status"] == S.SUBMITTED

    # showing the hidden question again needs its answer: refused, nothing changes
    with pytest.raises(ValidationFailed) as exc:
        review.edit_answer(
            assignment=edited_shop, question_code="greet", value="yes", reason="r", actor=reviewer
        )
    assert [code for code, _ in exc.value.errors] == ["help"]
    assert answers(edited_shop) == got and AssignmentEvent.objects.filter(kind="edit").count() == 1


def test_an_edit_that_changes_nothing_or_touches_evidence_is_refused(edited_shop, reviewer):
    before = answers(edited_shop)

    def edit(code, value, reason="because", **kw):
        return review.edit_answer(
            assignment=edited_shop,
            question_code=code,
            value=value,
            reason=reason,
            actor=reviewer,
            **kw,
        )

    with pytest.raises(DomainError, match="unchanged") as exc:
        edit("smile", "no")
    assert exc.value.field == "value"
    with pytest.raises(DomainError, match="Evidence files cannot be replaced"):
        edit("photo", "")
    with pytest.raises(DomainError, match="not part of the shop's form") as exc:
        edit("nope", "yes")
    assert exc.value.field == "question"
    with pytest.raises(DomainError, match="Write why the answer is changed"):
        edit("smile", "yes", reason="   ")
    with pytest.raises(ValidationFailed):
        edit("smile", "perhaps")
    with pytest.raises(DomainError, match="changed by someone else"):
        edit("smile", "yes", seen_status=S.RESUBMITTED)
    assert answers(edited_shop) == before
    assert not AssignmentEvent.objects.filter(kind="edit").exists()
    # clearing an optional answer is an edit
    edit("story", "")
    assert "story" not in answers(edited_shop)
    event = AssignmentEvent.objects.get(kind="edit")
    assert (event.details["before"], event.details["after"]) == ("ok", None)


def test_a_returned_shop_is_the_shopper_s_to_edit(edited_shop, reviewer):
    review.return_shop(assignment=edited_shop, actor=reviewer, comment="c")
    with pytest.raises(DomainError, match="returned for edits is not under review"):
        review.edit_answer(
            assignment=edited_shop, question_code="smile", value="yes", reason="r", actor=reviewer
        )


def test_a_late_shop_returned_gets_days_to_correct(sent, reviewer, programme):
    programme.return_days = 5
    programme.save()
    now = timezone.now()
    Assignment.objects.filter(pk=sent.pk).update(
        window_start=now - dt.timedelta(days=3),
        window_end=now - dt.timedelta(days=2),
        deadline=now - dt.timedelta(days=1),
    )
    shop = review.return_shop(assignment=sent, actor=reviewer, comment="c")
    expected = now + dt.timedelta(days=5)
    assert abs(shop.deadline - expected) < dt.timedelta(minutes=1)
    assert Assignment.objects.get(pk=sent.pk).deadline == shop.deadline
