"""Permission matrix rows of the shopper's pages (Cap.SHOP): the job board and jobs, My shops, a
shop and its visit form, evidence, earnings, the profile, certification quizzes; and the public
sign-up page. A shop, request, offer or quiz attempt is the requesting user's own (Row.per_user),
made here directly (the services would refuse a role without a shopper profile, which is what
the matrix does not test)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from cxaudit.accounts.models import Location, User
from cxaudit.accounts.permissions import Cap
from shoppers.models import Assignment, Certification, JobOffer, JobRequest, Scenario
from surveys.models import Evidence, Question, Survey
from surveys.responses import services as responses
from tests.factories import make_standard, make_survey, make_wave
from tests.matrix_row import Row

S = Assignment.Status


def _scenario(org) -> Scenario:
    scenario = Scenario.objects.filter(organization=org, title="Matrix scenario").first()
    if scenario is not None:
        return scenario
    std = make_standard(org, "MX-STD")
    form = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "ok", "type": "yes_no"},
                    {"code": "photo", "type": "file", "points": 0, "required": False},
                ]
            }
        ],
        code="matrix-visit",
    )
    quiz = make_survey(
        org,
        [{"questions": [{"code": "rule", "type": "yes_no"}]}],
        code="matrix-quiz",
        kind=Survey.Kind.CERTIFICATION,
    )
    return Scenario.objects.create(
        organization=org,
        touchpoint=std.touchpoint,
        title="Matrix scenario",
        brief="Ask at the desk.",
        survey=form,
        fee=Decimal("20"),
        certification_survey=quiz,
    )


def _location(org) -> Location:
    location, _ = Location.objects.get_or_create(
        organization=org, code="MX1", defaults={"name": "Matrix station"}
    )
    return location


def _job(org, *, status=S.OPEN, shopper=None) -> Assignment:
    now = timezone.now()
    wave = org.waves.filter(name="Matrix shops").first() or make_wave(org, "Matrix shops")
    return Assignment.objects.create(
        organization=org,
        scenario=_scenario(org),
        location=_location(org),
        wave=wave,
        window_start=now - dt.timedelta(days=1),
        window_end=now + dt.timedelta(days=5),
        deadline=now + dt.timedelta(days=6),
        fee=Decimal("20"),
        status=status,
        shopper=shopper,
        assigned_at=now if shopper else None,
        started_at=now if status != S.ASSIGNED and shopper else None,
    )


def _holder(user):
    """The requesting user, or a stand-in for anonymous visitors (who are sent to log in)."""
    if user is not None:
        return user
    holder, _ = User.objects.get_or_create(email="matrix-holder@shoppers.test")
    return holder


def _own_shop(org, user, *, status=S.IN_PROGRESS, submitted=False) -> Assignment:
    shop = _job(
        org, status=S.ASSIGNED if status == S.ASSIGNED else S.IN_PROGRESS, shopper=_holder(user)
    )
    if status != S.ASSIGNED:
        response = responses.start_response(
            survey=shop.scenario.survey,
            source="shopper",
            respondent=shop.shopper,
            location=shop.location,
            wave=shop.wave,
            counted=False,
        )
        if submitted:
            responses.submit_form(response=response, raw_answers={"ok": "yes"})
        shop.response, shop.status = response, status
        shop.save(update_fields=["response", "status"])
    return shop


def open_job(org):
    return {"pk": _job(org).pk}


def own_assigned(org, user):
    return {"pk": _own_shop(org, user, status=S.ASSIGNED).pk}


def own_in_progress(org, user):
    return {"pk": _own_shop(org, user).pk}


def own_submitted(org, user):
    return {"pk": _own_shop(org, user, status=S.SUBMITTED, submitted=True).pk}


def own_evidence(org, user):
    shop = _own_shop(org, user)
    evidence = Evidence(
        organization=org,
        response=shop.response,
        question=Question.objects.get(survey=shop.response.survey, code="photo"),
        content_type="application/pdf",
        size=9,
        original_name="receipt.pdf",
    )
    evidence.file.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {"pk": shop.pk, "key": evidence.key}


def own_request(org, user):
    job = _job(org)
    JobRequest.objects.create(organization=org, assignment=job, shopper=_holder(user))
    return {"pk": job.pk}


def own_offer(org, user):
    job = _job(org)
    JobOffer.objects.create(organization=org, assignment=job, shopper=_holder(user))
    return {"pk": job.pk}


def quiz_scenario(org):
    return {"pk": _scenario(org).pk}


def _attempt(org, user, *, taken=False) -> Certification:
    scenario = _scenario(org)
    shopper = _holder(user)
    response = responses.start_response(
        survey=scenario.certification_survey, source="shopper", respondent=shopper, counted=False
    )
    attempt = Certification.objects.create(
        organization=org, scenario=scenario, shopper=shopper, response=response
    )
    if taken:
        responses.submit_form(response=response, raw_answers={"rule": "yes"})
        attempt.taken_at, attempt.score_percent, attempt.passed = timezone.now(), 100.0, True
        attempt.save()
    return attempt


def own_attempt(org, user):
    return {"pk": _attempt(org, user).pk}


def own_taken_attempt(org, user):
    return {"pk": _attempt(org, user, taken=True).pk}


ROWS: list[Row] = [
    Row("shoppers:join", None, public=True),
    Row("shoppers:home", Cap.SHOP),
    Row("shoppers:earnings", Cap.SHOP),
    Row("shoppers:profile", Cap.SHOP),
    Row("shoppers:jobs", Cap.SHOP),
    Row("shoppers:job", Cap.SHOP, open_job),
    Row("shoppers:job_take", Cap.SHOP, open_job, "post"),
    Row("shoppers:job_request", Cap.SHOP, open_job, "post"),
    Row("shoppers:job_withdraw", Cap.SHOP, own_request, "post", per_user=True),
    Row("shoppers:offer_accept", Cap.SHOP, own_offer, "post", per_user=True),
    Row("shoppers:offer_decline", Cap.SHOP, own_offer, "post", per_user=True),
    Row("shoppers:assignment", Cap.SHOP, own_in_progress, per_user=True),
    Row("shoppers:release", Cap.SHOP, own_assigned, "post", per_user=True),
    Row("shoppers:start", Cap.SHOP, own_assigned, "post", per_user=True),
    Row("shoppers:record_visit", Cap.SHOP, own_in_progress, "post", per_user=True),
    Row("shoppers:visit_evidence", Cap.SHOP, own_evidence, per_user=True),
    Row("shoppers:visit_respond", Cap.SHOP, own_in_progress, per_user=True),
    Row("shoppers:visit_autosave", Cap.SHOP, own_in_progress, "post", per_user=True),
    Row("shoppers:visit_submit", Cap.SHOP, own_in_progress, "post", per_user=True),
    Row("shoppers:visit_upload", Cap.SHOP, own_in_progress, "post", per_user=True, allowed=(400,)),
    Row("shoppers:visit_receipt", Cap.SHOP, own_submitted, per_user=True),
    Row("shoppers:certification", Cap.SHOP, quiz_scenario),
    Row("shoppers:certification_start", Cap.SHOP, quiz_scenario, "post"),
    Row("shoppers:quiz_respond", Cap.SHOP, own_attempt, per_user=True),
    Row("shoppers:quiz_autosave", Cap.SHOP, own_attempt, "post", per_user=True),
    Row("shoppers:quiz_submit", Cap.SHOP, own_attempt, "post", per_user=True),
    Row("shoppers:quiz_upload", Cap.SHOP, own_attempt, "post", per_user=True, allowed=(400,)),
    Row("shoppers:quiz_receipt", Cap.SHOP, own_taken_attempt, per_user=True),
]
