"""The panel: signing up (a new account; a known email gets an email instead of an account; a
member of another programme; staff of the same organisation refused; a closed programme),
staff deciding applications with claims, the shopper's own profile, exclusions, and the
certification quizzes (attempts, pass mark, replays)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.accounts.models import Membership, Organization, Role, User
from cxaudit.errors import DomainError, ValidationFailed
from shoppers import emails
from shoppers.models import Certification, ShopperProfile
from shoppers.panel import services as panel
from shoppers.scheduling import services as scheduling
from surveys.models import Response, Survey
from tests.conftest import PASSWORD
from tests.factories import make_survey
from tests.shoppers.conftest import add_shopper
from tests.shoppers.shops import queued

pytestmark = pytest.mark.django_db
P = ShopperProfile.Status
DETAILS = {
    "home_region": "North",
    "languages": ["EN", " fr ", "en", ""],
    "phone": "0161 000",
    "age_band": "25-34",
    "gender": "woman",
    # not the applicant's to set:
    "status": "active",
    "rating": Decimal("5"),
}


# -- signing up ------------------------------------------------------------------------------


def test_a_new_account_waits_for_approval(org):
    profile = panel.apply_with_new_account(
        organization=org,
        email="  New.Shopper@Example.TEST ",
        full_name="  Nia Shopper ",
        password=PASSWORD,
        details=DETAILS,
    )
    user = User.objects.get(email="new.shopper@example.test")
    assert user.check_password(PASSWORD) and user.full_name == "Nia Shopper"
    assert Membership.objects.get(user=user, organization=org).role == Role.SHOPPER
    assert profile.user == user and profile.status == P.PENDING
    assert profile.terms_accepted_at is not None and profile.rating is None
    assert (profile.home_region, profile.languages, profile.age_band, profile.gender) == (
        "North",
        ["en", "fr"],
        "25-34",
        "woman",
    )
    assert queued() == []  # nothing until staff approve


def test_a_known_email_makes_no_account_and_is_told_once_a_day(org, reviewer, monkeypatch):
    for email in ("REVIEWER@acme.test", " reviewer@acme.test"):
        assert (
            panel.apply_with_new_account(
                organization=org,
                email=email,
                full_name="Someone",
                password="whatever-123-xyz",
                details=DETAILS,
            )
            is None
        )
    assert User.objects.filter(email__iexact="reviewer@acme.test").count() == 1
    assert not ShopperProfile.objects.exists()
    assert User.objects.get(pk=reviewer.pk).check_password(PASSWORD)  # untouched
    today = timezone.localdate()
    key = f"signup-known:{org.pk}:{reviewer.pk}:{today.isoformat()}"
    assert queued() == [(emails.ALREADY_REGISTERED, key, reviewer.email)]
    monkeypatch.setattr(timezone, "localdate", lambda *a: today + dt.timedelta(days=1))
    panel.apply_with_new_account(
        organization=org, email="reviewer@acme.test", full_name="x", password="p", details={}
    )
    assert len(queued(emails.ALREADY_REGISTERED)) == 2


def test_a_closed_programme_takes_nobody(org, programme, outsider):
    programme.accepting_applications = False
    programme.save()
    with pytest.raises(DomainError, match="not taking new shoppers"):
        panel.apply_with_new_account(
            organization=org, email="x@y.test", full_name="x", password=PASSWORD, details={}
        )
    with pytest.raises(DomainError, match="not taking new shoppers"):
        panel.apply_as_member(organization=org, user=outsider, details={})
    programme.accepting_applications = True
    programme.save()
    Organization.objects.filter(pk=org.pk).update(is_active=False)
    with pytest.raises(DomainError, match="not taking new shoppers"):
        panel.apply_with_new_account(
            organization=Organization.objects.get(pk=org.pk),
            email="x@y.test",
            full_name="x",
            password=PASSWORD,
            details={},
        )
    assert not User.objects.filter(email="x@y.test").exists()
    assert not ShopperProfile.objects.exists() and not queued()


def test_a_member_of_another_programme_applies_while_logged_in(org, other_org):
    theirs = add_shopper(other_org, "roamer@shoppers.test")
    profile = panel.apply_as_member(organization=org, user=theirs, details=DETAILS)
    assert profile.status == P.PENDING and profile.languages == ["en", "fr"]
    assert Membership.objects.get(user=theirs, organization=org).role == Role.SHOPPER
    assert panel.apply_as_member(organization=org, user=theirs, details={}).pk == profile.pk
    assert ShopperProfile.objects.filter(user=theirs).count() == 2  # one per programme


def test_staff_of_the_same_organisation_cannot_be_its_shoppers(org, reviewer, program_admin):
    for staff in (reviewer, program_admin):
        with pytest.raises(DomainError, match="staff cannot also be shoppers"):
            panel.apply_as_member(organization=org, user=staff, details=DETAILS)
    assert not ShopperProfile.objects.exists()
    assert Membership.objects.filter(role=Role.SHOPPER).count() == 0


def test_a_declined_applicant_is_told_so(org, other_org, program_admin):
    theirs = add_shopper(other_org, "roamer@shoppers.test")
    profile = panel.apply_as_member(organization=org, user=theirs, details={})
    panel.decline_shopper(profile=profile, actor=program_admin)
    with pytest.raises(DomainError, match="was declined"):
        panel.apply_as_member(organization=org, user=theirs, details={})


# -- staff deciding -----------------------------------------------------------------------


@pytest.fixture
def applicant(org):
    user = add_shopper(org, "applicant@shoppers.test", status=P.PENDING)
    return ShopperProfile.objects.get(user=user)


def test_approving_welcomes_once_and_decisions_claim_the_status(applicant, program_admin):
    profile = panel.approve_shopper(profile=applicant, actor=program_admin)
    assert profile.status == P.ACTIVE and profile.decided_by == program_admin
    stored = ShopperProfile.objects.get(pk=applicant.pk)
    assert (stored.status, stored.decided_by) == (P.ACTIVE, program_admin)
    welcome = [(emails.WELCOME, f"shopper:{applicant.pk}:approved", applicant.user.email)]
    assert queued() == welcome
    with pytest.raises(DomainError, match="This shopper is active"):
        panel.approve_shopper(profile=profile, actor=program_admin)
    with pytest.raises(DomainError):
        panel.decline_shopper(profile=profile, actor=program_admin)
    panel.deactivate_shopper(profile=profile, actor=program_admin)
    assert ShopperProfile.objects.get(pk=applicant.pk).status == P.INACTIVE
    with pytest.raises(DomainError):
        panel.deactivate_shopper(profile=profile, actor=program_admin)
    panel.approve_shopper(profile=profile, actor=program_admin)  # back again: no second welcome
    assert ShopperProfile.objects.get(pk=applicant.pk).status == P.ACTIVE
    assert queued() == welcome


def test_two_staff_deciding_at_once_the_second_is_told_what_happened(applicant, program_admin):
    mine, theirs = (ShopperProfile.objects.get(pk=applicant.pk) for _ in range(2))
    panel.approve_shopper(profile=mine, actor=program_admin)
    with pytest.raises(DomainError, match="This shopper is active; reload the page"):
        panel.decline_shopper(profile=theirs, actor=program_admin)
    assert ShopperProfile.objects.get(pk=applicant.pk).status == P.ACTIVE


def test_a_declined_or_pending_shopper_cannot_be_deactivated(applicant, program_admin):
    with pytest.raises(DomainError):
        panel.deactivate_shopper(profile=applicant, actor=program_admin)
    panel.decline_shopper(profile=applicant, actor=program_admin)
    for decide in (panel.approve_shopper, panel.deactivate_shopper, panel.decline_shopper):
        with pytest.raises(DomainError, match="declined"):
            decide(profile=applicant, actor=program_admin)
    assert not queued()


def test_a_deactivated_shopper_keeps_their_shops_and_takes_no_new_ones(
    org, job, ann, program_admin, new_job_at
):
    scheduling.self_assign(assignment=job, shopper=ann)
    panel.deactivate_shopper(profile=ShopperProfile.objects.get(user=ann), actor=program_admin)
    from shoppers.visits import services as visits

    assert visits.start_visit(assignment=job, shopper=ann).status == "in_progress"
    with pytest.raises(DomainError, match="not active"):
        scheduling.self_assign(assignment=new_job_at(), shopper=ann)


@pytest.fixture
def new_job_at(org, scenario, second_location, wave, window, program_admin):
    def make():
        return scheduling.create_assignment(
            organization=org,
            scenario=scenario,
            location=second_location,
            wave=wave,
            window_start=window[0],
            window_end=window[1],
            actor=program_admin,
        )

    return make


def test_the_shopper_edits_their_own_details_only(org, ann):
    profile = ShopperProfile.objects.get(user=ann)
    panel.update_profile(profile=profile, details={**DETAILS, "home_region": "East"})
    stored = ShopperProfile.objects.get(pk=profile.pk)
    assert (stored.home_region, stored.languages, stored.phone) == (
        "East",
        ["en", "fr"],
        "0161 000",
    )
    assert stored.status == P.ACTIVE and stored.rating is None
    panel.update_profile(profile=stored, details={})  # nothing to change


def test_exclusions_are_locations_of_the_same_organisation(org, ann, location, other_location):
    profile = ShopperProfile.objects.get(user=ann)
    with pytest.raises(DomainError, match="another organisation") as exc:
        panel.set_exclusions(profile=profile, locations=[location, other_location])
    assert exc.value.field == "excluded_locations"
    assert not profile.excluded_locations.exists()
    panel.set_exclusions(profile=profile, locations=[location])
    assert list(profile.excluded_locations.all()) == [location]
    panel.set_exclusions(profile=profile, locations=[])
    assert not profile.excluded_locations.exists()


# -- certification ------------------------------------------------------------------------


@pytest.fixture
def quiz(org):
    return make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "q1", "type": "yes_no", "points": 1, "required": True},
                    {"code": "q2", "type": "yes_no", "points": 1, "required": True},
                ]
            }
        ],
        code="quiz",
        kind=Survey.Kind.CERTIFICATION,
    )


@pytest.fixture
def certified_scenario(scenario, quiz):
    scenario.certification_survey = quiz
    scenario.pass_percent = 80
    scenario.save()
    return scenario


FAIL = {"q1": "yes", "q2": "no"}  # 50 %
PASS = {"q1": "yes", "q2": "yes"}  # 100 %


def test_a_quiz_attempt_is_an_uncounted_draft_and_a_replayed_start_reuses_it(
    certified_scenario, ann
):
    attempt = panel.start_certification(scenario=certified_scenario, shopper=ann)
    response = attempt.response
    assert response.status == Response.Status.DRAFT and not response.counted
    assert response.respondent == ann and response.survey.kind == Survey.Kind.CERTIFICATION
    assert panel.start_certification(scenario=certified_scenario, shopper=ann).pk == attempt.pk
    assert Certification.objects.count() == 1


def test_three_attempts_at_most_and_the_pass_mark(certified_scenario, ann):
    for n in range(1, 4):
        attempt = panel.start_certification(scenario=certified_scenario, shopper=ann)
        graded = panel.submit_certification(certification=attempt, raw_answers=FAIL)
        assert (graded.score_percent, graded.passed) == (50.0, False)
        assert graded.taken_at is not None and Certification.objects.count() == n
        assert not panel.passed(scenario=certified_scenario, shopper=ann)
    with pytest.raises(DomainError, match="used all 3 attempts"):
        panel.start_certification(scenario=certified_scenario, shopper=ann)
    assert Certification.objects.count() == 3


def test_passing_opens_the_scenario_s_jobs(org, certified_scenario, job, ann):
    with pytest.raises(DomainError, match="certification quiz passed first"):
        scheduling.self_assign(assignment=job, shopper=ann)
    attempt = panel.start_certification(scenario=certified_scenario, shopper=ann)
    graded = panel.submit_certification(certification=attempt, raw_answers=PASS)
    assert (graded.score_percent, graded.passed) == (100.0, True)
    # a replay of the submission returns the graded attempt as it is
    stale = Certification.objects.get(pk=attempt.pk)
    again = panel.submit_certification(certification=attempt, raw_answers=FAIL)
    assert again.passed and again.score_percent == 100.0
    assert panel.submit_certification(certification=stale, raw_answers=FAIL).passed
    with pytest.raises(DomainError, match="already passed"):
        panel.start_certification(scenario=certified_scenario, shopper=ann)
    assert scheduling.self_assign(assignment=job, shopper=ann).shopper == ann
    assert not Response.objects.get(pk=attempt.response_id).counted


def test_the_pass_mark_itself_passes(certified_scenario, ann):
    certified_scenario.pass_percent = 50
    certified_scenario.save()
    attempt = panel.start_certification(scenario=certified_scenario, shopper=ann)
    assert panel.submit_certification(certification=attempt, raw_answers=FAIL).passed


def test_invalid_quiz_answers_keep_the_typing_and_grade_nothing(certified_scenario, ann):
    attempt = panel.start_certification(scenario=certified_scenario, shopper=ann)
    with pytest.raises(ValidationFailed) as exc:
        panel.submit_certification(certification=attempt, raw_answers={"q1": "yes"})
    assert [code for code, _ in exc.value.errors] == ["q2"]
    stored = Certification.objects.get(pk=attempt.pk)
    assert stored.taken_at is None and not stored.passed
    assert Response.objects.get(pk=attempt.response_id).draft == {"q1": "yes"}
    # the open attempt is the one resumed, not a new one
    assert panel.start_certification(scenario=certified_scenario, shopper=ann).pk == attempt.pk


def test_no_quiz_published_no_attempt(certified_scenario, quiz, ann, scenario):
    Survey.objects.filter(pk=quiz.pk).update(status=Survey.Status.ARCHIVED)
    with pytest.raises(DomainError, match="no certification quiz published"):
        panel.start_certification(scenario=certified_scenario, shopper=ann)
    scenario.certification_survey = None
    scenario.save()
    with pytest.raises(DomainError, match="no certification quiz"):
        panel.start_certification(scenario=scenario, shopper=ann)


@pytest.mark.django_db(transaction=True)
def test_applying_twice_at_once_makes_one_membership_and_profile(org, other_org, programme):
    from tests.shoppers.shops import race

    theirs = add_shopper(other_org, "roamer@shoppers.test")
    results = race(
        lambda: panel.apply_as_member(organization=org, user=theirs, details={}),
        lambda: panel.apply_as_member(organization=org, user=theirs, details={}),
    )
    assert all(isinstance(r, ShopperProfile) for r in results), results
    assert results[0].pk == results[1].pk
    assert Membership.objects.filter(user=theirs, organization=org).count() == 1


@pytest.mark.django_db(transaction=True)
def test_starting_a_quiz_twice_at_once_makes_one_attempt(certified_scenario, ann):
    from tests.shoppers.shops import race

    twice = race(*[lambda: panel.start_certification(scenario=certified_scenario, shopper=ann)] * 2)
    assert [type(r).__name__ for r in twice] == ["Certification"] * 2, twice
    assert Certification.objects.count() == 1
