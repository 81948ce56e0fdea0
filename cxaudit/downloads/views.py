"""Export pages: the organisation's exports (with live progress), starting one from the form
or a page's export button, and downloading a finished one.

Every export needs Cap.EXPORT_DATA and its kind's own capabilities (payouts, contacts,
campaigns); a member limited to some locations exports and sees only their own exports, made
within their limit. A job is found by its random id within the organisation and what the
member may see: any other id, another organisation's or an expired one's, answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import DomainError, apply_domain_error
from cxaudit.exports import csv_response, xlsx_response

from . import services
from .forms import ExportForm
from .kinds import KINDS, Table, kinds_for
from .models import ExportFormat, ExportJob

PAGE_SIZE = 25
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _kinds(request):
    return kinds_for(request.org_ctx.capabilities)


def _jobs(request):
    """The exports the member may see (see the module docstring)."""
    scope = location_scope(request)
    return (
        ExportJob.objects.for_org(request.org)
        .visible_to(
            user=request.user, kinds=[k.key for k in _kinds(request)], limited=scope.limited
        )
        .select_related("requested_by")
    )


def _form(request, data=None) -> ExportForm:
    prefilled = ("kind", "format", "survey", "campaign")  # the export links of other pages
    initial = {k: v for k, v in request.GET.items() if k in prefilled}
    return ExportForm(data, scope=location_scope(request), kinds=_kinds(request), initial=initial)


def _render_list(request, form: ExportForm, status: int = 200):
    page = Paginator(_jobs(request), PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = {k.key: k for k in _kinds(request)}
    for job in page.object_list:
        job.kind_label = kinds[job.kind].label if job.kind in kinds else job.kind
    context = {
        "org": request.org,
        "form": form,
        "page": page,
        "kinds": list(kinds.values()),
        "active": any(not job.is_finished for job in page.object_list),
        "keep_hours": settings.CXAUDIT_EXPORT_KEEP_HOURS,
    }
    return render(request, "downloads/export_list.html", context, status=status)


@require_GET
@org_view(Cap.EXPORT_DATA)
def export_list(request):
    return _render_list(request, _form(request))


@require_POST
@org_view(Cap.EXPORT_DATA)
@submit_once
def export_start(request):
    """A small export is the answer itself; a large one is queued and the list shows it."""
    kind = KINDS.get(request.POST.get("kind", ""))
    if kind is not None and not kind.allowed(request.org_ctx.capabilities):
        raise PermissionDenied("Your role does not allow this export.")
    form = _form(request, request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    try:
        result = services.request_export(
            scope=location_scope(request),
            user=request.user,
            kind=KINDS[form.cleaned_data["kind"]],
            fmt=form.cleaned_data["format"],
            filters=form.filters(),
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _render_list(request, form, status=400)
    if isinstance(result, Table):
        name = services.file_name(result, form.cleaned_data["format"])
        if form.cleaned_data["format"] == ExportFormat.XLSX:
            return xlsx_response(name, result.header, result.rows(), sheet=result.sheet)
        return csv_response(name, result.header, result.rows())
    messages.success(
        request, "Your export is being built; its download link appears below when it is ready."
    )
    return redirect("downloads:export_list", org_slug=request.org.slug)


def _status(request, job: ExportJob) -> dict:
    return {
        "id": str(job.public_id),
        "state": job.state,
        "state_label": job.get_state_display(),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.progress_percent,
        "finished": job.is_finished,
        "download": reverse(
            "downloads:export_download",
            kwargs={"org_slug": request.org.slug, "public_id": job.public_id},
        )
        if job.is_downloadable
        else None,
    }


@require_GET
@org_view(Cap.EXPORT_DATA)
def export_status(request):
    """The progress of the member's latest exports (the list page polls it)."""
    jobs = _jobs(request)[:PAGE_SIZE]
    return JsonResponse({"exports": [_status(request, job) for job in jobs]})


@require_GET
@org_view(Cap.EXPORT_DATA)
def export_download(request, public_id):
    job = _jobs(request).filter(public_id=public_id).first()
    if job is None:
        raise Http404("No such export.")
    if not job.is_downloadable:
        if job.state in (ExportJob.State.DONE, ExportJob.State.EXPIRED):
            messages.warning(request, "That export has expired; start it again below.")
            return redirect("downloads:export_list", org_slug=request.org.slug)
        raise Http404("This export is not ready.")
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file of this export is gone.") from exc
    return FileResponse(
        handle, as_attachment=True, filename=job.file_name, content_type=CONTENT_TYPES[job.format]
    )
