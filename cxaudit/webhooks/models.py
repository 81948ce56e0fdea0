"""Webhook endpoints, their deliveries (outbox rows: cxaudit.messaging.models.OutboxRow) and
every attempt of a delivery with its status code and latency."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cxaudit.messaging.models import (
    OutboxQuerySet,
    OutboxRow,
    outbox_constraints,
    outbox_indexes,
)

from .events import EVENTS


class EndpointQuerySet(models.QuerySet):
    def for_org(self, org) -> EndpointQuerySet:
        return self.filter(organization=org)

    def active(self) -> EndpointQuerySet:
        return self.filter(is_active=True)


class Endpoint(models.Model):
    """An HTTPS address of an organisation that receives the events it subscribes to."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    url = models.CharField("URL", max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event names (cxaudit.webhooks.events).")
    # Kept as it is, not hashed: HMAC needs the key itself to sign each delivery (a hash could
    # only check a secret presented to us). Shown once, when made (docs/webhooks.md).
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organization", "is_active"], name="webhook_org_active")]

    def __str__(self) -> str:
        return self.url

    @property
    def event_labels(self) -> list[str]:
        return [EVENTS.get(e, e) for e in self.events]

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell two apart, never enough to sign."""
        return f"{self.secret[:10]}…" if self.secret else ""


class DeliveryQuerySet(OutboxQuerySet):
    def for_org(self, org) -> DeliveryQuerySet:
        return self.filter(organization=org)


class Delivery(OutboxRow):
    """One event for one endpoint. The body is made when the event is emitted and kept, so
    every attempt and every replay sends the same bytes; the signature is made at each attempt
    (its timestamp is the attempt's)."""

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    # The event's id: the same for every endpoint and for replays (receivers deduplicate on it).
    event_id = models.UUIDField()
    # This delivery's own id, sent as Cxaudit-Delivery.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    body = models.TextField()
    replay_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replays"
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                condition=Q(replay_of__isnull=True),
                name="webhook_delivery_once",
            ),
            *outbox_constraints("webhook_delivery"),
        ]
        indexes = [
            *outbox_indexes("webhook_delivery"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_ep_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.state})"

    @property
    def event_label(self) -> str:
        return EVENTS.get(self.event, self.event)


class Attempt(models.Model):
    """One try of a delivery: what the endpoint answered (or why nothing was sent) and how long
    it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    address = models.CharField(max_length=45, blank=True, help_text="The IP address reached.")
    succeeded = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ["delivery", "number", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
