"""Staff pages of scheduling: scenarios (list, create, edit, archive), shops (the list with its
filters, one by one, in bulk with a preview) and a shop's page with its history and the
actions its status allows (assign, take back, cancel, offer, answer a shopper's request).

Each action posts the status the page showed (SeenForm): when the shop changed meanwhile
nothing is done and the page says so; the services re-check under a row lock, and their
refusal (DomainError, InvalidTransition) is shown the same way, never as a server error."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, apply_domain_error

from ..models import (
    ACTIVE_STATUSES,
    Assignment,
    AssignmentEvent,
    JobOffer,
    JobRequest,
    Scenario,
    ShopperProfile,
    ShopperProgramme,
)
from . import services
from .forms import (
    AssignForm,
    BulkForm,
    OfferForm,
    ReasonForm,
    ScenarioForm,
    SeenForm,
    ShopFilterForm,
    ShopForm,
)

S = Assignment.Status
PAGE_SIZE = 50


# -- scenarios ---------------------------------------------------------------------------------


@require_GET
@org_view(Cap.MANAGE_ASSIGNMENTS)
def scenario_list(request):
    org = request.org
    archived = request.GET.get("show") == "archived"
    scenarios = (
        Scenario.objects.for_org(org)
        .filter(is_active=not archived)
        .select_related("touchpoint", "survey", "certification_survey")
        .annotate(
            shops_open=Count("assignments", filter=Q(assignments__status=S.OPEN)),
            shops_held=Count("assignments", filter=Q(assignments__status__in=ACTIVE_STATUSES)),
            shops_total=Count("assignments"),
        )
        .order_by("title", "pk")
    )
    page = Paginator(scenarios, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "shoppers/staff/scenario_list.html",
        {
            "org": org,
            "page": page,
            "archived": archived,
            "programme": ShopperProgramme.of(org),
        },
    )


def _scenario_page(request, form, scenario=None):
    return render(
        request,
        "shoppers/staff/scenario_form.html",
        {"org": request.org, "form": form, "scenario": scenario},
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def scenario_create(request):
    org = request.org
    form = ScenarioForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            scenario = services.save_scenario(organization=org, values=form.values())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Scenario “{scenario.title}” created.")
            return redirect("shoppers:scenario_list", org_slug=org.slug)
    return _scenario_page(request, form)


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ASSIGNMENTS)
def scenario_edit(request, pk: int):
    org = request.org
    scenario = get_for_org(Scenario, org, pk=pk)
    form = ScenarioForm(request.POST or None, instance=scenario, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            # A ModelForm's validation writes into its instance: save a fresh copy.
            services.save_scenario(
                organization=org, values=form.values(), scenario=get_for_org(Scenario, org, pk=pk)
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Scenario saved. Shops made already keep their fee.")
            return redirect("shoppers:scenario_list", org_slug=org.slug)
    return _scenario_page(request, form, get_for_org(Scenario, org, pk=pk))


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
def scenario_archive(request, pk: int):
    scenario = get_for_org(Scenario, request.org, pk=pk)
    restore = request.POST.get("restore") == "1"
    services.set_scenario_active(scenario=scenario, active=restore)
    if restore:
        messages.success(request, f"“{scenario.title}” is restored: new shops can use it.")
    else:
        messages.success(
            request, f"“{scenario.title}” is archived: no new shops; its shops stay as they are."
        )
    url = reverse("shoppers:scenario_list", args=[request.org.slug])
    return redirect(url if restore else f"{url}?show=archived")


# -- shops -------------------------------------------------------------------------------------


@require_GET
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shop_list(request):
    org = request.org
    form = ShopFilterForm(request.GET or None, organization=org)
    filters = form.filters() if request.GET else {}
    filters.pop("page", None)
    shops = (
        Assignment.objects.for_org(org)
        .filter(**filters)
        .select_related("scenario", "location", "wave", "shopper")
        .order_by("-window_start", "-pk")
    )
    page = Paginator(shops, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "shoppers/staff/shop_list.html",
        {
            "org": org,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": bool(filters),
            "programme": ShopperProgramme.of(org),
        },
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def shop_create(request):
    org = request.org
    form = ShopForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            shop = services.create_assignment(
                organization=org,
                scenario=data["scenario"],
                location=data["location"],
                wave=data["wave"],
                window_start=data["window_start"],
                window_end=data["window_end"],
                shopper=data["shopper"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            if shop.shopper_id:
                messages.success(request, f"Shop created and given to {shop.shopper}.")
            else:
                messages.success(request, "Shop created; it is open on the job board.")
            return redirect("shoppers:shop_detail", org_slug=org.slug, pk=shop.pk)
    return render(request, "shoppers/staff/shop_form.html", {"org": org, "form": form})


def _plan(org, data):
    return services.plan_bulk(
        organization=org,
        wave=data["wave"],
        scenarios=list(data["scenarios"]),
        locations=list(data["locations"]),
        visits=data["visits"],
        window_start=data["window_start"],
        window_end=data["window_end"],
        shoppers=list(data["shoppers"]) or None,
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def shop_bulk(request):
    """Step 1: the form; step 2 (preview): what would be made; step 3 (create): make it. A
    second run of the same choices makes nothing twice (each shop has a key)."""
    org = request.org
    step = request.POST.get("step", "preview")
    form = BulkForm(request.POST or None, organization=org)
    plan = None
    if request.method == "POST" and step != "edit" and form.is_valid():
        try:
            plan = _plan(org, form.cleaned_data)
            if step == "create":
                result = services.create_bulk(plan=plan, actor=request.user)
        except DomainError as exc:
            apply_domain_error(form, exc)
            plan = None
        else:
            if step == "create":
                messages.success(
                    request,
                    f"{result.created} shop{'s' if result.created != 1 else ''} created "
                    f"({result.assigned} given to shoppers); {result.skipped} existed already.",
                )
                url = reverse("shoppers:shop_list", args=[org.slug])
                return redirect(f"{url}?wave={plan.wave.pk}")
    preview = None
    if plan is not None:
        given = Counter(plan.assigned_to.values())
        new = len(plan.new)
        preview = {
            "total": plan.total,
            "existing": plan.total - new,
            "new": new,
            "assigned": sum(given.values()),
            "open": new - sum(given.values()),
            "given": sorted(given.items(), key=lambda kv: (kv[0].get_full_name(), kv[0].email)),
            "hidden": [
                (name, request.POST.getlist(name)) for name in form.fields if name in request.POST
            ],
        }
    return render(
        request,
        "shoppers/staff/shop_bulk.html",
        {"org": org, "form": form, "preview": preview},
    )


def _shop(request, pk: int) -> Assignment:
    shops = Assignment.objects.select_related(
        "organization",
        "scenario__touchpoint",
        "scenario__survey",
        "location",
        "wave",
        "shopper",
        "created_by",
        "reviewer",
    )
    return get_for_org(shops, request.org, pk=pk)


@require_GET
@org_view(Cap.MANAGE_ASSIGNMENTS)
def shop_detail(request, pk: int):
    return _shop_page(request, _shop(request, pk))


def _shop_page(request, shop: Assignment, **forms):
    org = request.org
    seen = {"seen": shop.status}
    events = AssignmentEvent.objects.filter(assignment=shop).select_related("actor")
    requests = JobRequest.objects.filter(assignment=shop).select_related("shopper")
    offers = JobOffer.objects.filter(assignment=shop).select_related("shopper", "offered_by")
    profile = None
    if shop.shopper_id:
        profile = ShopperProfile.objects.for_org(org).filter(user_id=shop.shopper_id).first()
    context = {
        "org": org,
        "shop": shop,
        "programme": ShopperProgramme.of(org),
        "events": events,
        "requests": requests,
        "offers": offers,
        "profile": profile,
        "can_assign": shop.status == S.OPEN,
        "can_unassign": shop.status == S.ASSIGNED,
        "can_cancel": shop.status in (S.OPEN, S.ASSIGNED, S.IN_PROGRESS),
        "assign_form": forms.get("assign")
        or AssignForm(initial=seen, organization=org, prefix="assign"),
        "offer_form": forms.get("offer")
        or OfferForm(initial=seen, organization=org, prefix="offer"),
        "unassign_form": forms.get("unassign") or ReasonForm(initial=seen, prefix="unassign"),
        "cancel_form": forms.get("cancel") or ReasonForm(initial=seen, prefix="cancel"),
    }
    return render(request, "shoppers/staff/shop_detail.html", context)


def _changed(request, shop: Assignment, form) -> bool:
    """True (and a message) when the shop is no longer in the status the page showed."""
    seen = form.data.get(f"{form.prefix}-seen" if form.prefix else "seen")
    if seen == shop.status:
        return False
    if not seen:
        messages.error(request, "The form was incomplete: reload the page and try again.")
        return True
    messages.error(
        request,
        "This shop was changed by someone else meanwhile: it is now "
        f"{shop.get_status_display().lower()}. Nothing was done; check it below.",
    )
    return True


def _changed_since(request, shop: Assignment, form) -> bool:
    """After a refusal: True (and the message) when someone else moved the shop while this
    request waited for its lock, which says more than the status machine's refusal."""
    now = Assignment.objects.filter(pk=shop.pk).values_list("status", flat=True).first()
    if now is None or now == shop.status:
        return False
    shop.status = now
    return _changed(request, shop, form)


