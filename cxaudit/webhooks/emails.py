"""The email of the webhooks, as an outbox purpose: an endpoint was disabled after a run of
failures. Its link and words are made when the message is sent."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from cxaudit.messaging.registry import Extra, Skip

from .models import Endpoint

DISABLED = "webhooks.endpoint_disabled"


def build_disabled(message) -> Extra:
    endpoint = (
        Endpoint.objects.filter(pk=message.context.get("endpoint_id"))
        .select_related("organization")
        .first()
    )
    if endpoint is None:
        raise Skip("The endpoint was deleted.")
    path = reverse("webhooks:endpoint_detail", args=[endpoint.organization.slug, endpoint.pk])
    return Extra(
        context={
            "endpoint_url": endpoint.url,
            "org_name": endpoint.organization.name,
            "failures": message.context.get("failures"),
            "reason": endpoint.disabled_reason,
            "link": settings.SITE_URL.rstrip("/") + path,
        }
    )
