"""A responses CSV file being imported (surveys.imports.services)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cxaudit.accounts.models import Organization, OrgQuerySet

from ..questionnaire.models import Survey


class ResponseImportQuerySet(OrgQuerySet):
    pass


class ResponseImport(models.Model):
    """A CSV file of responses being imported (in Celery, with progress). All or nothing: when
    any row is bad, every bad row is listed and nothing is imported."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Rejected"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/")
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    # [{"line": 3, "column": "Q2", "reason": "out of range 1–5"}, ...]: the first
    # MAX_LISTED_ERRORS (surveys.imports.rows) only; error_total counts them all.
    errors = models.JSONField(default=list, blank=True)
    error_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Phase(models.TextChoices):
        VALIDATING = "validating", "Checking rows"
        WRITING = "writing", "Saving responses"

    # Running jobs hold a lease: the worker refreshes heartbeat_at as it goes, and the sweeper
    # hands a job whose heartbeat stopped (a killed worker) to another worker. `attempt` fences
    # a worker that lost its lease: its final write names the attempt it claimed.
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    # The same file is not imported twice into the same survey (see surveys.imports.services).
    content_sha256 = models.CharField(max_length=64, blank=True, db_index=True)

    objects = ResponseImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "running", "succeeded", "failed"]),
                name="response_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.original_name} ({self.status})"

    @property
    def problem_count(self) -> int:
        """How many problems the file had in all (imports rejected before error_total existed
        listed every one)."""
        return max(self.error_total, len(self.errors))

    @property
    def unlisted_count(self) -> int:
        return self.problem_count - len(self.errors)

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def progress_percent(self) -> int:
        """Checking every row is the first half of the work, saving them the second."""
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        done = self.processed_rows / self.total_rows
        if self.phase == self.Phase.WRITING:
            return min(100, round(50 + 50 * done))
        return min(50, round(50 * done))
