"""Celery tasks of the responses CSV import (queued by surveys.imports.services under their
names; the sweeper runs in beat, settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="surveys.run_response_import", acks_late=True)
def run_response_import(import_id: int) -> str:
    """Run one response import (idempotent: a finished or claimed job is left alone)."""
    result = services.run_import(import_id=import_id)
    return result.status if result is not None else "skipped"


@shared_task(name="surveys.requeue_stalled_imports", acks_late=True)
def requeue_stalled_imports() -> list[int]:
    """Periodic: queue again imports whose worker died or whose message was lost."""
    return services.requeue_stalled_imports()
