"""Celery tasks of the shopper programme: periodic sweeps that find due work in the database."""

from __future__ import annotations

from celery import shared_task

from .scheduling import services


@shared_task(name="shoppers.expire_overdue", acks_late=True)
def expire_overdue() -> int:
    """Periodic: shops still assigned, in progress or returned after their deadline expire."""
    return services.expire_overdue()


@shared_task(name="shoppers.send_window_reminders", acks_late=True)
def send_window_reminders() -> int:
    """Periodic: a reminder email 24 hours before a held shop's visit window closes."""
    return services.send_window_reminders()
