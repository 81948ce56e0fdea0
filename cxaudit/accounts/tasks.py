from celery import shared_task

from . import services


@shared_task(name="accounts.health_check", acks_late=True)
def health_check(name: str = "worker") -> int:
    """Record a heartbeat row for `name` (idempotent enough: a duplicate only counts twice)."""
    return services.record_heartbeat(name=name)
