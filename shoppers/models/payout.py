"""Payouts: approved shops' fees (and refunded expenses) grouped into batches that staff pay
outside cxaudit and then mark paid."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cxaudit.accounts.models import Organization, OrgQuerySet


class PayoutBatch(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "To pay"
        PAID = "paid", "Paid"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="payout_batches"
    )
    reference = models.CharField(max_length=60)
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    shops = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    payment_reference = models.CharField(max_length=200, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="payout_reference_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "paid"]), name="payout_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(paid_at__isnull=False),
                name="payout_paid_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference
