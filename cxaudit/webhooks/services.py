"""The webhooks' workflows: emit an event with the business change that causes it; register,
change and disable endpoints; claim and send due deliveries (the outbox's claim, backoff and
sweeper, cxaudit.messaging); disable an endpoint after a run of failures and tell its
organisation's admins through the outbox; replay a delivery."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cxaudit.accounts.models import Membership, Organization
from cxaudit.accounts.roles import Role
from cxaudit.enqueue import enqueue_on_commit
from cxaudit.errors import DomainError
from cxaudit.messaging.delivery import Report
from cxaudit.messaging.models import State
from cxaudit.messaging.services import SweepReport, queue_message, sweep_outbox

from . import signing, transport
from .addresses import Refused, check_destination
from .conf import WebhookSettings
from .emails import DISABLED as DISABLED_EMAIL
from .events import EVENTS
from .models import Attempt, Delivery, Endpoint

log = logging.getLogger(__name__)


USER_AGENT = "cxaudit-webhooks/1"


# --- Emitting -------------------------------------------------------------------------------


def emit(org: Organization | int, event: str, payload: dict[str, Any]) -> int:
    """Write one delivery per active endpoint of `org` subscribed to `event`, in the caller's
    transaction, and wake a sender after commit. Returns how many were written (0 costs one
    query). The body is the envelope {id, type, created_at, organization, data: payload}."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    org_id = org if isinstance(org, int) else org.pk
    wanted = [
        pk
        for pk, events in Endpoint.objects.filter(organization_id=org_id, is_active=True)
        .values_list("pk", "events")
        .order_by("pk")
        if event in events
    ]
    if not wanted:
        return 0
    slug = (
        org.slug
        if isinstance(org, Organization)
        else Organization.objects.values_list("slug", flat=True).get(pk=org_id)
    )
    now = timezone.now()
    event_id = uuid.uuid4()
    body = json.dumps(
        {
            "id": str(event_id),
            "type": event,
            "created_at": now,
            "organization": {"id": org_id, "slug": slug},
            "data": payload,
        },
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )
    Delivery.objects.bulk_create(
        [
            Delivery(
                organization_id=org_id,
                endpoint_id=pk,
                event=event,
                event_id=event_id,
                body=body,
                due_at=now,
                created_at=now,
            )
            for pk in wanted
        ]
    )
    enqueue_on_commit("webhooks.dispatch")
    return len(wanted)


# --- Endpoints ------------------------------------------------------------------------------


def _clean(url: str, events: list[str], description: str) -> tuple[str, list[str], str]:
    url = (url or "").strip()
    try:
        check_destination(url, WebhookSettings.load().allow)
    except ValueError as exc:
        raise DomainError(f"The URL is not valid: {exc}.", field="url") from exc
    except Refused as exc:
        raise DomainError(
            f"This destination is not allowed: {exc}. Webhooks go to public addresses only.",
            field="url",
        ) from exc
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise DomainError(f"Unknown event {unknown[0]!r}.", field="events")
    if not events:
        raise DomainError("Choose at least one event.", field="events")
    ordered = [e for e in EVENTS if e in events]
    return url, ordered, (description or "").strip()[:200]


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: Endpoint
    secret: str  # shown once


@transaction.atomic
def register_endpoint(
    *, organization: Organization, url: str, events: list[str], description: str = "", actor=None
) -> NewEndpoint:
    """Register an HTTPS endpoint (its destination checked against the SSRF policy) with a new
    signing secret, returned to be shown once."""
    url, events, description = _clean(url, events, description)
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        organization=organization,
        url=url,
        events=events,
        description=description,
        secret=secret,
        created_by=actor,
    )
    return NewEndpoint(endpoint, secret)


@transaction.atomic
def update_endpoint(
    *, endpoint: Endpoint, url: str, events: list[str], description: str, is_active: bool
) -> Endpoint:
    """Change an endpoint (its destination checked again). Turning it back on starts its count
    of failures afresh."""
    url, events, description = _clean(url, events, description)
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.url, locked.events, locked.description = url, events, description
    if is_active and not locked.is_active:
        locked.is_active, locked.consecutive_failures = True, 0
        locked.disabled_at, locked.disabled_reason = None, ""
    elif not is_active and locked.is_active:
        _switch_off(locked, "Disabled by hand.")
    locked.save()
    return locked


def _switch_off(endpoint: Endpoint, reason: str) -> None:
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason[:300]
    Delivery.objects.filter(endpoint=endpoint).cancel_due(f"The endpoint was disabled: {reason}")


@transaction.atomic
def disable_endpoint(*, endpoint: Endpoint, reason: str = "Disabled by hand.") -> bool:
    """Stop sending to an endpoint; deliveries waiting for it are cancelled. False when it was
    already disabled."""
    locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not locked.is_active:
        return False
    _switch_off(locked, reason)
    locked.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    return True


@transaction.atomic
def rotate_secret(*, endpoint: Endpoint) -> str:
    """A new signing secret (the old one stops signing at once); returned to be shown once."""
    secret = signing.new_secret()
    Endpoint.objects.filter(pk=endpoint.pk).update(secret=secret, updated_at=timezone.now())
    endpoint.secret = secret
    return secret


