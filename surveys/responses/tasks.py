"""Celery task of the responses: re-scoring after a rule change (queued by
surveys.questionnaire.services.change_scoring_rules under its name)."""

from __future__ import annotations

from celery import shared_task

from cxaudit.journeys.models import Wave

from ..questionnaire.models import Survey
from . import rescoring


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
