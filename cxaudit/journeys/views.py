"""Journeys, their map, import/export and waves. Stages, touchpoints and standards are edited
through `views_items`."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, ValidationFailed, apply_domain_error

from . import definition, services
from .forms import JourneyForm, JourneyImportForm, WaveForm
from .models import Journey, Wave


def detail_redirect(journey_id: int, org_slug: str, anchor: str = ""):
    response = redirect("journeys:journey_detail", org_slug=org_slug, pk=journey_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


# --- journeys ---------------------------------------------------------------------------------


@require_GET
@org_view(Cap.VIEW_JOURNEYS)
def journey_list(request):
    journeys = (
        Journey.objects.for_org(request.org)
        .annotate(
            stage_count=Count("stages", distinct=True),
            touchpoint_count=Count("stages__touchpoints", distinct=True),
            standard_count=Count("stages__touchpoints__standards", distinct=True),
        )
        .order_by("status", "name")
    )
    return render(request, "journeys/journey_list.html", {"org": request.org, "journeys": journeys})


@require_GET
@org_view(Cap.VIEW_JOURNEYS)
def journey_detail(request, pk):
    journey = get_for_org(Journey.objects.with_structure(), request.org, pk=pk)
    editable = request.org_ctx.can(Cap.EDIT_JOURNEYS) and journey.status == Journey.Status.ACTIVE
    return render(
        request,
        "journeys/journey_detail.html",
        {
            "org": request.org,
            "journey": journey,
            "stages": journey.stages.all(),
            "editable": editable,
        },
    )


@require_GET
@org_view(Cap.VIEW_JOURNEYS)
def journey_map(request, pk):
    journey = get_for_org(Journey.objects.with_structure(), request.org, pk=pk)
    return render(
        request,
        "journeys/map.html",
        {"org": request.org, "journey": journey, "stages": journey.stages.all()},
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def journey_create(request):
    form = JourneyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        journey = services.create_journey(
            organization=request.org,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
        messages.success(request, f"Journey “{journey.name}” created. Add its stages next.")
        return detail_redirect(journey.pk, request.org.slug)
    return render(
        request,
        "journeys/form.html",
        {"org": request.org, "form": form, "title": "New journey", "cancel_url": None},
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def journey_edit(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    form = JourneyForm(request.POST or None, instance=journey)
    if request.method == "POST" and form.is_valid():
        services.update_journey(
            journey=journey,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
        )
        messages.success(request, "Journey saved.")
        return detail_redirect(journey.pk, request.org.slug)
    return render(
        request,
        "journeys/form.html",
        {"org": request.org, "form": form, "journey": journey, "title": "Edit journey"},
    )


@require_POST
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def journey_duplicate(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    copy = services.duplicate_journey(journey=journey)
    messages.success(
        request,
        f"Copied to “{copy.name}”. Standard codes of the copy end in “-copy”; rename them "
        "as you need.",
    )
    return detail_redirect(copy.pk, request.org.slug)


@require_POST
@org_view(Cap.EDIT_JOURNEYS)
def journey_archive(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    try:
        services.archive_journey(journey=journey)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{journey.name}” archived.")
    return detail_redirect(journey.pk, request.org.slug)


@require_POST
@org_view(Cap.EDIT_JOURNEYS)
def journey_restore(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    try:
        services.restore_journey(journey=journey)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{journey.name}” restored.")
    return detail_redirect(journey.pk, request.org.slug)


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def journey_delete(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    if request.method == "POST":
        try:
            services.delete_journey(journey=journey)
        except DomainError as exc:
            messages.error(request, exc.message)
            return detail_redirect(journey.pk, request.org.slug)
        messages.success(request, f"“{journey.name}” deleted.")
        return redirect("journeys:journey_list", org_slug=request.org.slug)
    return render(
        request,
        "journeys/confirm_delete.html",
        {
            "org": request.org,
            "journey": journey,
            "object": journey,
            "kind": "journey",
            "consequence": "Its stages, touchpoints and standards are deleted with it.",
            "blocked": None
            if journey.status == Journey.Status.ARCHIVED
            else "Archive the journey before deleting it.",
        },
    )


# --- import and export ------------------------------------------------------------------------


def _json_download(document: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        definition.dumps(document), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@org_view(Cap.VIEW_JOURNEYS)
def journey_export(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    name = slugify(journey.name) or f"journey-{journey.pk}"
    return _json_download(definition.export_journey(journey), f"{name}.journey.json")


@require_GET
@org_view(Cap.VIEW_JOURNEYS)
def journey_export_all(request):
    journeys = Journey.objects.for_org(request.org).order_by("pk")
    return _json_download(
        definition.export_journeys(journeys), f"{request.org.slug}-journeys.journey.json"
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def journey_import(request):
    form = JourneyImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[str, str]] = []
    error_total = 0
    if request.method == "POST" and form.is_valid():
        try:
            created = definition.import_journeys(
                organization=request.org, data=form.cleaned_data["file"].read()
            )
        except ValidationFailed as exc:
            errors, error_total = exc.errors, exc.total
            messages.error(request, exc.message)
        else:
            names = ", ".join(f"“{j.name}”" for j in created)
            messages.success(request, f"Imported {names}.")
            if len(created) == 1:
                return detail_redirect(created[0].pk, request.org.slug)
            return redirect("journeys:journey_list", org_slug=request.org.slug)
    return render(
        request,
        "journeys/journey_import.html",
        {"org": request.org, "form": form, "errors": errors, "error_total": error_total},
    )


# --- waves ------------------------------------------------------------------------------------


@require_GET
@org_view(Cap.VIEW_JOURNEYS)
def wave_list(request):
    waves = Wave.objects.for_org(request.org).order_by("-starts_on", "name")
    return render(request, "journeys/wave_list.html", {"org": request.org, "waves": waves})


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_WAVES)
@submit_once
def wave_edit(request, pk=None):
    wave = get_for_org(Wave, request.org, pk=pk) if pk else None
    form = WaveForm(request.POST or None, instance=wave, organization=request.org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if wave is None:
                saved = services.create_wave(
                    organization=request.org,
                    name=data["name"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            else:
                saved = services.update_wave(
                    wave=wave,
                    name=data["name"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Wave “{saved.name}” saved.")
            return redirect("journeys:wave_list", org_slug=request.org.slug)
    return render(
        request,
        "journeys/form.html",
        {
            "org": request.org,
            "form": form,
            "title": f"Edit wave {wave.name}" if wave else "New wave",
            "cancel_url": "waves",
        },
    )


def _wave_transition(request, pk, service, done: str):
    wave = get_for_org(Wave, request.org, pk=pk)
    try:
        service(wave=wave)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Wave “{wave.name}” {done}.")
    return redirect("journeys:wave_list", org_slug=request.org.slug)


@require_POST
@org_view(Cap.MANAGE_WAVES)
@submit_once
def wave_open(request, pk):
    return _wave_transition(request, pk, services.open_wave, "opened")


@require_POST
@org_view(Cap.MANAGE_WAVES)
@submit_once
def wave_close(request, pk):
    return _wave_transition(request, pk, services.close_wave, "closed")
