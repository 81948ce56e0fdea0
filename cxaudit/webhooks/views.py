"""The organisation's webhook pages (program admins, Administer › Webhooks): endpoints (list,
create, edit, disable, new secret), their deliveries with every attempt, and "replay"."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, apply_domain_error
from cxaudit.messaging.models import State

from . import services
from .forms import EndpointEditForm, EndpointForm
from .models import Delivery, Endpoint

PAGE_SIZE = 50
# Session key holding a new secret until the endpoint's page shows it (once, then removed).
SHOWN_SECRET = "webhooks.new_secret"  # noqa: S105 (a key name, not a secret)


def _show_once(request, endpoint: Endpoint, secret: str) -> None:
    request.session[SHOWN_SECRET] = {"endpoint": endpoint.pk, "secret": secret}


def _take_secret(request, endpoint: Endpoint) -> str:
    held = request.session.get(SHOWN_SECRET)
    if isinstance(held, dict) and held.get("endpoint") == endpoint.pk:
        del request.session[SHOWN_SECRET]
        return str(held.get("secret", ""))
    return ""


@require_GET
@org_view(Cap.MANAGE_WEBHOOKS)
def endpoint_list(request):
    endpoints = (
        Endpoint.objects.for_org(request.org)
        .annotate(
            delivered=Count("deliveries", filter=Q(deliveries__state="sent")),
            failing=Count("deliveries", filter=Q(deliveries__state__in=["failed", "retry"])),
            last_delivery=Max("deliveries__created_at"),
        )
        .order_by("-is_active", "-created_at", "-pk")
    )
    return render(
        request, "webhooks/endpoint_list.html", {"org": request.org, "endpoints": endpoints}
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_WEBHOOKS)
@submit_once
def endpoint_create(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.register_endpoint(
                organization=request.org,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                actor=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            _show_once(request, made.endpoint, made.secret)
            messages.success(request, "Endpoint registered. Copy its signing secret now.")
            return redirect("webhooks:endpoint_detail", request.org.slug, made.endpoint.pk)
    return render(
        request, "webhooks/endpoint_form.html", {"org": request.org, "form": form, "endpoint": None}
    )


@require_GET
@org_view(Cap.MANAGE_WEBHOOKS)
def endpoint_detail(request, pk):
    endpoint = get_for_org(Endpoint, request.org, pk=pk)
    deliveries = endpoint.deliveries.only(
        "pk",
        "event",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "due_at",
        "replay_of_id",
        "endpoint_id",
    )
    state = request.GET.get("state", "")
    if state in State.values:
        deliveries = deliveries.filter(state=state)
    else:
        state = ""
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "org": request.org,
            "endpoint": endpoint,
            "page": page,
            "state": state,
            "states": State.choices,
            "secret": _take_secret(request, endpoint),
        },
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_WEBHOOKS)
def endpoint_edit(request, pk):
    endpoint = get_for_org(Endpoint, request.org, pk=pk)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "is_active": endpoint.is_active,
    }
    form = EndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_endpoint(
                endpoint=endpoint,
                url=data["url"],
                events=data["events"],
                description=data["description"],
                is_active=data["is_active"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Endpoint saved.")
            return redirect("webhooks:endpoint_detail", request.org.slug, endpoint.pk)
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"org": request.org, "form": form, "endpoint": endpoint},
    )


@require_POST
@org_view(Cap.MANAGE_WEBHOOKS)
def endpoint_disable(request, pk):
    endpoint = get_for_org(Endpoint, request.org, pk=pk)
    if services.disable_endpoint(endpoint=endpoint):
        messages.success(request, "Endpoint disabled; deliveries waiting for it were cancelled.")
    else:
        messages.info(request, "The endpoint was already disabled.")
    return redirect("webhooks:endpoint_detail", request.org.slug, endpoint.pk)


@require_POST
@org_view(Cap.MANAGE_WEBHOOKS)
def endpoint_rotate_secret(request, pk):
    endpoint = get_for_org(Endpoint, request.org, pk=pk)
    _show_once(request, endpoint, services.rotate_secret(endpoint=endpoint))
    messages.success(request, "New signing secret made; the old one no longer signs.")
    return redirect("webhooks:endpoint_detail", request.org.slug, endpoint.pk)


@require_GET
@org_view(Cap.MANAGE_WEBHOOKS)
def delivery_detail(request, pk):
    delivery = get_for_org(Delivery.objects.select_related("endpoint"), request.org, pk=pk)
    return render(
        request,
        "webhooks/delivery_detail.html",
        {
            "org": request.org,
            "delivery": delivery,
            "endpoint": delivery.endpoint,
            "tries": delivery.tries.all(),
            "replays": delivery.replays.only("pk", "state", "created_at"),
            "body": _pretty(delivery.body),
        },
    )


def _pretty(body: str) -> str:
    """The body indented for reading (the bytes sent are the compact original)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


@require_POST
@org_view(Cap.MANAGE_WEBHOOKS)
def delivery_replay(request, pk):
    delivery = get_for_org(Delivery, request.org, pk=pk)
    try:
        replay = services.replay_delivery(delivery=delivery)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("webhooks:delivery_detail", request.org.slug, delivery.pk)
    messages.success(request, "Queued again as a new delivery (same event id).")
    return redirect("webhooks:delivery_detail", request.org.slug, replay.pk)
