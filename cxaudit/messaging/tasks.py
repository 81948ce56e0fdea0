"""Celery tasks of the outbox: each loads due rows and calls one service. All are idempotent
(a row is claimed by a conditional update before anything is sent), so acks_late is safe: a
task redelivered after a lost worker finds its rows claimed, sent, or back in the queue."""

from __future__ import annotations

from celery import shared_task

from cxaudit.enqueue import send_now

from . import services


@shared_task(name="messaging.send_message", acks_late=True)
def send_message(message_id: int) -> dict:
    """Send one queued message if this task wins its claim (a duplicate task does nothing)."""
    return services.deliver_due(limit=1, only=[message_id]).as_dict()


@shared_task(name="messaging.dispatch", acks_late=True)
def dispatch() -> dict:
    """Send one batch of due messages; when the batch was full, queue the next batch, so that
    one sender works through a large queue without a task per message in the broker."""
    from .conf import OutboxSettings

    report = services.deliver_due()
    if report.handled >= OutboxSettings.load().batch_size:
        send_now("messaging.dispatch")  # a broker that is down: the sweeper wakes a sender
    return report.as_dict()


@shared_task(name="messaging.sweep", acks_late=True)
def sweep() -> dict:
    """Periodic: re-queue what lost senders left, and wake senders for due messages."""
    return services.sweep().as_dict()


@shared_task(name="messaging.noop", acks_late=True)
def noop() -> None:
    """Does nothing: the broker-and-worker ceiling that bench/outbox.py measures sending
    against (same broker, same worker settings)."""
