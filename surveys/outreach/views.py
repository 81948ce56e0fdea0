"""Staff pages of customer outreach: contacts and their imports, campaigns with live progress,
the email preview and test, and the campaign's actions. Program admins manage
(Cap.MANAGE_CAMPAIGNS); client managers see campaign results for the locations they may see
(Cap.VIEW_CAMPAIGNS)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.errors import DomainError, apply_domain_error
from cxaudit.exports import csv_response

from . import services
from .contacts import create_contact_import
from .forms import (
    AnonymousLinkForm,
    CampaignForm,
    ContactImportForm,
    LaunchForm,
    SuppressForm,
    TestEmailForm,
)
from .models import Campaign, Contact, ContactImport, Invitation
from .progress import campaign_progress, live_progress


def _visible_location_ids(request) -> set[int] | None:
    """None when the member sees every location; else the ids they may see."""
    membership = request.org_ctx.membership
    if request.org_ctx.can(Cap.MANAGE_CAMPAIGNS) or membership.pk is None:
        return None
    if not membership.locations.exists():
        return None
    return set(membership.visible_locations().values_list("pk", flat=True))


def _campaign(request, pk: int) -> Campaign:
    return get_for_org(
        Campaign.objects.select_related("survey", "wave", "location", "audience_list"),
        request.org,
        pk=pk,
    )


# -- contacts ------------------------------------------------------------------------------------


@require_GET
@org_view(Cap.MANAGE_CAMPAIGNS)
def contact_list(request):
    q = request.GET.get("q", "").strip()[:100]
    state = request.GET.get("state", "")
    contacts = Contact.objects.for_org(request.org).select_related("location").order_by("email")
    if q:
        contacts = contacts.filter(
            Q(email__icontains=q.lower()) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
        )
    if state == "reachable":
        contacts = contacts.reachable()
    elif state == "unsubscribed":
        contacts = contacts.filter(unsubscribed_at__isnull=False)
    elif state == "suppressed":
        contacts = contacts.filter(suppressed_at__isnull=False)
    page = Paginator(contacts, 50).get_page(request.GET.get("page"))
    imports = ContactImport.objects.for_org(request.org).select_related("contact_list")[:5]
    return render(
        request,
        "surveys/outreach/contact_list.html",
        {"org": request.org, "page": page, "q": q, "state": state, "imports": imports},
    )


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def contact_suppress(request, pk: int):
    contact = get_for_org(Contact, request.org, pk=pk)
    form = SuppressForm(request.POST)
    if form.is_valid():
        try:
            services.suppress_contact(contact=contact, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{contact.email} will not be invited again.")
    else:
        messages.error(request, "Say why the address is suppressed.")
    return redirect(
        f"{reverse('surveys:outreach_contacts', args=[request.org.slug])}?q={contact.email}"
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_CAMPAIGNS)
def contact_import_new(request):
    form = ContactImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = create_contact_import(
                organization=request.org,
                uploaded_by=request.user,
                file=form.cleaned_data["file"],
                list_name=form.cleaned_data["list_name"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("surveys:outreach_import_detail", org_slug=request.org.slug, pk=imp.pk)
    return render(request, "surveys/outreach/import_new.html", {"org": request.org, "form": form})


def _import(request, pk: int) -> ContactImport:
    return get_for_org(
        ContactImport.objects.select_related("contact_list", "uploaded_by"), request.org, pk=pk
    )


@require_GET
@org_view(Cap.MANAGE_CAMPAIGNS)
def contact_import_detail(request, pk: int):
    return render(
        request,
        "surveys/outreach/import_detail.html",
        {"org": request.org, "imp": _import(request, pk)},
    )


@require_GET
@org_view(Cap.MANAGE_CAMPAIGNS)
def contact_import_status(request, pk: int):
    imp = _import(request, pk)
    response = JsonResponse(
        {
            "id": imp.pk,
            "status": imp.status,
            "status_label": imp.get_status_display(),
            "phase": "",
            "phase_label": "",
            "percent": imp.progress_percent,
            "processed_rows": imp.processed_rows,
            "total_rows": imp.total_rows,
            "finished": imp.is_finished,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


# -- campaigns -----------------------------------------------------------------------------------


@require_GET
@org_view(Cap.VIEW_CAMPAIGNS)
def campaign_list(request):
    campaigns = Campaign.objects.for_org(request.org).select_related("survey", "wave")
    page = Paginator(campaigns, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/outreach/campaign_list.html",
        {"org": request.org, "page": page, "can_manage": request.org_ctx.can(Cap.MANAGE_CAMPAIGNS)},
    )


@require_http_methods(["GET", "POST"])
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_edit(request, pk: int | None = None):
    campaign = _campaign(request, pk) if pk is not None else None
    if campaign is not None and not campaign.is_editable:
        messages.error(request, "Only a draft campaign can be changed.")
        return redirect("surveys:outreach_campaign", org_slug=request.org.slug, pk=campaign.pk)
    initial = CampaignForm.initial_from(campaign) if campaign else {"sender_name": request.org.name}
    form = CampaignForm(request.POST or None, organization=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.save_campaign(
                organization=request.org,
                actor=request.user,
                values=form.values(),
                campaign=campaign,
                audience_locations=form.cleaned_data["audience_locations"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, "Campaign saved. Preview the email, then launch it.")
            return redirect("surveys:outreach_campaign", org_slug=request.org.slug, pk=campaign.pk)
    return render(
        request,
        "surveys/outreach/campaign_form.html",
        {"org": request.org, "form": form, "campaign": campaign},
    )


@require_GET
@org_view(Cap.VIEW_CAMPAIGNS)
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    locations = _visible_location_ids(request)
    can_manage = request.org_ctx.can(Cap.MANAGE_CAMPAIGNS)
    anonymous_url = (
        request.build_absolute_uri(
            reverse("surveys:outreach_anonymous", args=[campaign.anonymous_key])
        )
        if campaign.anonymous_key and can_manage
        else ""
    )
    return render(
        request,
        "surveys/outreach/campaign_detail.html",
        {
            "org": request.org,
            "campaign": campaign,
            "progress": campaign_progress(campaign, location_ids=locations),
            "limited": locations is not None,
            "can_manage": can_manage,
            "launch_form": LaunchForm(),
            "test_form": TestEmailForm(),
            "anonymous_form": AnonymousLinkForm(initial={"cap": campaign.anonymous_cap or 200}),
            "anonymous_url": anonymous_url,
        },
    )


@require_GET
@org_view(Cap.VIEW_CAMPAIGNS)
def campaign_status(request, pk: int):
    campaign = _campaign(request, pk)
    data = {
        **live_progress(campaign, location_ids=_visible_location_ids(request)),
        "status": campaign.status,
        "status_label": campaign.get_status_display(),
        "written": campaign.invited_count,
        "skipped": campaign.skipped_count,
    }
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


def _contact_by_email(request, email: str) -> Contact | None:
    email = email.strip().lower()[:254]
    if not email:
        return None
    return Contact.objects.for_org(request.org).filter(email=email).first()


@require_GET
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_preview(request, pk: int):
    campaign = _campaign(request, pk)
    wanted = request.GET.get("contact", "")
    contact = _contact_by_email(request, wanted)
    email = services.preview(campaign=campaign, contact=contact)
    return render(
        request,
        "surveys/outreach/campaign_preview.html",
        {
            "org": request.org,
            "campaign": campaign,
            "contact": contact,
            "wanted": wanted.strip()[:254],
            "email": email,
        },
    )


@require_GET
@xframe_options_sameorigin
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_preview_html(request, pk: int):
    """The preview's HTML part alone, for a sandboxed frame."""
    campaign = _campaign(request, pk)
    contact = _contact_by_email(request, request.GET.get("contact", ""))
    email = services.preview(campaign=campaign, contact=contact)
    response = HttpResponse(email["html_body"], content_type="text/html")
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; sandbox"
    )
    return response


