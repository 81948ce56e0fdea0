from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import ValidationFailed

from . import services
from .forms import KpiForm, KpiImportForm
from .models import Kpi


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def kpi_list(request):
    only = location_scope(request).only_locations
    figures = services.kpi_figures(organization=request.org, only_locations=only)
    return render(request, "insights/kpis/list.html", {"org": request.org, "figures": figures})


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def kpi_edit(request, pk=None):
    instance = get_for_org(Kpi, request.org, pk=pk) if pk else None
    form = KpiForm(request.POST or None, instance=instance, organization=request.org)
    if request.method == "POST" and form.is_valid():
        kpi = form.save()
        messages.success(request, f"KPI “{kpi.name}” saved.")
        return HttpResponseRedirect(reverse("insights:kpi_list", args=[request.org.slug]))
    return render(
        request, "insights/kpis/form.html", {"org": request.org, "form": form, "object": instance}
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.IMPORT_RESPONSES)
@submit_once
def kpi_import(request):
    form = KpiImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[str, str]] = []
    error_total = 0
    if request.method == "POST" and form.is_valid():
        try:
            report = services.import_kpi_values(
                organization=request.org, data=form.cleaned_data["file"].read()
            )
        except ValidationFailed as exc:
            errors, error_total = exc.errors, exc.total
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"KPI values imported: {report.created} new, {report.updated} changed."
            )
            return HttpResponseRedirect(reverse("insights:kpi_list", args=[request.org.slug]))
    return render(
        request,
        "insights/kpis/import.html",
        {
            "org": request.org,
            "form": form,
            "errors": errors,
            "error_total": error_total,
            "columns": services.COLUMNS,
        },
    )