def _back(request, shop: Assignment):
    return redirect("shoppers:shop_detail", org_slug=request.org.slug, pk=shop.pk)


def _act(request, shop: Assignment, form, name: str, action, done: str):
    """Validate `form`, check the status the page showed, call `action(form.cleaned_data)`;
    a refusal is shown (next to the field it names when it names one)."""
    if _changed(request, shop, form):
        return _back(request, shop)
    if form.is_valid():
        try:
            text = action(form.cleaned_data)
        except DomainError as exc:
            if _changed_since(request, shop, form):
                return _back(request, shop)
            if exc.field and exc.field in form.fields:
                apply_domain_error(form, exc)
            else:
                messages.error(request, exc.message)
                return _back(request, shop)
        else:
            messages.success(request, text or done)
            return _back(request, shop)
    return _shop_page(request, _shop(request, shop.pk), **{name: form})


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def shop_assign(request, pk: int):
    shop = _shop(request, pk)
    form = AssignForm(request.POST, organization=request.org, prefix="assign")

    def assign(data):
        services.assign_shopper(assignment=shop, shopper=data["shopper"], actor=request.user)
        return f"The shop is given to {data['shopper']}; they get an email."

    return _act(request, shop, form, "assign", assign, "")


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def shop_unassign(request, pk: int):
    shop = _shop(request, pk)
    form = ReasonForm(request.POST, prefix="unassign")

    def unassign(data):
        services.unassign(assignment=shop, actor=request.user, reason=data["reason"])

    return _act(request, shop, form, "unassign", unassign, "Taken back: the job is open again.")


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def shop_cancel(request, pk: int):
    shop = _shop(request, pk)
    form = ReasonForm(request.POST, prefix="cancel")

    def cancel(data):
        services.cancel(assignment=shop, actor=request.user, reason=data["reason"])

    return _act(request, shop, form, "cancel", cancel, "The shop is cancelled.")


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def shop_offer(request, pk: int):
    shop = _shop(request, pk)
    form = OfferForm(request.POST, organization=request.org, prefix="offer")

    def offer(data):
        result = services.offer_job(
            assignment=shop, shoppers=list(data["shoppers"]), actor=request.user
        )
        for user, why in result.skipped:
            messages.warning(request, f"Not offered to {user}: {why}.")
        n = len(result.offered)
        if not n:
            raise DomainError("The job was offered to nobody.", field="shoppers")
        return f"Offered to {n} shopper{'s' if n != 1 else ''} by email."

    return _act(request, shop, form, "offer", offer, "")


def _job_request(request, pk: int, request_pk: int) -> JobRequest:
    requests = JobRequest.objects.filter(assignment_id=pk).select_related(
        "shopper", "organization", "assignment"
    )
    return get_for_org(requests, request.org, pk=request_pk)


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def request_accept(request, pk: int, request_pk: int):
    job_request = _job_request(request, pk, request_pk)
    shop = _shop(request, pk)
    form = SeenForm(request.POST)

    def accept(data):
        services.accept_request(request=job_request, actor=request.user)
        return f"The shop is given to {job_request.shopper}; they get an email."

    return _act(request, shop, form, "", accept, "")


@require_POST
@org_view(Cap.MANAGE_ASSIGNMENTS)
@submit_once
def request_decline(request, pk: int, request_pk: int):
    job_request = _job_request(request, pk, request_pk)
    shop = _shop(request, pk)
    form = SeenForm(request.POST)

    def decline(data):
        services.decline_request(request=job_request, actor=request.user)

    return _act(request, shop, form, "", decline, "The request is declined.")
