"""PDF report cards in bulk: one zip of every location's report card for a wave, built in
Celery (cxaudit.reportpdfs.services), and each organisation's choice to email its managers
their location's report card when a wave closes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from cxaudit.accounts.models import Organization, OrgQuerySet


class PdfBatchQuerySet(OrgQuerySet):
    def expired(self, now=None) -> PdfBatchQuerySet:
        """Finished batches past their keeping time whose file is still stored."""
        return self.filter(state=PdfBatch.State.READY, expires_at__lt=now or timezone.now())


class PdfBatch(models.Model):
    """A zip of location report cards for one wave, with progress. The worker that claims it
    (a conditional update queued → running that bumps `attempt`) refreshes `heartbeat_at` as it
    goes; every later write names that attempt, so a worker that lost its claim to the sweeper
    changes nothing."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Building"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey("journeys.Wave", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The locations it covers (those the requester saw): a member sees the batch only when
    # they may see every one of them.
    location_ids = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    attempt = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to="reportpdfs/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = PdfBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "ready", "failed", "expired"]),
                name="pdfbatch_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=F("total")), name="pdfbatch_done_le_total"
            ),
            models.CheckConstraint(
                condition=~Q(state="ready") | Q(expires_at__isnull=False),
                name="pdfbatch_ready_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "heartbeat_at"], name="pdfbatch_state_idx"),
            models.Index(fields=["organization", "-created_at"], name="pdfbatch_org_idx"),
        ]

    def __str__(self) -> str:
        return f"PDF batch #{self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED, self.State.EXPIRED)

    @property
    def percent(self) -> int:
        if self.state == self.State.READY:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def claim(self) -> bool:
        """Queued → running under a new attempt; False when another worker has it or it is
        finished (a redelivered task)."""
        now = timezone.now()
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, state=self.State.QUEUED)
            .update(
                state=self.State.RUNNING,
                attempt=F("attempt") + 1,
                heartbeat_at=now,
                started_at=now,
                done=0,
            )
        )
        if claimed:
            self.refresh_from_db()
        return claimed == 1

    def _fenced(self, **changes) -> bool:
        """Apply `changes` while this attempt still holds the claim; True if it did."""
        done = (
            type(self)
            .objects.filter(pk=self.pk, state=self.State.RUNNING, attempt=self.attempt)
            .update(**changes)
        ) == 1
        if done:
            for name, value in changes.items():
                setattr(self, name, value)
        return done

    def record_progress(self, done: int) -> bool:
        return self._fenced(done=done, heartbeat_at=timezone.now())

    def mark_ready(self, *, name: str, size: int, keep) -> bool:
        now = timezone.now()
        return self._fenced(
            state=self.State.READY,
            done=self.total,
            file=name,
            size=size,
            finished_at=now,
            expires_at=now + keep,
            heartbeat_at=now,
            error="",
        )

    def mark_failed(self, error: str) -> bool:
        return self._fenced(state=self.State.FAILED, error=error[:2000], finished_at=timezone.now())


class PdfSettings(models.Model):
    """An organisation's choices for PDF report cards."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="pdf_settings"
    )
    email_managers_on_close = models.BooleanField(
        default=False,
        help_text=(
            "When a wave closes, email each client manager limited to some locations a link to "
            "the PDF report card of each of their locations that has approved shops in it."
        ),
    )

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return f"PDF settings of {self.organization}"

    @classmethod
    def of(cls, organization: Organization) -> PdfSettings:
        found = cls.objects.filter(organization=organization).first()
        return found or cls(organization=organization)
