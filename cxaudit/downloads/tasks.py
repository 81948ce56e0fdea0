"""Celery tasks of exports (queued by cxaudit.downloads.services under their names; the
sweeper runs in beat, settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="downloads.run_export", acks_late=True)
def run_export(job_id: int) -> str:
    """Build one export's file (idempotent: a finished or claimed job is left alone)."""
    job = services.run_export(job_id=job_id)
    return job.state if job is not None else "skipped"


@shared_task(name="downloads.sweep_exports", acks_late=True)
def sweep_exports() -> dict:
    """Periodic: delete expired files; queue again exports a lost worker left behind."""
    return services.sweep_exports()
