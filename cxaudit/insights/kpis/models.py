"""KPI definitions and their values per location and wave."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from cxaudit.accounts.models import Location, Organization, OrgQuerySet
from cxaudit.journeys.models import Standard, Wave


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class KpiQuerySet(OrgQuerySet):
    pass


class Kpi(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                "Use letters, digits, '-', '_' or '.', starting with a letter or digit.",
            )
        ],
        help_text="Short stable code, used in the import file.",
    )
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=30, blank=True, help_text="e.g. seconds, %, minutes.")
    direction = models.CharField(max_length=6, choices=Direction.choices, default=Direction.HIGHER)
    target = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    description = models.TextField(blank=True)
    standards = models.ManyToManyField(Standard, blank=True, related_name="kpis")

    objects = KpiQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "KPI"
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="kpi_code_unique"),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="kpi_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def meets(self, value: Decimal | None) -> bool | None:
        """Whether `value` meets the target (None: no target or no value)."""
        if value is None or self.target is None:
            return None
        return value >= self.target if self.direction == Direction.HIGHER else value <= self.target


class KpiValueQuerySet(OrgQuerySet):
    org_field = "kpi__organization"


class KpiValue(models.Model):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    imported_at = models.DateTimeField(auto_now=True)

    objects = KpiValueQuerySet.as_manager()

    class Meta:
        ordering = ["kpi", "wave__starts_on", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "location", "wave"], name="kpi_value_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.location.code} {self.wave.name} = {self.value}"
