"""Celery tasks of the webhooks: each claims due deliveries and calls one service. Idempotent
(a delivery is claimed by a conditional update before it is sent), so acks_late is safe."""

from __future__ import annotations

from celery import shared_task

from cxaudit.enqueue import send_now

from . import services
from .conf import WebhookSettings


@shared_task(name="webhooks.send_delivery", acks_late=True)
def send_delivery(delivery_id: int) -> dict:
    """Send one due delivery if this task wins its claim (a duplicate task does nothing)."""
    return services.deliver_due(limit=1, only=[delivery_id]).as_dict()


@shared_task(name="webhooks.dispatch", acks_late=True)
def dispatch() -> dict:
    """Send one batch of due deliveries; when it was full, queue the next batch."""
    report = services.deliver_due()
    if report.handled >= WebhookSettings.load().outbox.batch_size:
        send_now("webhooks.dispatch")  # a broker that is down: the sweeper wakes a sender
    return report.as_dict()


@shared_task(name="webhooks.sweep", acks_late=True)
def sweep() -> dict:
    """Periodic: take back what lost senders left, and wake senders for due deliveries."""
    return services.sweep().as_dict()
