"""Editing the parts of a journey: stages, touchpoints and standards (create, edit, move up or
down with plain buttons, delete after confirmation)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, apply_domain_error

from . import services
from .forms import StageForm, StandardForm, TouchpointForm
from .models import Journey, Stage, Standard, Touchpoint
from .views import detail_redirect

_STAGES = Stage.objects.select_related("journey")
_TOUCHPOINTS = Touchpoint.objects.select_related("stage__journey")
_STANDARDS = Standard.objects.select_related("touchpoint__stage__journey")


def _form_page(request, form, *, journey, title: str, parent: str = ""):
    return render(
        request,
        "journeys/form.html",
        {"org": request.org, "form": form, "journey": journey, "title": title, "parent": parent},
    )


def _saved(request, service, form, *, journey, anchor: str, message: str):
    """Call a create/update service with the form's data; redirect on success."""
    try:
        item = service(**form.cleaned_data)
    except DomainError as exc:
        apply_domain_error(form, exc)
        return None
    messages.success(request, message.format(item=item))
    return detail_redirect(journey.pk, request.org.slug, anchor.format(item=item))


def _move(request, item, service, kind: str, journey):
    direction = request.POST.get("direction", "")
    try:
        moved = service(**{kind: item, "direction": direction})
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if not moved:
            where = "first" if direction == "up" else "last"
            messages.info(request, f"“{item.name}” is already {where}.")
    # Back to the moved item's button, so keyboard users can press it again.
    return detail_redirect(journey.pk, request.org.slug, f"{kind}-{item.pk}-{direction}")


def _delete(request, item, service, kind: str, journey, consequence: str):
    if request.method == "POST":
        try:
            service(**{kind: item})
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{item.name}” deleted.")
        return detail_redirect(journey.pk, request.org.slug)
    return render(
        request,
        "journeys/confirm_delete.html",
        {
            "org": request.org,
            "journey": journey,
            "object": item,
            "kind": kind,
            "consequence": consequence,
            "blocked": None,
        },
    )


# --- stages -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def stage_create(request, pk):
    journey = get_for_org(Journey, request.org, pk=pk)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            lambda **kw: services.add_stage(journey=journey, **kw),
            form,
            journey=journey,
            anchor="stage-{item.pk}",
            message="Stage “{item.name}” added.",
        )
        if done:
            return done
    return _form_page(request, form, journey=journey, title="New stage")


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def stage_edit(request, pk):
    stage = get_for_org(_STAGES, request.org, pk=pk)
    form = StageForm(request.POST or None, instance=stage)
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            lambda **kw: services.update_stage(stage=stage, **kw),
            form,
            journey=stage.journey,
            anchor="stage-{item.pk}",
            message="Stage “{item.name}” saved.",
        )
        if done:
            return done
    return _form_page(request, form, journey=stage.journey, title=f"Edit stage {stage.name}")


@require_POST
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def stage_move(request, pk):
    stage = get_for_org(_STAGES, request.org, pk=pk)
    return _move(request, stage, services.move_stage, "stage", stage.journey)


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def stage_delete(request, pk):
    stage = get_for_org(_STAGES, request.org, pk=pk)
    return _delete(
        request,
        stage,
        services.delete_stage,
        "stage",
        stage.journey,
        "Its touchpoints and their standards are deleted with it.",
    )


# --- touchpoints ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def touchpoint_create(request, pk):
    stage = get_for_org(_STAGES, request.org, pk=pk)
    form = TouchpointForm(request.POST or None, journey=stage.journey, initial={"stage": stage})
    if request.method == "POST" and form.is_valid():
        # The stage field lets the user pick another stage of the journey to add to.
        done = _saved(
            request,
            services.add_touchpoint,
            form,
            journey=stage.journey,
            anchor="touchpoint-{item.pk}",
            message="Touchpoint “{item.name}” added.",
        )
        if done:
            return done
    return _form_page(
        request, form, journey=stage.journey, title="New touchpoint", parent=stage.name
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def touchpoint_edit(request, pk):
    touchpoint = get_for_org(_TOUCHPOINTS, request.org, pk=pk)
    journey = touchpoint.stage.journey
    form = TouchpointForm(request.POST or None, instance=touchpoint, journey=journey)
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            lambda **kw: services.update_touchpoint(touchpoint=touchpoint, **kw),
            form,
            journey=journey,
            anchor="touchpoint-{item.pk}",
            message="Touchpoint “{item.name}” saved.",
        )
        if done:
            return done
    return _form_page(request, form, journey=journey, title=f"Edit touchpoint {touchpoint.name}")


@require_POST
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def touchpoint_move(request, pk):
    touchpoint = get_for_org(_TOUCHPOINTS, request.org, pk=pk)
    return _move(
        request, touchpoint, services.move_touchpoint, "touchpoint", touchpoint.stage.journey
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def touchpoint_delete(request, pk):
    touchpoint = get_for_org(_TOUCHPOINTS, request.org, pk=pk)
    return _delete(
        request,
        touchpoint,
        services.delete_touchpoint,
        "touchpoint",
        touchpoint.stage.journey,
        "Its standards are deleted with it.",
    )


# --- standards --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def standard_create(request, pk):
    touchpoint = get_for_org(_TOUCHPOINTS, request.org, pk=pk)
    journey = touchpoint.stage.journey
    form = StandardForm(request.POST or None, touchpoint=touchpoint)
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            lambda **kw: services.add_standard(touchpoint=touchpoint, **kw),
            form,
            journey=journey,
            anchor="standard-{item.pk}",
            message="Standard {item.code} added.",
        )
        if done:
            return done
    return _form_page(request, form, journey=journey, title="New standard", parent=touchpoint.name)


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def standard_edit(request, pk):
    standard = get_for_org(_STANDARDS, request.org, pk=pk)
    journey = standard.touchpoint.stage.journey
    form = StandardForm(request.POST or None, instance=standard, touchpoint=standard.touchpoint)
    if request.method == "POST" and form.is_valid():
        done = _saved(
            request,
            lambda **kw: services.update_standard(standard=standard, **kw),
            form,
            journey=journey,
            anchor="standard-{item.pk}",
            message="Standard {item.code} saved.",
        )
        if done:
            return done
    return _form_page(request, form, journey=journey, title=f"Edit standard {standard.code}")


@require_POST
@org_view(Cap.EDIT_JOURNEYS)
@submit_once
def standard_move(request, pk):
    standard = get_for_org(_STANDARDS, request.org, pk=pk)
    return _move(
        request, standard, services.move_standard, "standard", standard.touchpoint.stage.journey
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.EDIT_JOURNEYS)
def standard_delete(request, pk):
    standard = get_for_org(_STANDARDS, request.org, pk=pk)
    return _delete(
        request,
        standard,
        services.delete_standard,
        "standard",
        standard.touchpoint.stage.journey,
        "Survey questions that measure it must be changed first.",
    )
