"""Celery tasks of customer outreach (queued by name from services; the tick runs in beat)."""

from __future__ import annotations

from celery import shared_task

from . import contacts, launch


@shared_task(name="surveys.run_contact_import", acks_late=True)
def run_contact_import(import_id: int) -> str:
    """Import a contacts CSV (idempotent: a finished or claimed job is left alone)."""
    result = contacts.run_contact_import(import_id=import_id)
    return result.status if result is not None else "skipped"


@shared_task(name="surveys.requeue_stalled_contact_imports", acks_late=True)
def requeue_stalled_contact_imports() -> list[int]:
    """Periodic: queue again contact imports whose worker died or whose message was lost."""
    return contacts.requeue_stalled_contact_imports()


@shared_task(name="surveys.write_invitations", acks_late=True)
def write_invitations(campaign_id: int) -> dict:
    """Write a campaign's invitations and messages in batches, if this task wins its lease."""
    report = launch.write_invitations(campaign_id=campaign_id)
    if report is None:
        return {"claimed": False}
    return {"claimed": True, "invited": report.invited, "skipped": report.skipped}


@shared_task(name="surveys.outreach_tick", acks_late=True)
def outreach_tick() -> dict:
    """Periodic: start due campaigns, resume lost writers, close expired ones, queue reminders."""
    report = launch.tick()
    return {"writers": report.writers, "closed": report.closed, "reminders": report.reminders}
