"""Joining a programme, the shopper's profile and certification quizzes.

The sign-up page `/join/<org>/` is public. A visitor without an account applies with a new one
(shoppers.panel.services.apply_with_new_account); the answer page is the same whether or not the
address already had an account (that address is emailed instead), so the form tells a stranger
nothing. A logged-in person applies as themselves (apply_as_member). Applications are throttled
per normalised email and per client address (cxaudit/throttle.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.models import Location, Membership, Organization, Role
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.security import client_ip
from cxaudit.errors import DomainError, ValidationFailed, apply_domain_error
from cxaudit.throttle import hit, normalise_identity
from surveys.models import Evidence, Response
from surveys.questionnaire.structure import load_structure
from surveys.responses.forms import raw_from_post
from surveys.responses.services import save_form_draft

from ..engine import (
    AutosaveDraftView,
    ProgrammeDraftMixin,
    ShowDraftView,
    SubmitDraftView,
    UploadDraftView,
)
from ..models import Certification, Scenario, ShopperProfile, ShopperProgramme
from ..panel import services
from .forms import ApplicationForm, NewAccountApplicationForm, ProfileForm

THROTTLE_WINDOW = 3600


def known_regions(organization: Organization) -> list[str]:
    """The regions of the organisation's locations, offered when a shopper types theirs."""
    return sorted(
        set(
            Location.objects.for_org(organization)
            .filter(is_active=True)
            .exclude(region="")
            .values_list("region", flat=True)
        )
    )


def throttled(request, email: str) -> bool:
    """Count one application for the normalised address and the client address; True when
    either is over its hourly limit."""
    by_email = hit(
        "shopper-join:email",
        normalise_identity(email),
        limit=settings.CXAUDIT_SIGNUP_PER_EMAIL,
        window=THROTTLE_WINDOW,
    )
    by_address = hit(
        "shopper-join:ip",
        client_ip(request),
        limit=settings.CXAUDIT_SIGNUP_PER_IP,
        window=THROTTLE_WINDOW,
    )
    return not (by_email and by_address)


TOO_MANY = "Too many applications were sent from here or for this address; try again in an hour."


@require_http_methods(["GET", "POST"])
def join(request, org_slug: str):
    org = get_object_or_404(Organization, slug=org_slug, is_active=True)
    # Read, never created, by a public page.
    programme = ShopperProgramme.objects.filter(organization=org).first() or ShopperProgramme(
        organization=org
    )
    context = {"org": org, "programme": programme, "regions": known_regions(org)}
    if request.GET.get("sent") == "1" and not request.user.is_authenticated:
        return render(request, "shoppers/signup/join_sent.html", context)
    if not programme.accepting_applications:
        return render(request, "shoppers/signup/join_closed.html", context)
    if request.user.is_authenticated:
        return _join_as_member(request, org, context)
    form = NewAccountApplicationForm(request.POST or None, regions=context["regions"])
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if throttled(request, data["email"]):
            form.add_error(None, TOO_MANY)
            status = 429
        else:
            try:
                services.apply_with_new_account(
                    organization=org,
                    email=data["email"],
                    full_name=data["full_name"],
                    password=data["password1"],
                    details=form.details(),
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                return HttpResponseRedirect(reverse("shoppers:join", args=[org.slug]) + "?sent=1")
    return render(request, "shoppers/signup/join.html", {**context, "form": form}, status=status)


def _join_as_member(request, org: Organization, context: dict):
    user = request.user
    membership = Membership.objects.filter(user=user, organization=org).first()
    profile = ShopperProfile.objects.filter(organization=org, user=user).first()
    if profile is not None and membership is not None and membership.is_active:
        messages.info(request, f"You have already applied to {org.name}.")
        return redirect("shoppers:home", org_slug=org.slug)
    if membership is not None and (membership.role != Role.SHOPPER or not membership.is_active):
        return render(
            request,
            "shoppers/signup/join_staff.html",
            {**context, "membership": membership},
        )
    form = ApplicationForm(request.POST or None, regions=context["regions"])
    status = 200
    if request.method == "POST" and form.is_valid():
        if throttled(request, user.email):
            form.add_error(None, TOO_MANY)
            status = 429
        else:
            try:
                services.apply_as_member(organization=org, user=user, details=form.details())
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, f"Your application to {org.name} was received.")
                return redirect("shoppers:home", org_slug=org.slug)
    return render(
        request,
        "shoppers/signup/join.html",
        {**context, "form": form, "member": True},
        status=status,
    )


