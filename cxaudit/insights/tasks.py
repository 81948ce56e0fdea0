"""Celery tasks of insights: each takes ids, loads the rows and calls one service."""

from __future__ import annotations

from celery import shared_task

from cxaudit.journeys.models import Wave

from .actions import services as actions


@shared_task(name="insights.evaluate_actions", acks_late=True)
def evaluate_actions(wave_id: int) -> dict:
    """Evaluate done action items against a closed wave (idempotent: an item evaluated against
    this wave is skipped)."""
    wave = Wave.objects.filter(pk=wave_id).select_related("organization").first()
    if wave is None:
        return {}
    return actions.evaluate_actions(wave=wave)


@shared_task(name="insights.evaluate_closed_waves", acks_late=True)
def evaluate_closed_waves() -> int:
    """Periodic: evaluate against every closed wave that done items are still waiting for (a
    lost task, or a wave closed before the item was done); returns how many waves ran."""
    waves = actions.waves_awaiting_evaluation()
    for wave in waves:
        actions.evaluate_actions(wave=wave)
    return len(waves)


@shared_task(name="insights.remind_action_owners", acks_late=True)
def remind_action_owners() -> dict:
    """Periodic: due-in-three-days emails and one overdue digest per owner per day."""
    return actions.remind_owners()
