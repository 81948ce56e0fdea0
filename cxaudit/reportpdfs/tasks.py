"""Celery tasks of the PDF report cards (queued by name from services; the sweeper runs in
beat, settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="reportpdfs.build_batch", acks_late=True)
def build_batch(batch_id: int) -> str:
    """Build one batch's zip (idempotent: a claimed or finished batch is left alone)."""
    batch = services.build_batch(batch_id=batch_id)
    return batch.state if batch is not None else "skipped"


@shared_task(name="reportpdfs.sweep", acks_late=True)
def sweep() -> dict:
    """Periodic: delete expired zips; re-queue batches a lost worker left behind."""
    report = services.sweep()
    return {"deleted": report.deleted, "requeued": report.requeued, "failed": report.failed}


@shared_task(name="reportpdfs.email_wave_reports", acks_late=True)
def email_wave_reports(wave_id: int) -> int:
    """Queue the closed wave's report card emails to location managers (once per key)."""
    return services.queue_wave_report_emails(wave_id=wave_id)
