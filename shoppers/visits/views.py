"""The shopper's own shops: "My shops" (their home in the programme), a shop's page (brief,
window, deadline, status, review comments; release, start the visit, record its details), the
visit form through the form engine, its receipt, the evidence of their own shop, and their
earnings. Every shop is loaded through the organisation and the logged-in shopper, so another
shopper's shop, evidence or form is not found (404)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, ValidationFailed, apply_domain_error
from surveys.models import Evidence, Response
from surveys.questionnaire.structure import load_structure
from surveys.responses.forms import raw_from_post
from surveys.responses.services import save_form_draft
from surveys.responses.views import serve_evidence

from ..engine import (
    AutosaveDraftView,
    ProgrammeDraftMixin,
    ShowDraftView,
    SubmitDraftView,
    UploadDraftView,
)
from ..models import (
    ACTIVE_STATUSES,
    REVIEWABLE_STATUSES,
    Assignment,
    AssignmentEvent,
    JobOffer,
    ShopperProfile,
    ShopperProgramme,
)
from ..payouts.services import earnings as earnings_of
from ..scheduling import services as scheduling
from . import services
from .forms import ReleaseForm, VisitDetailsForm

S = Assignment.Status
EDITABLE = (S.IN_PROGRESS, S.RETURNED)
DONE = (S.APPROVED, S.REJECTED, S.CANCELLED, S.EXPIRED)
PAGE_SIZE = 20


def my_shops(request):
    return Assignment.objects.for_org(request.org).filter(shopper=request.user)


def my_shop(request, pk: int, *related: str) -> Assignment:
    """One of the logged-in shopper's shops (404 for anybody else's)."""
    shops = Assignment.objects.filter(shopper=request.user).select_related(
        "scenario__touchpoint", "location", "wave", *related
    )
    return get_for_org(shops, request.org, pk=pk)


def profile_of(request) -> ShopperProfile | None:
    return ShopperProfile.objects.for_org(request.org).filter(user=request.user).first()


# -- my shops ------------------------------------------------------------------------------------


@require_GET
@org_view(Cap.SHOP)
def home(request):
    org = request.org
    profile = profile_of(request)
    if profile is None or profile.status in (
        ShopperProfile.Status.PENDING,
        ShopperProfile.Status.DECLINED,
    ):
        return render(
            request, "shoppers/visits/home_waiting.html", {"org": org, "profile": profile}
        )
    shops = my_shops(request).select_related("scenario", "location", "wave")
    history = Paginator(
        shops.filter(status__in=DONE).order_by("-updated_at", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    offers = (
        JobOffer.objects.for_org(org)
        .filter(
            shopper=request.user,
            status=JobOffer.Status.OFFERED,
            assignment__status=S.OPEN,
            assignment__window_end__gt=timezone.now(),
        )
        .select_related("assignment__scenario", "assignment__location")
        .order_by("assignment__deadline", "pk")
    )
    return render(
        request,
        "shoppers/visits/home.html",
        {
            "org": org,
            "profile": profile,
            "todo": list(shops.filter(status__in=ACTIVE_STATUSES).order_by("deadline", "pk")),
            "in_review": list(
                shops.filter(status__in=REVIEWABLE_STATUSES).order_by("submitted_at", "pk")
            ),
            "history": history,
            "offers": list(offers),
            "now": timezone.now(),
        },
    )


# -- a shop's page -------------------------------------------------------------------------------


def visible_events(shop: Assignment) -> list[AssignmentEvent]:
    """What the shopper may see of the audit trail: status changes and review comments since
    the shop became theirs (never what happened under an earlier holder, nor staff edits)."""
    since = shop.assigned_at or shop.created_at
    events = shop.events.filter(at__gte=since).select_related("actor").order_by("at", "pk")
    return [e for e in events if e.shopper_visible and e.kind != AssignmentEvent.Kind.CREATED]


def render_shop(request, shop: Assignment, *, details_form=None, release_form=None):
    programme = ShopperProgramme.of(request.org)
    events = visible_events(shop)
    last_word = next(
        (
            e
            for e in reversed(events)
            if e.to_status in (S.RETURNED, S.REJECTED, S.APPROVED) and e.reason
        ),
        None,
    )
    if details_form is None and shop.status in EDITABLE:
        details_form = VisitDetailsForm(assignment=shop, currency=programme.currency)
    now = timezone.now()
    return render(
        request,
        "shoppers/visits/assignment.html",
        {
            "org": request.org,
            "shop": shop,
            "programme": programme,
            "events": events,
            "last_word": last_word,
            "details_form": details_form,
            "release_form": release_form or ReleaseForm(),
            "now": now,
            "window_open": shop.window_start <= now,
            "overdue": shop.deadline < now,
        },
    )


@require_GET
@org_view(Cap.SHOP)
def assignment(request, pk: int):
    return render_shop(request, my_shop(request, pk, "response"))


@require_POST
@org_view(Cap.SHOP)
def release(request, pk: int):
    shop = my_shop(request, pk)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        return render_shop(request, shop, release_form=form)
    try:
        scheduling.release(
            assignment=shop, shopper=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("shoppers:assignment", org_slug=request.org.slug, pk=shop.pk)
    messages.success(request, f"You gave back “{shop.scenario.title}”; it is open to others again.")
    return redirect("shoppers:home", org_slug=request.org.slug)


@require_POST
@org_view(Cap.SHOP)
def start(request, pk: int):
    shop = my_shop(request, pk)
    try:
        shop = services.start_visit(assignment=shop, shopper=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("shoppers:assignment", org_slug=request.org.slug, pk=shop.pk)
    messages.success(
        request,
        f"Visit started at {timezone.localtime(shop.started_at):%H:%M}. Fill in the form as you "
        "go; it is saved as you type.",
    )
    return redirect("shoppers:visit_respond", org_slug=request.org.slug, pk=shop.pk)


@require_POST
@org_view(Cap.SHOP)
def record(request, pk: int):
    shop = my_shop(request, pk, "response")
    currency = ShopperProgramme.of(request.org).currency
    form = VisitDetailsForm(request.POST, assignment=shop, currency=currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_visit(
                assignment=shop,
                shopper=request.user,
                visited_at=data["visited_at"],
                visit_minutes=data["visit_minutes"],
                expense_claimed=data.get("expense_claimed"),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Visit details saved.")
            url = reverse("shoppers:assignment", args=[request.org.slug, shop.pk])
            return HttpResponseRedirect(f"{url}#visit-details")
    return render_shop(request, shop, details_form=form)


@require_GET
@org_view(Cap.SHOP)
def evidence(request, pk: int, key):
    """A file of the shopper's own shop (never another shopper's: 404)."""
    shop = my_shop(request, pk)
    if shop.response_id is None:
        raise Http404("Not found.")
    return serve_evidence(get_for_org(Evidence, request.org, key=key, response_id=shop.response_id))


# -- the visit form (the form engine, through the shop) ------------------------------------------


class VisitDraftMixin(ProgrammeDraftMixin):
    """The visit form's draft of the logged-in shopper's shop, open while the shop is in
    progress or returned for edits; submitted through shoppers.visits.services.submit_visit."""

    url_prefix = "shoppers:visit"

    def shop(self) -> Assignment:
        if not hasattr(self, "_shop"):
            shops = Assignment.objects.filter(shopper=self.request.user).select_related(
                "scenario", "location", "wave", "response__survey"
            )
            self._shop = get_for_org(shops, self.org, pk=self.kwargs["pk"])
        return self._shop

    def get_draft(self) -> Response | None:
        return self.shop().response

    def is_open(self) -> bool:
        return self.shop().status in EDITABLE

    def closed_url(self) -> str:
        return reverse("shoppers:assignment", args=[self.org.slug, self.kwargs["pk"]])

    @property
    def closed_message(self) -> str:
        status = self.shop().status
        if status == S.ASSIGNED:
            return "Start the visit first: its form opens then."
        if status in REVIEWABLE_STATUSES:
            return "This shop was sent for review; it can be changed only if it is returned."
        if status == S.EXPIRED:
            return "The deadline of this shop has passed; it can no longer be sent."
        return f"This shop is {self.shop().get_status_display().lower()}; its form is closed."

    def evidence_url(self, evidence: Evidence) -> str:
        args = [self.org.slug, self.shop().pk, evidence.key]
        return reverse("shoppers:visit_evidence", args=args)

    def form_context(self, response):
        shop = self.shop()
        return {
            "form_header": "shoppers/visits/_form_header.html",
            "shop": shop,
            "overdue": shop.deadline < timezone.now(),
        }

    def submit(self, request, response: Response):
        shop = self.shop()
        if not self.is_open():
            if response.status == Response.Status.SUBMITTED:  # sent twice: the same receipt
                return HttpResponseRedirect(self.receipt_url(response))
            return self.closed(request)
        structure = load_structure(response.survey)
        raw = raw_from_post(request.POST, structure)
        upload_errors = self._attach_posted_files(request, response, structure, raw)
        try:
            if upload_errors:
                save_form_draft(response=response, raw_answers=raw)
                raise ValidationFailed("A file could not be accepted.", upload_errors)
            services.submit_visit(assignment=shop, shopper=request.user, raw_answers=raw)
        except ValidationFailed as exc:
            return self.render_form(
                request, survey=response.survey, response=response, raw=raw, errors=exc.errors
            )
        except DomainError as exc:
            # Visit details missing, deadline passed...: said above the form, answers kept.
            messages.error(request, exc.message)
            response.refresh_from_db()
            return self.render_form(request, survey=response.survey, response=response, raw=raw)
        return HttpResponseRedirect(self.receipt_url(response))


class VisitFormView(VisitDraftMixin, ShowDraftView):
    pass


class VisitAutosaveView(VisitDraftMixin, AutosaveDraftView):
    pass


class VisitUploadView(VisitDraftMixin, UploadDraftView):
    pass


class VisitSubmitView(VisitDraftMixin, SubmitDraftView):
    pass


class VisitReceiptView(VisitDraftMixin, ShowDraftView):
    def get(self, request, **kwargs):
        shop = self.shop()
        response = shop.response
        if response is None or response.status != Response.Status.SUBMITTED:
            return HttpResponseRedirect(self.endpoint_urls(response)["respond"])
        return render(
            request,
            "shoppers/visits/receipt.html",
            {
                "org": self.org,
                "shop": shop,
                "response": response,
                "answer_count": response.answers.count(),
            },
        )


# -- earnings ------------------------------------------------------------------------------------


@require_GET
@org_view(Cap.SHOP)
def earnings(request):
    """The logged-in shopper's money in this programme and their approved shops (theirs only:
    there is no way to name another shopper here)."""
    approved = (
        my_shops(request)
        .filter(status=S.APPROVED)
        .select_related("scenario", "location", "payout_batch")
        .order_by("-decided_at", "-pk")
    )
    return render(
        request,
        "shoppers/visits/earnings.html",
        {
            "org": request.org,
            "totals": earnings_of(organization=request.org, shopper=request.user),
            "currency": ShopperProgramme.of(request.org).currency,
            "page": Paginator(approved, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )
