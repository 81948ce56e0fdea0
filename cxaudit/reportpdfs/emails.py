"""The wave report email, as an outbox purpose: a link to the location's PDF report card
(login required). Built when it is sent, so a manager who left, or lost the location, or a
wave reopened meanwhile, gets nothing."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

WAVE_REPORT = "reportpdfs.wave_report"


def _build(message) -> Extra:
    from cxaudit.accounts.models import Location, Membership
    from cxaudit.accounts.roles import Role
    from cxaudit.journeys.models import Wave

    ctx = message.context
    wave = Wave.objects.select_related("organization").filter(pk=ctx.get("wave_id")).first()
    location = Location.objects.filter(pk=ctx.get("location_id")).first()
    if wave is None or location is None:
        raise Skip("The wave or the location was deleted.")
    if wave.status != Wave.Status.CLOSED:
        raise Skip("The wave was reopened.")
    membership = (
        Membership.objects.active()
        .filter(
            organization=wave.organization,
            user_id=ctx.get("user_id"),
            role=Role.CLIENT_MANAGER,
            locations=location,
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        raise Skip("The recipient no longer manages this location.")
    org = wave.organization
    pdf = reverse("reportpdfs:location_pdf", args=[org.slug, location.code])
    page = reverse("insights:report_card", args=[org.slug, location.code])
    base = settings.SITE_URL.rstrip("/")
    return Extra(
        context={
            "user": membership.user,
            "organization": org,
            "wave": wave,
            "location": location,
            "pdf_url": f"{base}{pdf}?wave={wave.pk}",
            "page_url": f"{base}{page}?wave={wave.pk}",
        }
    )


def register() -> None:
    registry.register(
        WAVE_REPORT,
        label="Location report card when a wave closes",
        template="emails/reportpdfs/wave_report",
        build=_build,
    )
