"""Celery tasks of the surveys app: each takes ids, loads the row and calls one service."""

from __future__ import annotations

from celery import shared_task

from cxaudit.journeys.models import Wave

from .imports import services as imports
from .models import Survey
from .responses import rescoring


@shared_task(name="surveys.rescore_survey", acks_late=True)
def rescore_survey(survey_id: int, wave_id: int | None = None) -> int:
    """Re-score the stored responses of a survey (or one wave) under its current rules;
    returns how many were re-scored. Idempotent: a redelivery recomputes the same scores and
    rewrites nothing, so acks_late is safe."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return 0  # deleted since it was queued
    wave = None
    if wave_id is not None:
        wave = Wave.objects.filter(pk=wave_id, organization_id=survey.organization_id).first()
        if wave is None:
            return 0
    return rescoring.rescore(survey=survey, wave=wave)


@shared_task(name="surveys.run_response_import", acks_late=True)
def run_response_import(import_id: int) -> str:
    """Run one response import (idempotent: a finished or claimed job is left alone)."""
    result = imports.run_import(import_id=import_id)
    return result.status if result is not None else "skipped"


@shared_task(name="surveys.requeue_stalled_imports", acks_late=True)
def requeue_stalled_imports() -> list[int]:
    """Periodic: queue again imports whose worker died or whose message was lost."""
    return imports.requeue_stalled_imports()
