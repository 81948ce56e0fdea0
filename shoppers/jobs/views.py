"""The job board and a job's page. The board lists the open jobs the logged-in shopper may take
(shoppers.jobs.board, in SQL with the scheduling rules); the job page shows one job with every
reason the shopper may not take it (shoppers.scheduling.services.problems_taking) and the action
that fits: take it, request it (withdraw the request), or accept or decline an offer. The
services decide; a refusal is shown with their reason."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError

from ..models import Assignment, Certification, JobOffer, JobRequest, ShopperProgramme
from ..scheduling import services as scheduling
from ..scheduling.services import Via
from .board import job_board
from .forms import RequestForm

S = Assignment.Status
PAGE_SIZE = 20


def _job(request, pk: int) -> Assignment:
    jobs = Assignment.objects.select_related(
        "organization", "scenario__touchpoint", "location", "wave"
    )
    return get_for_org(jobs, request.org, pk=pk)


def _back(request, job: Assignment):
    return redirect("shoppers:job", org_slug=request.org.slug, pk=job.pk)


@require_GET
@org_view(Cap.SHOP)
def board(request):
    org, user = request.org, request.user
    programme = ShopperProgramme.of(org)
    now = timezone.now()
    found = job_board(organization=org, user=user, lockout_days=programme.lockout_days, now=now)
    page = found.page(request.GET.get("page"), PAGE_SIZE)
    ids = [job.pk for job in page]
    requested = set(
        JobRequest.objects.for_org(org)
        .filter(shopper=user, status=JobRequest.Status.PENDING, assignment_id__in=ids)
        .values_list("assignment_id", flat=True)
    )
    offers = list(
        JobOffer.objects.for_org(org)
        .filter(
            shopper=user,
            status=JobOffer.Status.OFFERED,
            assignment__status=S.OPEN,
            assignment__window_end__gt=timezone.now(),
        )
        .select_related("assignment__scenario", "assignment__location")
        .order_by("assignment__deadline", "pk")
    )
    limits = []
    if found.active:
        limits = scheduling.limit_problems(
            organization=org, shopper=user, programme=programme, via=Via.SELF, at=now
        )
    return render(
        request,
        "shoppers/jobs/board.html",
        {
            "org": org,
            "board": found,
            "page": page,
            "requested": requested,
            "offers": offers,
            "limits": limits,
            "programme": programme,
        },
    )


@require_GET
@org_view(Cap.SHOP)
def job(request, pk: int):
    org, user = request.org, request.user
    job = _job(request, pk)
    if job.shopper_id == user.pk:
        return redirect("shoppers:assignment", org_slug=org.slug, pk=job.pk)
    now = timezone.now()
    if job.status != S.OPEN or job.window_end <= now or job.deadline <= now:
        return render(request, "shoppers/jobs/gone.html", {"org": org, "job": job}, status=200)
    programme = ShopperProgramme.of(org)
    offer = JobOffer.objects.filter(assignment=job, shopper=user).first()
    my_request = JobRequest.objects.filter(assignment=job, shopper=user).first()
    offered = offer is not None and offer.status == JobOffer.Status.OFFERED
    if offered:
        via = Via.OFFER
    elif job.scenario.allow_self_assign:
        via = Via.SELF
    else:
        via = Via.REQUEST
    problems = scheduling.problems_taking(job, user, programme=programme, via=via, at=now)
    certification = None
    if job.scenario.certification_survey_id:
        attempts = list(Certification.objects.filter(scenario=job.scenario, shopper=user))
        certification = {
            "passed": any(a.passed for a in attempts),
            "used": sum(1 for a in attempts if a.taken_at is not None),
            "max": Certification.MAX_ATTEMPTS,
        }
    return render(
        request,
        "shoppers/jobs/job.html",
        {
            "org": org,
            "job": job,
            "programme": programme,
            "offer": offer if offered else None,
            "my_request": my_request,
            "via": via,
            "problems": problems,
            "certification": certification,
            "request_form": RequestForm(),
        },
    )


@require_POST
@org_view(Cap.SHOP)
def take(request, pk: int):
    job = _job(request, pk)
    try:
        scheduling.self_assign(assignment=job, shopper=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, job)
    messages.success(request, "The job is yours. Read the brief, then start the visit there.")
    return redirect("shoppers:assignment", org_slug=request.org.slug, pk=job.pk)


@require_POST
@org_view(Cap.SHOP)
def request_job(request, pk: int):
    job = _job(request, pk)
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The note is too long (500 characters at most).")
        return _back(request, job)
    try:
        scheduling.request_job(assignment=job, shopper=request.user, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your request was sent. The programme team confirms it by email.")
    return _back(request, job)


@require_POST
@org_view(Cap.SHOP)
def withdraw(request, pk: int):
    mine = JobRequest.objects.filter(shopper=request.user).select_related("assignment")
    job_request = get_for_org(mine, request.org, assignment_id=pk)
    try:
        scheduling.withdraw_request(request=job_request, shopper=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your request was withdrawn.")
    return _back(request, job_request.assignment)


def _my_offer(request, pk: int) -> JobOffer:
    mine = JobOffer.objects.filter(shopper=request.user).select_related(
        "assignment", "organization"
    )
    return get_for_org(mine, request.org, assignment_id=pk)


@require_POST
@org_view(Cap.SHOP)
def accept_offer(request, pk: int):
    offer = _my_offer(request, pk)
    try:
        scheduling.accept_offer(offer=offer, shopper=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, offer.assignment)
    messages.success(request, "The job is yours. Read the brief, then start the visit there.")
    return redirect("shoppers:assignment", org_slug=request.org.slug, pk=pk)


@require_POST
@org_view(Cap.SHOP)
def decline_offer(request, pk: int):
    offer = _my_offer(request, pk)
    try:
        scheduling.decline_offer(offer=offer, shopper=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, offer.assignment)
    messages.info(request, "You declined the offer.")
    return redirect("shoppers:jobs", org_slug=request.org.slug)
