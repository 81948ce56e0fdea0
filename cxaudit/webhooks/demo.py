"""Demo data of the webhooks: one endpoint of Northline Rail's (switched off, so the demo never
posts to the internet) with a delivered event and a failed one, each with its attempts, so that
the pages show what a working and a failing receiver look like. Safe to run again."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.utils import timezone

from cxaudit.accounts.models import Organization
from cxaudit.messaging.models import State

from .events import RESPONSE_SUBMITTED, WAVE_CLOSED
from .models import Attempt, Delivery, Endpoint
from .signing import new_secret

URL = "https://hooks.northline.example/cxaudit"
NAMESPACE = uuid.UUID("7d0f6c2e-2b8a-4a57-9a51-6f1c55d0b3a1")


def seed_demo(org: Organization) -> None:
    endpoint, made = Endpoint.objects.get_or_create(
        organization=org,
        url=URL,
        defaults={
            "description": "Data warehouse loader (demo: switched off)",
            "events": [RESPONSE_SUBMITTED, WAVE_CLOSED],
            "secret": new_secret(),
            "is_active": False,
            "disabled_at": timezone.now(),
            "disabled_reason": "Demo endpoint: switched off so that the demo sends nothing.",
        },
    )
    if not made or endpoint.deliveries.exists():
        return
    now = timezone.now()
    for n, (event, state, answers) in enumerate(
        [
            (WAVE_CLOSED, State.SENT, [(200, 182, "")]),
            (
                RESPONSE_SUBMITTED,
                State.FAILED,
                [(503, 2210, "HTTP 503"), (None, 5003, "timed out")],
            ),
        ]
    ):
        event_id = uuid.uuid5(NAMESPACE, f"{org.slug}:{n}")
        created = now - dt.timedelta(days=2 - n, hours=3)
        body = json.dumps(
            {
                "id": str(event_id),
                "type": event,
                "created_at": created.isoformat(),
                "organization": {"id": org.pk, "slug": org.slug},
                "data": {"demo": True},
            },
            separators=(",", ":"),
        )
        delivery = Delivery.objects.create(
            organization=org,
            endpoint=endpoint,
            event=event,
            event_id=event_id,
            body=body,
            state=state,
            attempts=len(answers),
            created_at=created,
            due_at=created,
            last_attempt_at=created,
            sent_at=created if state == State.SENT else None,
            last_status_code=answers[-1][0],
            last_error="" if state == State.SENT else "timed out (gave up after 2 attempts)",
        )
        for i, (status, latency, error) in enumerate(answers, start=1):
            Attempt.objects.create(
                delivery=delivery,
                number=i,
                started_at=created + dt.timedelta(minutes=i),
                status_code=status,
                latency_ms=latency,
                address="203.0.113.10",
                succeeded=status == 200,
                error=error,
                response_excerpt="ok" if status == 200 else "",
            )
