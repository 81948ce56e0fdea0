"""The programme's emails, as outbox purposes. Each is written in the transaction of the change
that causes it (docs/outbox.md) and checks, when it is sent, that it still holds: an offer
somebody else took, or a reminder for a shop already sent in, is skipped rather than sent."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

OFFERED = "shoppers.job_offered"
CONFIRMED = "shoppers.assignment_confirmed"
REMINDER = "shoppers.window_reminder"
RETURNED = "shoppers.returned"
APPROVED = "shoppers.approved"
REJECTED = "shoppers.rejected"
WELCOME = "shoppers.application_approved"
ALREADY_REGISTERED = "shoppers.already_registered"


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _assignment(message):
    from .models import Assignment

    assignment = (
        Assignment.objects.select_related("organization", "scenario", "location", "wave", "shopper")
        .filter(pk=message.context.get("assignment_id"))
        .first()
    )
    if assignment is None:
        raise Skip("The shop was deleted.")
    return assignment


def _shop_url(assignment) -> str:
    return absolute(
        reverse("shoppers:assignment", args=[assignment.organization.slug, assignment.pk])
    )


def _for_shopper(message, *statuses):
    assignment = _assignment(message)
    if assignment.shopper_id != message.context.get("shopper_id"):
        raise Skip("The shop is held by someone else since.")
    if statuses and assignment.status not in statuses:
        raise Skip(f"The shop is {assignment.get_status_display().lower()} since.")
    return Extra(context={"assignment": assignment, "url": _shop_url(assignment)})


def _build_offered(message) -> Extra:
    from .models import Assignment, JobOffer

    offer = JobOffer.objects.filter(pk=message.context.get("offer_id")).first()
    if offer is None or offer.status != JobOffer.Status.OFFERED:
        raise Skip("The offer was answered or withdrawn.")
    assignment = _assignment(message)
    if assignment.status != Assignment.Status.OPEN:
        raise Skip("The job was taken or cancelled.")
    url = absolute(reverse("shoppers:job", args=[assignment.organization.slug, assignment.pk]))
    return Extra(context={"assignment": assignment, "url": url})


def _build_confirmed(message) -> Extra:
    from .models import ACTIVE_STATUSES

    return _for_shopper(message, *ACTIVE_STATUSES)


def _build_reminder(message) -> Extra:
    from .models import Assignment

    return _for_shopper(message, Assignment.Status.ASSIGNED, Assignment.Status.IN_PROGRESS)


def _build_returned(message) -> Extra:
    from .models import Assignment

    return _for_shopper(message, Assignment.Status.RETURNED)


def _build_decided(message) -> Extra:
    return _for_shopper(message)


def _build_welcome(message) -> Extra:
    from cxaudit.accounts.models import Organization

    org = Organization.objects.filter(pk=message.organization_id).first()
    if org is None:
        raise Skip("The organisation was deleted.")
    return Extra(
        context={"organization": org, "url": absolute(reverse("shoppers:jobs", args=[org.slug]))}
    )


def _build_already(message) -> Extra:
    from cxaudit.accounts.models import Organization

    org = Organization.objects.filter(pk=message.organization_id).first()
    if org is None:
        raise Skip("The organisation was deleted.")
    return Extra(
        context={
            "organization": org,
            "login_url": absolute(reverse("login")),
            "join_url": absolute(reverse("shoppers:join", args=[org.slug])),
            "reset_url": absolute(reverse("password_reset")),
        }
    )


def register() -> None:
    for name, label, template, build in (
        (OFFERED, "Shop offered", "offered", _build_offered),
        (CONFIRMED, "Shop confirmed", "confirmed", _build_confirmed),
        (REMINDER, "Visit window closing", "reminder", _build_reminder),
        (RETURNED, "Shop returned for edits", "returned", _build_returned),
        (APPROVED, "Shop approved", "approved", _build_decided),
        (REJECTED, "Shop rejected", "rejected", _build_decided),
        (WELCOME, "Shopper application approved", "welcome", _build_welcome),
        (ALREADY_REGISTERED, "Shopper sign-up with a known email", "already", _build_already),
    ):
        registry.register(name, label=label, template=f"emails/shoppers/{template}", build=build)
