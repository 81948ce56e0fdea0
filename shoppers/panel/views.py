"""Staff pages of the panel: the shoppers of the programme (filtered, with their shop counts),
deciding applications, a shopper's page with the locations they must never shop, and the
programme's settings. The services (shoppers.panel.services) decide; a refusal is shown."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Value, When
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, apply_domain_error

from ..models import (
    ACTIVE_STATUSES,
    Assignment,
    AssignmentStatus,
    Certification,
    ShopperProfile,
    ShopperProgramme,
)
from . import services
from .forms import DecisionForm, ExclusionsForm, PanelFilterForm, ProgrammeForm

PAGE_SIZE = 50
Status = ShopperProfile.Status


def _profile(request, pk: int) -> ShopperProfile:
    return get_for_org(ShopperProfile.objects.select_related("user"), request.org, pk=pk)


def _shop_counts(org):
    """Shop counts of each shopper, in this organisation only (a shopper may be on several
    panels)."""
    mine = Q(user__assignments__organization=org)
    return {
        "shops_held": Count(
            "user__assignments", filter=mine & Q(user__assignments__status__in=ACTIVE_STATUSES)
        ),
        "shops_approved": Count(
            "user__assignments",
            filter=mine & Q(user__assignments__status=AssignmentStatus.APPROVED),
        ),
        "shops_total": Count("user__assignments", filter=mine),
    }


@require_GET
@org_view(Cap.MANAGE_ASSIGNMENTS)
def panel(request):
    org = request.org
    profiles = ShopperProfile.objects.for_org(org)
    regions = sorted(
        r for r in profiles.exclude(home_region="").values_list("home_region", flat=True).distinct()
    )
    form = PanelFilterForm(request.GET or None, regions=regions)
    found = profiles.select_related("user").annotate(**_shop_counts(org))
    if q := form.value("q"):
        found = found.filter(Q(user__email__icontains=q) | Q(user__full_name__icontains=q))
    if status := form.value("status"):
        found = found.filter(status=status)
    if region := form.value("region"):
        found = found.filter(home_region=region)
    if (rating := form.value("min_rating")) is not None:
        found = found.filter(rating__gte=rating)
    # Applications first (they wait for someone), then by name.
    found = found.annotate(
        waiting=Case(When(status=Status.PENDING, then=Value(0)), default=Value(1))
    ).order_by("waiting", "user__full_name", "user__email", "pk")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = profiles.filter(status=Status.PENDING).count()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "shoppers/staff/panel.html",
        {
            "org": org,
            "form": form,
            "page": page,
            "waiting": waiting,
            "query": query.urlencode(),
            "filtered": any(form.value(n) for n in ("q", "status", "region", "min_rating")),
        },
    )


@require_GET
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shopper_detail(request, pk: int):
    return _detail_page(request, _profile(request, pk))


def _detail_page(request, profile: ShopperProfile, form: ExclusionsForm | None = None):
    org = request.org
    shops = (
        Assignment.objects.for_org(org)
        .filter(shopper=profile.user)
        .select_related("scenario", "location", "wave")
        .order_by("-window_start", "-pk")
    )
    counts = dict(
        shops.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    certifications = (
        Certification.objects.for_org(org)
        .filter(shopper=profile.user)
        .select_related("scenario")
        .order_by("scenario__title", "-created_at")
    )
    form = form or ExclusionsForm(
        organization=org,
        initial={
            "excluded_locations": list(profile.excluded_locations.all()),
            "staff_notes": profile.staff_notes,
        },
    )
    return render(
        request,
        "shoppers/staff/shopper_detail.html",
        {
            "org": org,
            "profile": profile,
            "programme": ShopperProgramme.of(org),
            "shops": shops[:25],
            "shop_total": sum(counts.values()),
            "counts": [
                (label, counts[value])
                for value, label in AssignmentStatus.choices
                if counts.get(value)
            ],
            "certifications": certifications,
            "form": form,
        },
    )


def _decide(request, pk: int, decide, done: str):
    profile = _profile(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
    elif form.cleaned_data["seen"] != profile.status:
        messages.error(
            request,
            f"This shopper's status changed meanwhile: they are now "
            f"{profile.get_status_display().lower()}. Nothing was done.",
        )
    else:
        try:
            decide(profile=profile, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            name = profile.user.get_full_name() or profile.user.email
            messages.success(request, done.format(name=name))
    return redirect("shoppers:shopper_detail", org_slug=request.org.slug, pk=profile.pk)


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shopper_approve(request, pk: int):
    return _decide(request, pk, services.approve_shopper, "{name} is an active shopper.")


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shopper_decline(request, pk: int):
    return _decide(request, pk, services.decline_shopper, "The application of {name} was declined.")


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shopper_deactivate(request, pk: int):
    return _decide(
        request, pk, services.deactivate_shopper, "{name} is inactive: no new jobs from now on."
    )


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shopper_exclusions(request, pk: int):
    org = request.org
    profile = _profile(request, pk)
    form = ExclusionsForm(request.POST, organization=org)
    if form.is_valid():
        try:
            services.set_exclusions(
                profile=profile,
                locations=list(form.cleaned_data["excluded_locations"]),
                notes=form.cleaned_data["staff_notes"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Saved: the locations never to shop and the notes.")
            return redirect("shoppers:shopper_detail", org_slug=org.slug, pk=profile.pk)
    return _detail_page(request, profile, form)


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ASSIGNMENTS)
def programme_settings(request):
    org = request.org
    programme = ShopperProgramme.of(org)
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_programme(programme=programme, values=form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "The programme's settings are saved.")
            return redirect("shoppers:programme_settings", org_slug=org.slug)
    return render(
        request,
        "shoppers/staff/programme_settings.html",
        {"org": org, "form": form, "programme": programme},
    )