# -- the profile ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Cap.SHOP)
def profile(request):
    org = request.org
    shopper = ShopperProfile.objects.for_org(org).filter(user=request.user).first()
    if shopper is None:
        return render(request, "shoppers/signup/no_profile.html", {"org": org})
    initial = {
        "phone": shopper.phone,
        "home_region": shopper.home_region,
        "languages": ", ".join(shopper.languages or []),
        "age_band": shopper.age_band,
        "gender": shopper.gender,
    }
    form = ProfileForm(request.POST or None, initial=initial, regions=known_regions(org))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(profile=shopper, details=form.details())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("shoppers:profile", org_slug=org.slug)
    return render(
        request, "shoppers/signup/profile.html", {"org": org, "form": form, "shopper": shopper}
    )


# -- certification quizzes -----------------------------------------------------------------------


def _quiz_scenario(request, pk: int) -> Scenario:
    scenarios = Scenario.objects.filter(certification_survey__isnull=False)
    return get_for_org(scenarios, request.org, pk=pk)


@require_GET
@org_view(Cap.SHOP)
def certification(request, pk: int):
    scenario = _quiz_scenario(request, pk)
    attempts = list(
        Certification.objects.filter(scenario=scenario, shopper=request.user).order_by(
            "created_at", "pk"
        )
    )
    return render(
        request,
        "shoppers/signup/certification.html",
        {
            "org": request.org,
            "scenario": scenario,
            "attempts": attempts,
            "passed": any(a.passed for a in attempts),
            "open_attempt": next((a for a in attempts if a.taken_at is None), None),
            "left": max(0, Certification.MAX_ATTEMPTS - len(attempts)),
            "max_attempts": Certification.MAX_ATTEMPTS,
            "published": scenario.current_certification() is not None,
        },
    )


@require_POST
@org_view(Cap.SHOP)
def certification_start(request, pk: int):
    scenario = _quiz_scenario(request, pk)
    try:
        attempt = services.start_certification(scenario=scenario, shopper=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("shoppers:certification", org_slug=request.org.slug, pk=scenario.pk)
    return redirect("shoppers:quiz_respond", org_slug=request.org.slug, pk=attempt.pk)


class QuizDraftMixin(ProgrammeDraftMixin):
    """A quiz attempt of the logged-in shopper, open until it is graded."""

    url_prefix = "shoppers:quiz"
    closed_message = "This attempt was already marked."

    def attempt(self) -> Certification:
        if not hasattr(self, "_attempt"):
            mine = Certification.objects.filter(shopper=self.request.user).select_related(
                "scenario", "response__survey"
            )
            self._attempt = get_for_org(mine, self.org, pk=self.kwargs["pk"])
        return self._attempt

    def get_draft(self) -> Response:
        return self.attempt().response

    def is_open(self) -> bool:
        return self.attempt().taken_at is None

    def closed_url(self) -> str:
        return reverse("shoppers:quiz_receipt", args=[self.org.slug, self.kwargs["pk"]])

    def evidence_url(self, evidence: Evidence) -> str:
        return reverse(
            "surveys:evidence_file", kwargs={"org_slug": self.org.slug, "key": evidence.key}
        )

    def form_context(self, response):
        return {"form_header": "shoppers/signup/_quiz_header.html", "attempt": self.attempt()}

    def submit(self, request, response: Response):
        if not self.is_open():
            return HttpResponseRedirect(self.closed_url())
        structure = load_structure(response.survey)
        raw = raw_from_post(request.POST, structure)
        upload_errors = self._attach_posted_files(request, response, structure, raw)
        try:
            if upload_errors:
                save_form_draft(response=response, raw_answers=raw)
                raise ValidationFailed("A file could not be accepted.", upload_errors)
            services.submit_certification(certification=self.attempt(), raw_answers=raw)
        except ValidationFailed as exc:
            return self.render_form(
                request, survey=response.survey, response=response, raw=raw, errors=exc.errors
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return self.render_form(request, survey=response.survey, response=response, raw=raw)
        return HttpResponseRedirect(self.closed_url())


class QuizFormView(QuizDraftMixin, ShowDraftView):
    pass


class QuizAutosaveView(QuizDraftMixin, AutosaveDraftView):
    pass


class QuizUploadView(QuizDraftMixin, UploadDraftView):
    pass


class QuizSubmitView(QuizDraftMixin, SubmitDraftView):
    pass


class QuizResultView(QuizDraftMixin, ShowDraftView):
    """The result of an attempt: passed or not, the score, the attempts left."""

    def get(self, request, **kwargs):
        attempt = self.attempt()
        if attempt.taken_at is None:
            return redirect("shoppers:quiz_respond", org_slug=self.org.slug, pk=attempt.pk)
        used = Certification.objects.filter(scenario=attempt.scenario, shopper=request.user)
        passed = attempt.passed or used.filter(passed=True).exists()
        return render(
            request,
            "shoppers/signup/quiz_result.html",
            {
                "org": self.org,
                "attempt": attempt,
                "scenario": attempt.scenario,
                "passed": passed,
                "left": max(0, Certification.MAX_ATTEMPTS - used.count()),
            },
        )
