"""Responses CSV import pages: upload, status with live progress, the error list, past imports."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import DomainError, apply_domain_error
from cxaudit.exports import csv_response

from ..questionnaire.structure import load_structure
from . import services
from .forms import ResponseImportForm
from .models import ResponseImport
from .rows import MAX_BYTES, template_header, value_syntax


@require_GET
@org_view(Cap.IMPORT_RESPONSES)
def import_list(request):
    location_scope(request).require_all()  # an import holds rows of any location
    qs = (
        ResponseImport.objects.for_org(request.org)
        .select_related("survey", "uploaded_by")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(request, "surveys/imports/list.html", {"org": request.org, "page": page})


def _survey_columns(org, code: str | None):
    """(survey, [(code, question, syntax)]) for the survey picked on the upload page."""
    if not code:
        return None, []
    try:
        survey = services.published_survey(organization=org, code=code)
    except DomainError:
        return None, []
    structure = load_structure(survey)
    columns = [(qcode, q, value_syntax(q.spec())) for qcode, q in structure.questions.items()]
    return survey, columns


@require_http_methods(["GET", "POST"])
@org_view(Cap.IMPORT_RESPONSES)
@submit_once
def import_new(request):
    location_scope(request).require_all()
    form = ResponseImportForm(
        request.POST or None,
        request.FILES or None,
        organization=request.org,
        initial={"survey": request.GET.get("survey", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            imp = services.create_import(
                organization=request.org,
                survey_code=form.cleaned_data["survey"],
                uploaded_by=request.user,
                file=form.cleaned_data["file"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("surveys:import_detail", org_slug=request.org.slug, pk=imp.pk)
    chosen = form["survey"].value()
    survey, columns = _survey_columns(request.org, chosen)
    return render(
        request,
        "surveys/imports/new.html",
        {
            "org": request.org,
            "form": form,
            "survey": survey,
            "columns": columns,
            "max_mb": MAX_BYTES // 1024 // 1024,
        },
    )


@require_GET
@org_view(Cap.IMPORT_RESPONSES)
def import_template(request, survey_code: str):
    try:
        survey = services.published_survey(organization=request.org, code=survey_code)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    # Through the formula-safe writer like every CSV cxaudit writes (a byte-order mark first).
    return csv_response(f"{survey.code}-responses.csv", template_header(load_structure(survey)), [])


def _load(request, pk: int) -> ResponseImport:
    location_scope(request).require_all()
    return get_for_org(
        ResponseImport.objects.select_related("survey", "uploaded_by"), request.org, pk=pk
    )


@require_GET
@org_view(Cap.IMPORT_RESPONSES)
def import_detail(request, pk: int):
    imp = _load(request, pk)
    return render(
        request,
        "surveys/imports/detail.html",
        {"org": request.org, "imp": imp},
    )


def status_payload(imp: ResponseImport) -> dict:
    return {
        "id": imp.pk,
        "status": imp.status,
        "status_label": imp.get_status_display(),
        "phase": imp.phase,
        "phase_label": imp.get_phase_display() if imp.phase else "",
        "percent": imp.progress_percent,
        "processed_rows": imp.processed_rows,
        "total_rows": imp.total_rows,
        "imported_count": imp.imported_count,
        "error_count": imp.problem_count,
        "finished": imp.is_finished,
    }


@require_GET
@org_view(Cap.IMPORT_RESPONSES)
def import_status(request, pk: int):
    response = JsonResponse(status_payload(_load(request, pk)))
    response["Cache-Control"] = "no-store"
    return response