@transaction.atomic
def replay_delivery(*, delivery: Delivery) -> Delivery:
    """Send a delivery again as a new delivery: same event id and body, a new delivery id and
    a fresh count of attempts."""
    endpoint = Endpoint.objects.get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        raise DomainError("The endpoint is disabled: turn it back on before replaying.")
    replay = Delivery.objects.create(
        organization_id=delivery.organization_id,
        endpoint=endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        body=delivery.body,
        replay_of=delivery,
    )
    enqueue_on_commit("webhooks.send_delivery", replay.pk)
    return replay


# --- Sending --------------------------------------------------------------------------------


def deliver_due(*, limit: int | None = None, only: list[int] | None = None) -> Report:
    """Claim up to one batch of due deliveries (or just `only`) and send them, one by one."""
    cfg = WebhookSettings.load()
    token, ids = Delivery.objects.claim_due(
        limit=limit or cfg.outbox.batch_size, lease=cfg.outbox.lease, only=only
    )
    report = Report()
    renew_at = time.monotonic() + cfg.outbox.lease.total_seconds() / 2
    for pk in ids:
        if time.monotonic() >= renew_at:
            Delivery.objects.renew(token, cfg.outbox.lease)
            renew_at = time.monotonic() + cfg.outbox.lease.total_seconds() / 2
        delivery = (
            Delivery.objects.claimed_by(token).filter(pk=pk).select_related("endpoint").first()
        )
        if delivery is None:
            report.lost += 1  # the sweeper took it back
            continue
        outcome = _send_one(delivery, token, cfg)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _headers(delivery: Delivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Cxaudit-Event": delivery.event,
        "Cxaudit-Event-Id": str(delivery.event_id),
        "Cxaudit-Delivery": str(delivery.delivery_id),
        signing.HEADER: signing.header_value(delivery.endpoint.secret, int(time.time()), body),
    }


def _send_one(delivery: Delivery, token: uuid.UUID, cfg: WebhookSettings) -> str:
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.mark_cancelled(token, reason="The endpoint is disabled.")
        return "cancelled"
    body = delivery.body.encode()
    started = timezone.now()
    try:
        outcome = transport.post(endpoint.url, body, _headers(delivery, body), cfg)
    except Exception as exc:  # a bug or a library's surprise: recorded and retried, not lost
        log.exception("Webhook delivery %s could not be attempted", delivery.pk)
        outcome = transport.Outcome(error=f"{type(exc).__name__}: {exc}"[:400])
    Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        started_at=started,
        status_code=outcome.status,
        latency_ms=outcome.latency_ms,
        address=outcome.address,
        succeeded=outcome.ok,
        error=outcome.error[:500],
        response_excerpt=outcome.excerpt,
    )
    if outcome.ok:
        if not delivery.mark_sent(token, last_status_code=outcome.status):
            return "lost"
        if endpoint.consecutive_failures:
            Endpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return "sent"
    error = outcome.error or "failed"
    if outcome.refused:  # the policy will not change its mind on a retry
        held = delivery.mark_failed(token, error=error)
    else:
        held = delivery.mark_retry(
            token,
            error=error,
            due_at=cfg.outbox.next_attempt(delivery.attempts),
            max_attempts=cfg.outbox.max_attempts,
        )
    if held:
        delivery.last_status_code = outcome.status
        Delivery.objects.filter(pk=delivery.pk).update(last_status_code=outcome.status)
    _count_failure(endpoint, cfg)
    if not held:
        return "lost"
    return "failed" if delivery.state == State.FAILED else "retry"


def _count_failure(endpoint: Endpoint, cfg: WebhookSettings) -> None:
    """One more failure in a row; at `disable_after` the endpoint is disabled and its
    organisation's admins are told, once (the conditional update decides who does it)."""
    Endpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = Endpoint.objects.values_list("consecutive_failures", flat=True).get(pk=endpoint.pk)
    if failures < cfg.disable_after:
        return
    with transaction.atomic():
        now = timezone.now()
        reason = f"{failures} deliveries in a row failed."
        if not Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason, updated_at=now
        ):
            return  # already disabled (by hand, or by another sender)
        Delivery.objects.filter(endpoint_id=endpoint.pk).cancel_due(
            f"The endpoint was disabled: {reason}"
        )
        _tell_admins(endpoint, failures, now)


def _tell_admins(endpoint: Endpoint, failures: int, at) -> None:
    admins = (
        Membership.objects.filter(organization_id=endpoint.organization_id, role=Role.PROGRAM_ADMIN)
        .active()
        .select_related("user")
    )
    for membership in admins:
        queue_message(
            purpose=DISABLED_EMAIL,
            key=f"webhook:{endpoint.pk}:disabled:{at.isoformat()}:{membership.user_id}",
            to_email=membership.user.email,
            to_name=membership.user.full_name,
            organization=endpoint.organization,
            context={"endpoint_id": endpoint.pk, "failures": failures},
        )


def sweep(*, wake: bool = True) -> SweepReport:
    """Periodic: the outbox's sweeper over webhook deliveries (lost senders, due retries)."""
    return sweep_outbox(
        Delivery.objects.all(),
        WebhookSettings.load().outbox,
        wake_task="webhooks.dispatch",
        wake=wake,
    )
