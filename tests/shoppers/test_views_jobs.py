"""The job board and a job's page, through the views: what the board lists (eligibility,
exclusions, lockouts; region first; paged; a constant number of queries), what a job's page
offers, and each refusal of the services shown with its reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Location
from shoppers.models import (
    Assignment,
    Certification,
    JobOffer,
    JobRequest,
    Scenario,
    ShopperProfile,
    ShopperProgramme,
)
from shoppers.scheduling import services as scheduling
from surveys.responses.services import start_response
from tests.factories import make_survey
from tests.shoppers.conftest import add_shopper

S = Assignment.Status
pytestmark = pytest.mark.django_db


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, org, *args) -> str:
    return reverse(f"shoppers:{name}", args=[org.slug, *args])


def new_job(org, scenario, location, wave, program_admin, *, start=-1, days=6) -> Assignment:
    now = timezone.now()
    return scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=now + dt.timedelta(days=start),
        window_end=now + dt.timedelta(days=start + days),
        actor=program_admin,
    )


def set_rules(org, **rules) -> None:
    ShopperProgramme.of(org)
    ShopperProgramme.objects.filter(organization=org).update(**rules)


def listed(response) -> list[int]:
    return [job.pk for job in response.context["page"].object_list]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- the board -----------------------------------------------------------------------------------


def test_board_lists_open_jobs_home_region_first_then_by_window(
    org, scenario, location, second_location, wave, program_admin, ann
):
    later_near = new_job(org, scenario, second_location, wave, program_admin, start=0)
    soon_far = new_job(org, scenario, location, wave, program_admin, start=-1)
    sooner_near = new_job(org, scenario, second_location, wave, program_admin, start=-2)
    response = client_of(ann).get(url("jobs", org))
    assert response.status_code == 200
    assert listed(response) == [sooner_near.pk, later_near.pk, soon_far.pk]  # ann is North
    assert b"In your region" in response.content


def test_board_leaves_out_what_the_shopper_may_not_take(
    org, scenario, location, second_location, wave, program_admin, ann, bob
):
    ok = new_job(org, scenario, location, wave, program_admin)
    french = Scenario.objects.create(
        organization=org,
        touchpoint=scenario.touchpoint,
        title="En français",
        brief="Parlez français.",
        survey=scenario.survey,
        fee=Decimal("10"),
        languages=["fr"],
    )
    needs_french = new_job(org, french, location, wave, program_admin)
    excluded = new_job(org, scenario, second_location, wave, program_admin)
    ann.shopper_profiles.get().excluded_locations.add(second_location)
    elsewhere = Location.objects.create(organization=org, code="YRK", name="York")
    taken = new_job(org, scenario, elsewhere, wave, program_admin)
    scheduling.self_assign(assignment=taken, shopper=bob)
    closed = new_job(org, scenario, location, wave, program_admin, start=-3, days=2)
    Assignment.objects.filter(pk=closed.pk).update(
        window_end=timezone.now() - dt.timedelta(hours=1)
    )
    other = new_job(org, scenario, location, wave, program_admin)
    Assignment.objects.filter(pk=other.pk).update(status=S.CANCELLED)

    assert listed(client_of(ann).get(url("jobs", org))) == [ok.pk]  # ann speaks English only
    assert set(listed(client_of(bob).get(url("jobs", org)))) == {
        ok.pk,
        needs_french.pk,
        excluded.pk,
    }


def test_board_hides_jobs_inside_a_lockout(org, scenario, location, wave, program_admin, ann):
    mine = new_job(org, scenario, location, wave, program_admin)
    scheduling.self_assign(assignment=mine, shopper=ann)
    # Within 30 days of ann's shop at the same location: no moment of its window is free.
    blocked = new_job(org, scenario, location, wave, program_admin, start=0, days=3)
    response = client_of(ann).get(url("jobs", org))
    assert blocked.pk not in listed(response)
    with pytest.raises(Exception, match="another shop at this location"):
        scheduling.self_assign(assignment=blocked, shopper=ann)
    # Without a lockout the same job is listed and can be taken.
    set_rules(org, lockout_days=0)
    assert blocked.pk in listed(client_of(ann).get(url("jobs", org)))


def test_board_shows_a_job_needing_a_quiz_and_marks_it(
    org, scenario, location, wave, program_admin, ann
):
    quiz = make_survey(org, [{"questions": [{"code": "q", "type": "yes_no"}]}], code="quiz")
    scenario.certification_survey = quiz
    scenario.save()
    job = new_job(org, scenario, location, wave, program_admin)
    response = client_of(ann).get(url("jobs", org))
    assert listed(response) == [job.pk]
    assert b"Quiz needed first" in response.content
    page = client_of(ann).get(url("job", org, job.pk))
    assert url("certification", org, scenario.pk).encode() in page.content
    assert "needs its certification quiz passed first" in page.content.decode()


def test_board_is_paged_with_a_constant_number_of_queries(
    org,
    scenario,
    location,
    second_location,
    wave,
    program_admin,
    ann,
    django_assert_max_num_queries,
):
    new_job(org, scenario, location, wave, program_admin)
    mine = new_job(org, scenario, second_location, wave, program_admin)
    scheduling.self_assign(assignment=mine, shopper=ann)  # a held shop: lockout conditions
    client = client_of(ann)
    client.get(url("jobs", org))  # warm the session and the programme row
    with django_assert_max_num_queries(20) as few:
        client.get(url("jobs", org))
    for _ in range(45):
        new_job(org, scenario, location, wave, program_admin, start=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("jobs", org))
    assert len(listed(response)) == 20 and response.context["page"].paginator.count == 46
    second = client.get(url("jobs", org) + "?page=3")
    assert len(listed(second)) == 6
    assert client.get(url("jobs", org) + "?page=oops").status_code == 200


def test_board_says_why_a_pending_or_inactive_shopper_sees_no_jobs(org, job, shopper):
    pending = add_shopper(org, "new@shoppers.test", status=ShopperProfile.Status.PENDING)
    response = client_of(pending).get(url("jobs", org))
    assert b"Your application is being reviewed" in response.content
    assert list(response.context["page"].object_list) == []
    inactive = add_shopper(org, "old@shoppers.test", status=ShopperProfile.Status.INACTIVE)
    assert b"Your shopper account is inactive" in client_of(inactive).get(url("jobs", org)).content
    # A member with the shopper role but no profile is pointed to the sign-up page.
    response = client_of(shopper).get(url("jobs", org))
    assert reverse("shoppers:join", args=[org.slug]).encode() in response.content


def test_board_empty_state_for_an_active_shopper(org, ann):
    response = client_of(ann).get(url("jobs", org))
    assert b"No open jobs for you right now" in response.content


def test_board_warns_when_the_shopper_is_at_a_limit(
    org, scenario, location, second_location, wave, program_admin, ann
):
    set_rules(org, daily_self_assign_limit=1)
    scheduling.self_assign(
        assignment=new_job(org, scenario, second_location, wave, program_admin), shopper=ann
    )
    new_job(org, scenario, location, wave, program_admin)
    response = client_of(ann).get(url("jobs", org))
    assert "You have taken 1 jobs today, the most per day is 1" in response.content.decode()


# -- a job's page and its actions ----------------------------------------------------------------


def test_job_page_escapes_the_brief_and_takes_the_job(org, job, ann):
    client = client_of(ann)
    page = client.get(url("job", org, job.pk))
    assert page.status_code == 200
    assert b"&lt;b&gt;day return&lt;/b&gt;" in page.content and b"<b>day return" not in page.content
    assert b"Take this job" in page.content and b"GBP 25.00" in page.content
    response = client.post(url("job_take", org, job.pk))
    assert response.status_code == 302 and response["Location"] == url("assignment", org, job.pk)
    job.refresh_from_db()
    assert job.status == S.ASSIGNED and job.shopper == ann
    # Now it is theirs: the job page leads to the shop's page.
    assert client.get(url("job", org, job.pk))["Location"] == url("assignment", org, job.pk)


def test_taking_beyond_the_daily_limit_is_refused_with_the_reason(
    org, scenario, location, second_location, wave, program_admin, ann
):
    set_rules(org, daily_self_assign_limit=1)
    first = new_job(org, scenario, location, wave, program_admin)
    second = new_job(org, scenario, second_location, wave, program_admin)
    client = client_of(ann)
    client.post(url("job_take", org, first.pk))
    response = client.post(url("job_take", org, second.pk), follow=True)
    assert "the most per day is 1" in " ".join(messages_of(response))
    assert Assignment.objects.get(pk=second.pk).status == S.OPEN


def test_taking_beyond_the_open_limit_is_refused(
    org, scenario, location, second_location, wave, program_admin, ann
):
    set_rules(org, open_limit=1)
    first = new_job(org, scenario, location, wave, program_admin)
    second = new_job(org, scenario, second_location, wave, program_admin)
    scheduling.self_assign(assignment=first, shopper=ann)
    response = client_of(ann).post(url("job_take", org, second.pk), follow=True)
    assert "the most you may hold at once is 1" in " ".join(messages_of(response))
    assert b"Take this job</button>" not in response.content  # the page explains instead


def test_taking_inside_a_lockout_is_refused(org, scenario, location, wave, program_admin, ann):
    mine = new_job(org, scenario, location, wave, program_admin)
    scheduling.self_assign(assignment=mine, shopper=ann)
    blocked = new_job(org, scenario, location, wave, program_admin, start=0, days=3)
    response = client_of(ann).post(url("job_take", org, blocked.pk), follow=True)
    assert "another shop at this location within 30 days" in " ".join(messages_of(response))
    assert Assignment.objects.get(pk=blocked.pk).status == S.OPEN


def test_an_ineligible_shopper_requesting_is_refused(
    org, scenario, location, wave, program_admin, ann
):
    scenario.allow_self_assign = False
    scenario.regions = ["South"]
    scenario.save()
    job = new_job(org, scenario, location, wave, program_admin)
    client = client_of(ann)
    page = client.get(url("job", org, job.pk))
    assert "It is for shoppers of another region." in page.content.decode()
    assert b"Ask for this job</button>" not in page.content
    response = client.post(url("job_request", org, job.pk), {"note": "please"}, follow=True)
    assert "another region" in " ".join(messages_of(response))
    assert not JobRequest.objects.exists()


def test_request_then_withdraw(org, scenario, location, wave, program_admin, bob):
    scenario.allow_self_assign = False
    scenario.save()
    job = new_job(org, scenario, location, wave, program_admin)
    client = client_of(bob)
    assert b"Ask for this job" in client.get(url("job", org, job.pk)).content
    response = client.post(url("job_request", org, job.pk), {"note": "Tuesday <i>am</i>"})
    assert response.status_code == 302
    request = JobRequest.objects.get()
    assert request.shopper == bob and request.note == "Tuesday <i>am</i>"
    page = client.get(url("job", org, job.pk))
    assert b"Withdraw my request" in page.content
    assert b"You asked for it" in client.get(url("jobs", org)).content
    client.post(url("job_withdraw", org, job.pk))
    request.refresh_from_db()
    assert request.status == JobRequest.Status.WITHDRAWN
    # Withdrawing what is not theirs (or nothing) is not found.
    assert client_of(bob).post(url("job_withdraw", org, job.pk + 999)).status_code == 404


def test_an_offer_is_accepted_or_declined_by_its_shopper_only(org, job, ann, bob, program_admin):
    scheduling.offer_job(assignment=job, shoppers=[ann, bob], actor=program_admin)
    page = client_of(ann).get(url("job", org, job.pk))
    assert b"Offered to you" in page.content and b"Accept the job" in page.content
    assert b"Offered to you" in client_of(ann).get(url("home", org)).content
    client_of(bob).post(url("offer_decline", org, job.pk))
    assert JobOffer.objects.get(shopper=bob).status == JobOffer.Status.DECLINED
    response = client_of(ann).post(url("offer_accept", org, job.pk))
    assert response["Location"] == url("assignment", org, job.pk)
    job.refresh_from_db()
    assert job.shopper == ann and job.status == S.ASSIGNED
    # Bob, whose offer is answered, cannot accept it any more; a stranger has no offer at all.
    response = client_of(bob).post(url("offer_accept", org, job.pk), follow=True)
    assert "another shopper took this job first" in " ".join(messages_of(response))
    carol = add_shopper(org, "carol@shoppers.test")
    assert client_of(carol).post(url("offer_accept", org, job.pk)).status_code == 404


def test_a_taken_or_cancelled_job_is_no_longer_shown(org, job, ann, bob):
    scheduling.self_assign(assignment=job, shopper=bob)
    page = client_of(ann).get(url("job", org, job.pk))
    assert b"Another shopper has taken it" in page.content
    assert b"day return" not in page.content  # nothing of someone else's shop
    response = client_of(ann).post(url("job_take", org, job.pk), follow=True)
    assert "Someone else took this job meanwhile" in " ".join(messages_of(response))


def test_another_organisations_job_is_not_found(org, other_org, job, ann):
    other_shopper = add_shopper(other_org, "x@other.test")
    assert client_of(other_shopper).get(url("job", other_org, job.pk)).status_code == 404
    assert client_of(ann).get(url("job", org, 999999)).status_code == 404


def test_job_page_offers_the_quiz_when_a_certification_is_needed(
    org, scenario, location, wave, program_admin, ann
):
    quiz = make_survey(org, [{"questions": [{"code": "q", "type": "yes_no"}]}], code="quiz")
    scenario.certification_survey = quiz
    scenario.save()
    job = new_job(org, scenario, location, wave, program_admin)
    page = client_of(ann).get(url("job", org, job.pk))
    assert b"Take the quiz" in page.content and b"used 0 of 3 attempts" in page.content
    Certification.objects.create(
        organization=org,
        scenario=scenario,
        shopper=ann,
        response=start_response(survey=quiz, source="shopper", respondent=ann, counted=False),
        passed=True,
        taken_at=timezone.now(),
    )
    page = client_of(ann).get(url("job", org, job.pk))
    assert b"Take the quiz" not in page.content and b"Take this job" in page.content


def test_location_region_matching_ignores_case_and_spaces(org, scenario, wave, program_admin, ann):
    near = Location.objects.create(organization=org, code="LDS", name="Leeds", region=" north ")
    far = Location.objects.create(organization=org, code="BRI", name="Bristol", region="South")
    far_job = new_job(org, scenario, far, wave, program_admin, start=-2)
    near_job = new_job(org, scenario, near, wave, program_admin, start=0)
    assert listed(client_of(ann).get(url("jobs", org))) == [near_job.pk, far_job.pk]
