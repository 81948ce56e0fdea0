"""A self-assessment round: a survey that an organisation's managers fill during a wave."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cxaudit.accounts.models import Organization, OrgQuerySet
from cxaudit.journeys.models import Wave

from ..questionnaire.models import Survey


class SelfAssessmentRoundQuerySet(OrgQuerySet):
    def open(self) -> SelfAssessmentRoundQuerySet:
        return self.filter(status=SelfAssessmentRound.Status.OPEN)


class SelfAssessmentRound(models.Model):
    """Staff ask the organisation's managers to self-assess on a survey during a wave."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="rounds")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="self_assessment_rounds")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    launched_at = models.DateTimeField(auto_now_add=True)
    closes_on = models.DateField(null=True, blank=True)

    objects = SelfAssessmentRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-launched_at"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "wave"], name="round_survey_wave_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.title} — {self.wave}"
