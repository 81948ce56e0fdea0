"""PDF report cards: a shop's and a location's (the same permission and scope as their pages,
so outsiders get 404), zips of every location of a wave with their progress, and the
organisation's email setting."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import DomainError
from cxaudit.insights.views_heatmap import Scope
from cxaudit.journeys.models import Wave
from shoppers.reports.views import card_context, visible_shop

from . import services
from .forms import BatchForm, PdfSettingsForm
from .models import PdfBatch, PdfSettings
from .rendering import location_filename, shop_filename
from .rendering import location_pdf as render_location_pdf
from .rendering import shop_pdf as render_shop_pdf

BATCHES_LISTED = 20


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@org_view(Cap.VIEW_ORG)
def shop_pdf(request, pk: int):
    """A shop's report card as PDF (whoever may see the card: shoppers/reports/views.py)."""
    shop = visible_shop(request, pk)
    return _pdf(render_shop_pdf(card_context(request, shop)), shop_filename(shop))


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def location_pdf(request, code: str):
    """A location's report card for a wave (?wave=, else the default wave) as PDF."""
    scope = Scope(request, need_wave=True)
    location = next((x for x in scope.visible if x.code == code), None)
    if location is None or scope.wave is None:
        raise Http404("Not found.")
    data = render_location_pdf(
        organization=request.org, location=location, wave=scope.wave, waves=scope.waves
    )
    return _pdf(data, location_filename(location, scope.wave))


def _visible_batches(request):
    """The organisation's batches whose every location the member may see."""
    scope = location_scope(request)
    batches = PdfBatch.objects.for_org(request.org).select_related("wave", "requested_by")
    if not scope.limited:
        return list(batches[:BATCHES_LISTED])
    # Few rows per organisation (they expire): filtered here on the stored id lists.
    return [b for b in batches[:200] if set(b.location_ids) <= scope.location_ids][:BATCHES_LISTED]


def _batch(request, pk: int) -> PdfBatch:
    batch = get_for_org(PdfBatch.objects.select_related("wave"), request.org, pk=pk)
    scope = location_scope(request)
    if scope.limited and not set(batch.location_ids) <= scope.location_ids:
        raise Http404("Not found.")
    return batch


@require_http_methods(["GET", "POST"])
@org_view(Cap.VIEW_INSIGHTS)
@submit_once
def batches(request):
    """The zips of report cards: ask for one (POST), see the recent ones."""
    org = request.org
    form = BatchForm(request.POST or None, organization=org)
    if not request.POST and (wave_pk := request.GET.get("wave", "")).isdigit():
        wave = Wave.objects.for_org(org).filter(pk=wave_pk).first()
        if wave is not None:
            form = BatchForm(initial={"wave": wave}, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.request_batch(
                organization=org,
                wave=form.cleaned_data["wave"],
                requested_by=request.user,
                locations=list(location_scope(request).locations()),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("reportpdfs:batch", org.slug, batch.pk)
    return render(
        request,
        "reportpdfs/batches.html",
        {
            "org": org,
            "form": form,
            "batches": _visible_batches(request),
            "settings_form": PdfSettingsForm(instance=PdfSettings.of(org)),
            "can_manage": request.org_ctx.can(Cap.MANAGE_ORG),
            "keep_hours": settings.CXAUDIT_PDF_KEEP_HOURS,
        },
    )


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def batch(request, pk: int):
    """One zip: its progress while it is built, its download link when it is ready."""
    return render(
        request, "reportpdfs/batch.html", {"org": request.org, "batch": _batch(request, pk)}
    )


def status_payload(batch: PdfBatch) -> dict:
    return {
        "state": batch.state,
        "state_label": batch.get_state_display(),
        "done": batch.done,
        "total": batch.total,
        "percent": batch.percent,
        "finished": batch.is_finished,
    }


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def batch_status(request, pk: int):
    response = JsonResponse(status_payload(_batch(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def batch_download(request, pk: int):
    """The zip, while it is kept (404 before it is ready and after it expired)."""
    found = _batch(request, pk)
    if found.state != PdfBatch.State.READY or not found.file:
        raise Http404("Not found.")
    response = FileResponse(
        found.file.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"report-cards-{found.wave.pk}-{found.pk}.zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@org_view(Cap.MANAGE_ORG)
def pdf_settings(request):
    """Turn the wave report emails on or off for the organisation."""
    form = PdfSettingsForm(request.POST, instance=PdfSettings.of(request.org))
    if form.is_valid():
        services.set_pdf_settings(
            organization=request.org,
            email_managers_on_close=form.cleaned_data["email_managers_on_close"],
        )
        messages.success(request, "Saved.")
    return redirect("reportpdfs:batches", request.org.slug)
