from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cxaudit.messaging import registry
from cxaudit.messaging.models import Message
from cxaudit.messaging.services import retry_message

from ..permissions import Cap, get_for_org, org_view
from .forms import OutboxFilterForm

PAGE_SIZE = 50


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _labels() -> dict[str, str]:
    return {p.name: p.label for p in registry.all_purposes()}


@require_GET
@org_view(Cap.MANAGE_OUTBOX)
def outbox_list(request):
    form = OutboxFilterForm(request.GET or None)
    messages_qs = Message.objects.for_org(request.org).order_by("-created_at", "-pk")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["state"]:
            messages_qs = messages_qs.filter(state=data["state"])
        if data["purpose"]:
            messages_qs = messages_qs.filter(purpose=data["purpose"])
        if data["recipient"]:
            messages_qs = messages_qs.filter(to_email__icontains=data["recipient"].strip())
        if data["since"]:
            messages_qs = messages_qs.filter(created_at__gte=_day_start(data["since"]))
        if data["until"]:
            end = _day_start(data["until"]) + dt.timedelta(days=1)
            messages_qs = messages_qs.filter(created_at__lt=end)
    elif form.is_bound:
        messages_qs = messages_qs.none()
    page = Paginator(
        messages_qs.only(
            "pk",
            "purpose",
            "to_email",
            "state",
            "attempts",
            "subject",
            "last_error",
            "created_at",
            "sent_at",
            "due_at",
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    labels = _labels()
    for m in page:
        m.purpose_label = labels.get(m.purpose, m.purpose)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/outbox_list.html",
        {
            "org": request.org,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": form.is_bound,
        },
    )


@require_GET
@org_view(Cap.MANAGE_OUTBOX)
def outbox_detail(request, pk):
    message = get_for_org(Message, request.org, pk=pk)
    return render(
        request,
        "accounts/outbox_detail.html",
        {"org": request.org, "message": message, "label": _labels().get(message.purpose)},
    )


@require_POST
@org_view(Cap.MANAGE_OUTBOX)
def outbox_retry(request, pk):
    message = get_for_org(Message, request.org, pk=pk)
    if retry_message(message=message):
        messages.success(request, f"The message to {message.to_email} is queued again.")
    else:
        messages.info(
            request,
            f"Nothing to retry: the message is {message.get_state_display().lower()}.",
        )
    return HttpResponseRedirect(reverse("accounts:outbox_detail", args=[request.org.slug, pk]))
