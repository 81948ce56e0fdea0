"""An export built in the background (cxaudit.downloads.services)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone

from cxaudit.accounts.models import Organization, OrgQuerySet


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportJobQuerySet(OrgQuerySet):
    def visible_to(self, *, user, kinds, limited: bool) -> ExportJobQuerySet:
        """The jobs a member may see: of the kinds their role may export; a member limited
        to some locations sees only their own (another member's export may hold more)."""
        qs = self.filter(kind__in=list(kinds))
        return qs.filter(requested_by=user) if limited else qs


class ExportJob(models.Model):
    """One export being built or ready to download. Claimed by a worker with a conditional
    update (queued -> running) under a lease: the worker refreshes heartbeat_at, and the
    sweeper queues again a job whose heartbeat stopped (a killed worker); `attempt` fences a
    worker that lost its lease."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Building"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    # The identifier in URLs: random, so that a link says nothing about other exports.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20)
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    # What was asked (survey code, wave, location, campaign ids…), and the requester's location
    # limit when they asked (None: every location), applied when the worker builds the file.
    filters = models.JSONField(default=dict, blank=True)
    location_ids = models.JSONField(null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    rows_done = models.PositiveIntegerField(default=0)
    rows_total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", max_length=255, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "running", "done", "failed", "expired"]),
                name="export_job_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=["csv", "xlsx"]), name="export_job_format_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="done") | models.Q(expires_at__isnull=False),
                name="export_job_done_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="export_job_org_idx"),
            models.Index(fields=["state", "heartbeat_at"], name="export_job_sweep_idx"),
        ]

    def __str__(self) -> str:
        return f"Export {self.kind} {self.format} ({self.state})"

    def claim(self) -> bool:
        """Take this queued job for the calling worker (queued -> running, next attempt);
        False when it is not queued any more (another worker has it, or it is finished)."""
        now = timezone.now()
        claimed = ExportJob.objects.filter(pk=self.pk, state=self.State.QUEUED).update(
            state=self.State.RUNNING,
            attempt=F("attempt") + 1,
            started_at=now,
            heartbeat_at=now,
            rows_done=0,
            error="",
        )
        if claimed:
            self.refresh_from_db()
        return bool(claimed)

    @property
    def is_finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED, self.State.EXPIRED}

    @property
    def is_downloadable(self) -> bool:
        return (
            self.state == self.State.DONE
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def progress_percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, round(100 * self.rows_done / self.rows_total))
