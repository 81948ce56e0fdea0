"""Payouts (program admins): what is owed per shopper, making a batch of it, the batches, one
batch's shops, marking it paid and its CSV (through the formula-safe writer)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError
from cxaudit.exports import csv_response

from ..models import Assignment, PayoutBatch, ShopperProgramme
from . import services
from .forms import BatchForm, PaidForm

PAGE_SIZE = 50


def render_payouts(request, *, form=None, status: int = 200):
    owed = services.owed(organization=request.org)
    batches = PayoutBatch.objects.for_org(request.org).select_related("created_by", "paid_by")
    return render(
        request,
        "shoppers/payouts/payouts.html",
        {
            "org": request.org,
            "owed": owed,
            "owed_total": sum((o.total for o in owed), start=services.ZERO),
            "owed_shops": sum(o.shops for o in owed),
            "currency": ShopperProgramme.of(request.org).currency,
            "form": form,
            "page": Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page")),
        },
        status=status,
    )


@require_GET
@org_view(Cap.MANAGE_PAYOUTS)
def payouts(request):
    return render_payouts(request)


@require_POST
@org_view(Cap.MANAGE_PAYOUTS)
@submit_once
def payout_create(request):
    ids = [o.shopper_id for o in services.owed(organization=request.org)]
    form = BatchForm(request.POST, shopper_ids=ids)
    if not form.is_valid():
        return render_payouts(request, form=form)
    try:
        batch = services.create_batch(
            organization=request.org, actor=request.user, shopper_ids=form.chosen()
        )
    except DomainError as exc:
        messages.warning(request, exc.message)
        return redirect("shoppers:payouts", org_slug=request.org.slug)
    messages.success(
        request,
        f"Batch {batch.reference} made: {batch.shops} shop{'s' if batch.shops != 1 else ''}, "
        f"{batch.currency} {batch.total:.2f}. Pay it, then mark it paid here.",
    )
    return redirect("shoppers:payout_batch", org_slug=request.org.slug, pk=batch.pk)


def render_batch(request, batch: PayoutBatch, *, form=None):
    shops = (
        Assignment.objects.for_org(request.org)
        .filter(payout_batch=batch)
        .select_related("shopper", "scenario", "location", "wave")
        .order_by("shopper__email", "decided_at", "pk")
    )
    return render(
        request,
        "shoppers/payouts/batch.html",
        {
            "org": request.org,
            "batch": batch,
            "form": form or PaidForm(),
            "page": Paginator(shops, PAGE_SIZE).get_page(request.GET.get("page")),
        },
    )


def _batch(request, pk: int) -> PayoutBatch:
    batches = PayoutBatch.objects.select_related("created_by", "paid_by")
    return get_for_org(batches, request.org, pk=pk)


@require_GET
@org_view(Cap.MANAGE_PAYOUTS)
def payout_batch(request, pk: int):
    return render_batch(request, _batch(request, pk))


@require_POST
@org_view(Cap.MANAGE_PAYOUTS)
@submit_once
def payout_paid(request, pk: int):
    batch = _batch(request, pk)
    form = PaidForm(request.POST)
    if not form.is_valid():
        return render_batch(request, batch, form=form)
    try:
        services.mark_paid(
            batch=batch,
            actor=request.user,
            payment_reference=form.cleaned_data["payment_reference"],
        )
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, f"Batch {batch.reference} marked paid.")
    return redirect("shoppers:payout_batch", org_slug=request.org.slug, pk=batch.pk)


@require_GET
@org_view(Cap.MANAGE_PAYOUTS)
def payout_batch_csv(request, pk: int):
    batch = _batch(request, pk)
    rows = services.batch_rows(batch)
    header = next(rows)
    return csv_response(f"{batch.reference}.csv", header, rows)