def _back(request, campaign: Campaign):
    return redirect("surveys:outreach_campaign", org_slug=request.org.slug, pk=campaign.pk)


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_test(request, pk: int):
    campaign = _campaign(request, pk)
    form = TestEmailForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["contact"]
        contact = _contact_by_email(request, wanted)
        if wanted and contact is None:
            messages.error(request, f"No contact has the address {wanted[:80]}.")
        else:
            services.send_test(campaign=campaign, actor=request.user, contact=contact)
            messages.success(request, f"A test email is on its way to {request.user.email}.")
    return _back(request, campaign)


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_launch(request, pk: int):
    campaign = _campaign(request, pk)
    form = LaunchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid date and time, or leave it blank for now.")
        return _back(request, campaign)
    try:
        services.launch_campaign(
            campaign=campaign, actor=request.user, send_at=form.cleaned_data["send_at"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Launched: invitations are being written and sent.")
    return _back(request, campaign)


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_cancel(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        stopped = services.cancel_campaign(campaign=campaign)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Cancelled; {stopped} email(s) waiting to go were stopped.")
    return _back(request, campaign)


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_close(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        expired = services.close_campaign(campaign=campaign)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Closed; {expired} unanswered invitation(s) expired.")
    return _back(request, campaign)


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_resend(request, pk: int):
    campaign = _campaign(request, pk)
    try:
        count = services.resend_failed(campaign=campaign)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{count} failed email(s) queued again.")
    return _back(request, campaign)


@require_POST
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_anonymous(request, pk: int):
    campaign = _campaign(request, pk)
    form = AnonymousLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Allow between 1 and 100,000 answers.")
        return _back(request, campaign)
    try:
        services.enable_anonymous_link(campaign=campaign, cap=form.cleaned_data["cap"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The anonymous link is ready (below).")
    return _back(request, campaign)


@require_GET
@org_view(Cap.MANAGE_CAMPAIGNS)
def campaign_export(request, pk: int):
    """The campaign's invitations as CSV (streamed, formula-safe)."""
    campaign = _campaign(request, pk)
    rows = (
        Invitation.objects.filter(campaign=campaign)
        .order_by("pk")
        .values_list(
            "contact__email",
            "contact__first_name",
            "contact__last_name",
            "location__code",
            "language",
            "message__state",
            "status",
            "reminders_sent",
            "opened_at",
            "completed_at",
        )
        .iterator(chunk_size=2000)
    )
    header = [
        "email",
        "first_name",
        "last_name",
        "location",
        "language",
        "delivery",
        "status",
        "reminders",
        "opened_at",
        "completed_at",
    ]
    return csv_response(f"campaign-{campaign.pk}-invitations.csv", header, rows)
