"""Insights views. The gap report download; dashboards build on cxaudit.insights.gaps."""

from __future__ import annotations

import io
import json

from django.http import Http404, HttpResponse
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.journeys.models import Channel, Dimension, Stage, Wave

from .gaps import analyse_gaps
from .gaps.report import report_dict, write_gap_csv


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def gap_report_download(request):
    """The gap report as a JSON or CSV file: ?wave=NAME&location=CODE&format=json|csv, and
    optionally the dashboard's other filters: &stage=PK&channel=VALUE&dimension=VALUE."""
    org = request.org
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Http404("Unknown format.")
    wave = location = None
    if name := request.GET.get("wave"):
        wave = get_for_org(Wave, org, name=name)
    scope = location_scope(request)
    if code := request.GET.get("location"):
        location = scope.location(code=code)
    stage = None
    if pk := request.GET.get("stage"):
        if not pk.isdigit():
            raise Http404("Unknown stage.")
        stage = get_for_org(Stage, org, pk=pk)
    channel = request.GET.get("channel") or None
    dimension = request.GET.get("dimension") or None
    if channel not in (None, *Channel.values) or dimension not in (None, *Dimension.values):
        raise Http404("Unknown channel or dimension.")
    analysis = analyse_gaps(
        organization=org,
        wave=wave,
        location=location,
        only_locations=scope.only_locations,
        stage=stage,
        channel=channel,
        dimension=dimension,
    )
    parts = ["gap-report", org.slug, wave and slugify(wave.name), location and location.code]
    filename = "-".join(p for p in parts if p) + f".{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        write_gap_csv(analysis, buffer)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        body = json.dumps(report_dict(analysis), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
