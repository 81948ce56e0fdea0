"""Action plan pages: list (filters, "my actions"), board by status, create from a gap, the
item with before and after side by side, edit, status, comments, exports and a printable
summary per location. Everything is loaded through the organisation (and, for managers limited
to some locations, through their locations)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.once import submit_once
from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.errors import DomainError, ValidationFailed, apply_domain_error
from cxaudit.exports import csv_response, xlsx_response
from cxaudit.journeys.models import Standard, Touchpoint, Wave

from ..vocabulary import GAP_LABELS
from . import services
from .forms import ActionFilterForm, ActionForm, CommentForm, StatusForm
from .models import ACTIVE, ActionItem, Priority, RootCause, Status


def _visible_locations(request):
    return location_scope(request).locations()


def _items(request):
    """Items of the organisation the member may see: at a visible location, or org-wide."""
    return location_scope(request).filter(
        ActionItem.objects.for_org(request.org).select_related(
            "standard", "touchpoint", "location", "wave", "owner"
        ),
        org_wide=True,
    )


def _item(request, pk: int) -> ActionItem:
    return get_for_org(_items(request), request.org, pk=pk)


def _filtered(request, form: ActionFilterForm):
    items = _items(request)
    if not form.is_bound:
        return items
    if not form.is_valid():
        return items.none()
    f = form.cleaned_data
    if f["status"] == "active":
        items = items.filter(status__in=ACTIVE)
    elif f["status"]:
        items = items.filter(status=f["status"])
    if f["mine"]:
        items = items.filter(owner=request.user)
    elif f["owner"]:
        items = items.filter(owner=f["owner"])
    if f["overdue"]:
        items = items.overdue()
    if f["location"]:
        items = items.filter(location=f["location"])
    if f["stage"]:
        items = items.filter(
            Q(standard__touchpoint__stage=f["stage"]) | Q(touchpoint__stage=f["stage"])
        )
    if f["root_cause"]:
        items = items.filter(root_cause=f["root_cause"])
    return items


def _filter_form(request) -> ActionFilterForm:
    data = request.GET if request.GET else None
    return ActionFilterForm(data, org=request.org, locations=_visible_locations(request))


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def action_list(request):
    form = _filter_form(request)
    items = list(_filtered(request, form)[:500])
    query = request.GET.copy()
    return render(
        request,
        "insights/actions/list.html",
        {
            "org": request.org,
            "form": form,
            "items": items,
            "gap_labels": GAP_LABELS,
            "query": query.urlencode(),
            "filtered": bool(request.GET),
            "today": timezone.localdate(),
            "summary_locations": _visible_locations(request).order_by("name"),
        },
    )


BOARD_COLUMNS = (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED, Status.DONE, Status.VERIFIED)


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def action_board(request):
    form = _filter_form(request)
    items = list(_filtered(request, form).filter(status__in=BOARD_COLUMNS)[:1000])
    columns = [(Status(s), [i for i in items if i.status == s]) for s in BOARD_COLUMNS]
    return render(
        request,
        "insights/actions/board.html",
        {"org": request.org, "form": form, "columns": columns, "query": request.GET.urlencode()},
    )


PREFILL = {
    "wave": lambda request: Wave.objects.for_org(request.org),
    "standard": lambda request: Standard.objects.for_org(request.org),
    "touchpoint": lambda request: Touchpoint.objects.for_org(request.org),
    "location": _visible_locations,
}


def _prefill(request) -> dict:
    """Initial values from the page the user came from (dashboard, standard page, heatmap); an
    id of another organisation (or of a location the user may not see) is not found (404)."""
    get = request.GET
    initial = {
        key: get[key]
        for key in ("wave", "standard", "touchpoint", "location", "gap")
        if get.get(key)
    }
    for key, queryset in PREFILL.items():
        if key in initial:
            try:
                found = queryset(request).filter(pk=initial[key]).exists()
            except (ValueError, TypeError):
                found = False
            if not found:
                raise Http404("Not found.")
    initial.setdefault("owner", request.user.pk)
    initial["due_date"] = timezone.localdate() + timezone.timedelta(days=30)
    return initial


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ACTIONS)
@submit_once
def action_create(request):
    locations = _visible_locations(request)
    form = ActionForm(
        request.POST or None, initial=_prefill(request), org=request.org, locations=locations
    )
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data
        scope = services.GapScope(
            organization=request.org,
            wave=f["wave"],
            gap=f["gap"],
            standard=f["standard"],
            touchpoint=f["touchpoint"],
            location=f["location"],
        )
        try:
            item = services.create_action(
                scope=scope,
                actor=request.user,
                title=f["title"],
                description=f["description"],
                root_cause=f["root_cause"],
                owner=f["owner"],
                due_date=f["due_date"],
                priority=f["priority"],
                target_gap=f["target_gap"],
            )
        except ValidationFailed as exc:
            for field, reason in exc.errors:
                form.add_error(field if field in form.fields else None, reason)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Action “{item.title}” created.")
            return HttpResponseRedirect(
                reverse("insights:action_detail", args=[request.org.slug, item.pk])
            )
    return render(request, "insights/actions/form.html", {"org": request.org, "form": form})


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ACTIONS)
def action_edit(request, pk: int):
    item = _item(request, pk)
    initial = {name: getattr(item, name) for name in services.EDITABLE}
    initial["owner"] = item.owner_id
    form = ActionForm(
        request.POST or None,
        initial=initial,
        org=request.org,
        locations=_visible_locations(request),
        gap_fields=False,
    )
    if request.method == "POST" and form.is_valid():
        changes = {k: form.cleaned_data[k] for k in services.EDITABLE}
        if changes["priority"] is None:
            changes["priority"] = item.priority
        try:
            services.update_action(item=item, actor=request.user, **changes)
        except ValidationFailed as exc:
            for field, reason in exc.errors:
                form.add_error(field if field in form.fields else None, reason)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Action saved.")
            return HttpResponseRedirect(
                reverse("insights:action_detail", args=[request.org.slug, item.pk])
            )
    return render(
        request, "insights/actions/form.html", {"org": request.org, "form": form, "item": item}
    )


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def action_detail(request, pk: int):
    item = _item(request, pk)
    return render(
        request,
        "insights/actions/detail.html",
        {
            "org": request.org,
            "item": item,
            "gap_label": GAP_LABELS.get(item.gap, item.gap),
            "comments": item.comments.select_related("author"),
            "events": item.events.select_related("actor"),
            "status_form": StatusForm(),
            "comment_form": CommentForm(),
            "manual_next": [s for s in item.allowed_next if s in services.MANUAL],
        },
    )


@require_POST
@org_view(Cap.MANAGE_ACTIONS)
@submit_once
def action_status(request, pk: int):
    item = _item(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
    else:
        try:
            services.change_status(
                item=item,
                actor=request.user,
                to=form.cleaned_data["to"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Now {item.get_status_display().lower()}.")
    return HttpResponseRedirect(reverse("insights:action_detail", args=[request.org.slug, pk]))


@require_POST
@org_view(Cap.MANAGE_ACTIONS)
@submit_once
def action_comment(request, pk: int):
    item = _item(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.add_comment(item=item, author=request.user, text=form.cleaned_data["text"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Comment added.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return HttpResponseRedirect(
        reverse("insights:action_detail", args=[request.org.slug, pk]) + "#comments"
    )


EXPORT_HEADER = [
    "id",
    "title",
    "status",
    "priority",
    "owner",
    "due_date",
    "overdue",
    "root_cause",
    "standard",
    "touchpoint",
    "location",
    "wave_found",
    "gap",
    "gap_before",
    "ci_low",
    "ci_high",
    "evaluated_wave",
    "gap_after",
    "verdict",
    "description",
]


def _export_rows(items):
    today = timezone.localdate()
    for i in items:
        ci = (i.baseline or {}).get("ci") or [None, None]
        after = (i.evaluation or {}).get("after") or {}
        yield [
            i.pk,
            i.title,
            i.get_status_display(),
            Priority(i.priority).label,
            i.owner.email,
            i.due_date.isoformat(),
            "yes" if i.status in ACTIVE and i.due_date < today else "no",
            RootCause(i.root_cause).label,
            i.standard.code if i.standard else "",
            i.touchpoint.name
            if i.touchpoint
            else (i.standard.touchpoint.name if i.standard else ""),
            i.location.code if i.location else "",
            i.wave.name,
            GAP_LABELS.get(i.gap, i.gap),
            (i.baseline or {}).get("diff_100"),
            ci[0],
            ci[1],
            i.evaluated_wave.name if i.evaluated_wave else "",
            after.get("diff_100"),
            (i.evaluation or {}).get("verdict", ""),
            i.description,
        ]


# The rows of the action plan export, for cxaudit.downloads too.
export_rows = _export_rows


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def action_export(request, fmt: str):
    form = _filter_form(request)
    items = _filtered(request, form).select_related("standard__touchpoint", "evaluated_wave")
    name = f"{request.org.slug}-actions-{timezone.localdate().isoformat()}"
    rows = _export_rows(items.iterator(chunk_size=500))
    if fmt == "xlsx":
        return xlsx_response(f"{name}.xlsx", EXPORT_HEADER, rows, sheet="Actions")
    return csv_response(f"{name}.csv", EXPORT_HEADER, rows)


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def action_summary(request, location_pk: int):
    """A printable one-page summary of one location's action plan."""
    location = location_scope(request).location(pk=location_pk)
    items = list(_items(request).filter(location=location).exclude(status=Status.CANCELLED))
    counts = dict(
        ActionItem.objects.filter(pk__in=[i.pk for i in items])
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "insights/actions/summary.html",
        {
            "org": request.org,
            "location": location,
            "items": items,
            "counts": [(Status(s).label, counts.get(s, 0)) for s in BOARD_COLUMNS],
            "gap_labels": GAP_LABELS,
            "today": timezone.localdate(),
        },
    )
