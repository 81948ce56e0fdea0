"""Customer journeys, the service standards measured at each touchpoint, and measurement waves."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from cxaudit.accounts.models import Organization, OrgQuerySet

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
    "Use up to 40 letters, digits, '-', '_' or '.', starting with a letter or digit.",
)


class Channel(models.TextChoices):
    IN_STORE = "in_store", "In store / at the desk"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    EMAIL = "email", "Email"
    WEB = "web", "Web"
    APP = "app", "App"
    SOCIAL = "social", "Social media"


# Bootstrap icon names per channel, for the journey map cards.
CHANNEL_ICONS = {
    Channel.IN_STORE: "shop",
    Channel.PHONE: "telephone",
    Channel.CHAT: "chat-dots",
    Channel.EMAIL: "envelope",
    Channel.WEB: "globe",
    Channel.APP: "phone",
    Channel.SOCIAL: "people",
}


class Dimension(models.TextChoices):
    """SERVQUAL's five dimensions (Parasuraman, Zeithaml & Berry, 1988)."""

    TANGIBLES = "tangibles", "Tangibles"
    RELIABILITY = "reliability", "Reliability"
    RESPONSIVENESS = "responsiveness", "Responsiveness"
    ASSURANCE = "assurance", "Assurance"
    EMPATHY = "empathy", "Empathy"


class Comparator(models.TextChoices):
    LT = "lt", "<"
    LTE = "lte", "≤"
    EQ = "eq", "="
    GTE = "gte", "≥"
    GT = "gt", ">"


class JourneyQuerySet(OrgQuerySet):
    def active(self) -> JourneyQuerySet:
        return self.filter(status=Journey.Status.ACTIVE)

    def with_structure(self) -> JourneyQuerySet:
        """Stages, touchpoints and standards in order, in four queries whatever the size."""
        return self.prefetch_related(
            models.Prefetch(
                "stages",
                queryset=Stage.objects.order_by("position", "pk").prefetch_related(
                    models.Prefetch(
                        "touchpoints",
                        queryset=Touchpoint.objects.order_by("position", "pk").prefetch_related(
                            models.Prefetch(
                                "standards", queryset=Standard.objects.order_by("position", "pk")
                            )
                        ),
                    )
                ),
            )
        )


class Journey(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="journeys"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JourneyQuerySet.as_manager()

    class Meta:
        ordering = ["status", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "archived"]), name="journey_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageQuerySet(OrgQuerySet):
    org_field = "journey__organization"


class Stage(models.Model):
    """A step of the journey (discover, buy, use, get support…), ordered by `position`."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Positions are kept contiguous from 0 by the services (no unique constraint: reordering
    # swaps positions, and SQLite has no deferrable constraints).
    position = models.PositiveIntegerField(default=0)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["journey", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class TouchpointQuerySet(OrgQuerySet):
    org_field = "stage__journey__organization"


class Touchpoint(models.Model):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="touchpoints")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    is_moment_that_matters = models.BooleanField("moment that matters", default=False)
    customer_expectation = models.TextField(
        blank=True, help_text="What the customer expects at this moment, in their words."
    )
    pain_points = models.TextField(blank=True, help_text="Known pain points and notes.")
    position = models.PositiveIntegerField(default=0)

    objects = TouchpointQuerySet.as_manager()

    class Meta:
        ordering = ["stage", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="touchpoint_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def channel_icon(self) -> str:
        return CHANNEL_ICONS.get(self.channel, "circle")


# Units written in the plural that read wrongly after exactly 1 ("1 minutes"): the last word of
# the unit loses its plural "s". Abbreviations ("s", "min", "%") are left as they are.
PLURAL_UNITS = {
    "seconds", "minutes", "hours", "days", "weeks", "months", "years", "steps", "clicks",
    "calls", "rings", "transfers", "attempts", "visits", "contacts", "times", "points", "pages",
}  # fmt: skip


def unit_for(value, unit: str) -> str:
    """`unit` as it reads after `value`: "1 working day", "2 working days"."""
    words = unit.split(" ")
    if value is not None and float(value) == 1 and words[-1].lower() in PLURAL_UNITS:
        words[-1] = words[-1][:-1]
    return " ".join(words)


class StandardQuerySet(OrgQuerySet):
    pass


class Standard(models.Model):
    """What "good" means at a touchpoint; every score and gap is measured against one."""

    # Denormalised from the touchpoint so that codes are unique per organisation in the database
    # and every gap query can scope without three joins.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="standards"
    )
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="standards")
    code = models.CharField(
        max_length=40,
        validators=[code_validator],
        help_text="Stable code, unique in the organisation.",
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    target_value = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    target_unit = models.CharField(max_length=30, blank=True)
    target_comparator = models.CharField(max_length=3, choices=Comparator.choices, blank=True)
    promise = models.TextField(
        blank=True, help_text="What marketing promises customers (for the communication gap)."
    )
    importance = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    position = models.PositiveIntegerField(default=0)

    objects = StandardQuerySet.as_manager()

    class Meta:
        ordering = ["touchpoint", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="standard_code_unique"),
            models.CheckConstraint(
                condition=models.Q(dimension__in=Dimension.values), name="standard_dimension_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(importance__gte=1, importance__lte=5),
                name="standard_importance_1_5",
            ),
            # A target is all three parts or none.
            models.CheckConstraint(
                condition=(
                    models.Q(target_value__isnull=True, target_unit="", target_comparator="")
                    | (
                        models.Q(target_value__isnull=False)
                        & ~models.Q(target_unit="")
                        & models.Q(target_comparator__in=Comparator.values)
                    )
                ),
                name="standard_target_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def has_target(self) -> bool:
        return self.target_value is not None

    @property
    def target_display(self) -> str:
        """The target as people write it: "≤ 1 minute", "≤ 2 minutes", "≥ 80 %"."""
        if not self.has_target:
            return ""
        value = f"{self.target_value.normalize():f}"
        unit = unit_for(self.target_value, self.target_unit)
        return f"{self.get_target_comparator_display()} {value} {unit}"

    def target_met(self, value: float) -> bool | None:
        """Whether an observed value meets the target (None when there is no target)."""
        if not self.has_target:
            return None
        t = float(self.target_value)
        return {
            Comparator.LT: value < t,
            Comparator.LTE: value <= t,
            Comparator.EQ: value == t,
            Comparator.GTE: value >= t,
            Comparator.GT: value > t,
        }[Comparator(self.target_comparator)]


class WaveQuerySet(OrgQuerySet):
    def open(self) -> WaveQuerySet:
        return self.filter(status=Wave.Status.OPEN)


class Wave(models.Model):
    """A measurement period; shops, invitations and self-assessments belong to one."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(max_length=100)
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)

    objects = WaveQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "starts_on", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="wave_name_unique"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="wave_dates_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["planned", "open", "closed"]),
                name="wave_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
