from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.errors import DomainError, ValidationFailed, apply_domain_error

from . import services
from .forms import (
    CsvUploadForm,
    LocationForm,
    MemberEditForm,
    MemberForm,
    OrganizationForm,
    OrganizationSettingsForm,
)
from .models import Membership, Organization, Role, WorkerHeartbeat
from .once import submit_once
from .permissions import Cap, get_for_org, org_view
from .scope import location_scope


@login_required
@require_GET
def home(request):
    """Send each person to where their work is: one organisation, or a choice of several."""
    orgs = list(Organization.objects.for_user(request.user))
    if len(orgs) == 1:
        return redirect("accounts:org_home", org_slug=orgs[0].slug)
    can_create = (
        request.user.is_superuser
        or Membership.objects.active().filter(user=request.user, role=Role.PROGRAM_ADMIN).exists()
    )
    return render(
        request, "accounts/choose_org.html", {"organizations": orgs, "can_create": can_create}
    )


@login_required
@require_http_methods(["GET", "POST"])
@submit_once
def org_create(request):
    can_create = (
        request.user.is_superuser
        or Membership.objects.active().filter(user=request.user, role=Role.PROGRAM_ADMIN).exists()
    )
    if not can_create:
        return render(request, "403.html", status=403)
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.create_organization(
                slug=form.cleaned_data["slug"], name=form.cleaned_data["name"], creator=request.user
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"Organisation “{org.name}” created.")
            return redirect("accounts:org_home", org_slug=org.slug)
    return render(request, "accounts/org_form.html", {"form": form})


@require_GET
@org_view(Cap.VIEW_ORG)
def org_home(request):
    ctx = request.org_ctx
    if not ctx.can(Cap.STAFF_AREA):
        # Shoppers' home is "My shops" (shoppers.visits), named by URL: accounts imports no app.
        return redirect("shoppers:home", org_slug=request.org.slug)
    org = request.org
    stats = {
        "locations": location_scope(request).locations().filter(is_active=True).count(),
        "members": Membership.objects.for_org(org).active().count(),
    }
    return render(request, "accounts/org_home.html", {"org": org, "stats": stats})


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_ORG)
def org_settings(request):
    form = OrganizationSettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("accounts:org_settings", org_slug=request.org.slug)
    return render(request, "accounts/org_settings.html", {"form": form, "org": request.org})


@require_GET
@org_view(Cap.VIEW_LOCATIONS)
def location_list(request):
    locations = location_scope(request).locations().order_by("-is_active", "name")
    return render(
        request, "accounts/location_list.html", {"org": request.org, "locations": locations}
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_LOCATIONS)
@submit_once
def location_edit(request, pk=None):
    instance = location_scope(request).location(pk=pk) if pk else None
    form = LocationForm(request.POST or None, instance=instance, organization=request.org)
    if request.method == "POST" and form.is_valid():
        loc = form.save()
        messages.success(request, f"Location “{loc.name}” saved.")
        return redirect("accounts:location_list", org_slug=request.org.slug)
    return render(
        request,
        "accounts/location_form.html",
        {"form": form, "org": request.org, "object": instance},
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_LOCATIONS)
@submit_once
def location_import(request):
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    errors: list[tuple[str, str]] = []
    error_total = 0
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_locations(
                organization=request.org, data=form.cleaned_data["file"].read()
            )
        except ValidationFailed as exc:
            errors, error_total = exc.errors, exc.total
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Imported: {result.created} created, {result.updated} updated."
            )
            return redirect("accounts:location_list", org_slug=request.org.slug)
    return render(
        request,
        "accounts/location_import.html",
        {
            "form": form,
            "org": request.org,
            "errors": errors,
            "error_total": error_total,
            "columns": services.LOCATION_COLUMNS,
        },
    )


@require_GET
@org_view(Cap.MANAGE_MEMBERS)
def member_list(request):
    members = (
        Membership.objects.for_org(request.org)
        .select_related("user")
        .annotate(location_count=Count("locations"))
        .order_by("role", "user__email")
    )
    return render(request, "accounts/member_list.html", {"org": request.org, "members": members})


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_MEMBERS)
@submit_once
def member_add(request):
    form = MemberForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            m = services.add_member(
                organization=request.org,
                email=data["email"],
                full_name=data["full_name"],
                role=data["role"],
                locations=list(data["locations"]),
                invited_by=request.user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"{m.user.email} added as {m.get_role_display()}.")
            return redirect("accounts:member_list", org_slug=request.org.slug)
    return render(request, "accounts/member_form.html", {"form": form, "org": request.org})


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_MEMBERS)
def member_edit(request, pk):
    membership = get_for_org(Membership.objects.select_related("user"), request.org, pk=pk)
    initial = {"role": membership.role, "locations": list(membership.locations.all())}
    form = MemberEditForm(request.POST or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(
                membership=membership,
                role=form.cleaned_data["role"],
                locations=list(form.cleaned_data["locations"]),
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"{membership.user.email} updated.")
            return redirect("accounts:member_list", org_slug=request.org.slug)
    return render(
        request,
        "accounts/member_form.html",
        {"form": form, "org": request.org, "membership": membership},
    )


@require_POST
@org_view(Cap.MANAGE_MEMBERS)
def member_remove(request, pk):
    membership = get_for_org(Membership.objects.select_related("user"), request.org, pk=pk)
    try:
        services.remove_member(membership=membership)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{membership.user.email} removed from {request.org.name}.")
    return HttpResponseRedirect(reverse("accounts:member_list", args=[request.org.slug]))


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("favicon.svg"))


def _background(row: dict | None, now) -> dict:
    """A heartbeat as it is: running (seen within three intervals), late, or never seen."""
    from django.conf import settings

    if row is None or row["last_beat_at"] is None:
        return {"state": "never seen", "last_seen": None, "seconds_ago": None}
    ago = max(0, round((now - row["last_beat_at"]).total_seconds()))
    running = ago <= 3 * settings.CXAUDIT_HEARTBEAT_SECONDS
    return {
        "state": "running" if running else "late",
        "last_seen": row["last_beat_at"].isoformat(),
        "seconds_ago": ago,
        "beats": row["beats"],
    }


@require_GET
def healthz(request):
    """Liveness for load balancers (200 while the web process and database answer), with the
    Celery worker and beat as they are: each "running" when its heartbeat is recent, "late"
    when it stopped, "never seen" before the first one."""
    from django.utils import timezone

    rows = {
        r["name"]: r
        for r in WorkerHeartbeat.objects.filter(name__in=["worker", "beat"]).values(
            "name", "beats", "last_beat_at"
        )
    }
    now = timezone.now()
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "worker": _background(rows.get("worker"), now),
            "beat": _background(rows.get("beat"), now),
        }
    )
