"""The panel: an organisation's programme settings, its shoppers, the scenarios they are sent
to test, and the certification quizzes some scenarios ask for."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cxaudit.accounts.models import Location, Organization, OrgQuerySet
from cxaudit.journeys.models import Touchpoint
from surveys.models import Response, Survey

DEFAULT_TERMS = (
    "As a mystery shopper you visit, call or write to the business as an ordinary customer "
    "would, follow the scenario's brief, never reveal that you are assessing, and report "
    "honestly what happened. You never shop a location where you work or are known. Your "
    "reports, photos and visit times are checked by a reviewer before they count, and a fee "
    "is paid only for an approved shop. Your contact details are used only to run this "
    "programme."
)


class AgeBand(models.TextChoices):
    UNDER_25 = "18-24", "18–24"
    AGE_25_34 = "25-34", "25–34"
    AGE_35_49 = "35-49", "35–49"
    AGE_50_64 = "50-64", "50–64"
    OVER_65 = "65+", "65 or over"


class Gender(models.TextChoices):
    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NON_BINARY = "non_binary", "Non-binary"


class ShopperProgramme(models.Model):
    """One organisation's programme rules (made with defaults on first use)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="shopper_programme"
    )
    accepting_applications = models.BooleanField(
        default=True, help_text="Show the sign-up page for new shoppers."
    )
    terms = models.TextField(default=DEFAULT_TERMS, help_text="Shown on the sign-up page.")
    currency = models.CharField(max_length=3, default="GBP", help_text="ISO 4217 code, e.g. GBP.")
    lockout_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(365)],
        help_text="Days between two shops by one shopper at one location.",
    )
    daily_self_assign_limit = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Jobs a shopper may take from the job board per day.",
    )
    open_limit = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Jobs a shopper may hold at once (taken, started or returned for edits).",
    )
    report_grace_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MaxValueValidator(24 * 14)],
        help_text="Hours after the visit window closes by which the report must be submitted.",
    )
    return_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="Days a shopper has to correct a shop returned for edits.",
    )
    # Visit integrity thresholds (shoppers.review.integrity).
    gps_tolerance_m = models.PositiveIntegerField(
        default=500, help_text="A photo taken further than this from the location is flagged."
    )
    photo_time_tolerance_minutes = models.PositiveIntegerField(
        default=120, help_text="A photo taken this long before or after the visit is flagged."
    )
    min_seconds_per_answer = models.PositiveSmallIntegerField(
        default=4, help_text="A form filled faster than this per answer is flagged."
    )

    def __str__(self) -> str:
        return f"Shopper programme of {self.organization}"

    @classmethod
    def of(cls, organization: Organization) -> ShopperProgramme:
        programme, _ = cls.objects.get_or_create(organization=organization)
        return programme


class ShopperProfileQuerySet(OrgQuerySet):
    def active(self) -> ShopperProfileQuerySet:
        return self.filter(status=ShopperProfile.Status.ACTIVE, user__is_active=True)


class ShopperProfile(models.Model):
    """A shopper in one organisation's panel (the user logs in with their email)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DECLINED = "declined", "Declined"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="shopper_profiles"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shopper_profiles"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    phone = models.CharField(max_length=40, blank=True)
    home_region = models.CharField(
        max_length=100, blank=True, help_text="Jobs at locations of this region are shown first."
    )
    languages = models.JSONField(
        default=list, blank=True, help_text="Language codes the shopper speaks, e.g. en, fr."
    )
    age_band = models.CharField(max_length=5, choices=AgeBand.choices, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    excluded_locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="+",
        help_text="Locations this shopper must never shop (where they work or are known).",
    )
    # The mean of the review outcomes of the shopper's latest decided shops (1-5), None until
    # the first decision (shoppers.scheduling.services.update_rating).
    rating = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rated_shops = models.PositiveIntegerField(default=0)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    staff_notes = models.TextField(blank=True)

    objects = ShopperProfileQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="shopper_profile_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "active", "inactive", "declined"]),
                name="shopper_profile_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True)
                | models.Q(rating__gte=Decimal("1"), rating__lte=Decimal("5")),
                name="shopper_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ScenarioQuerySet(OrgQuerySet):
    def active(self) -> ScenarioQuerySet:
        return self.filter(is_active=True)


class Scenario(models.Model):
    """The brief of a shop: what to do at which touchpoint, which form to fill, what it pays
    and who may take it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="scenarios"
    )
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.PROTECT, related_name="scenarios")
    title = models.CharField(max_length=200)
    brief = models.TextField(help_text="What to do and say, and what to observe.")
    # The survey to fill, by its code: a visit always starts on the version published then.
    survey = models.ForeignKey(
        Survey,
        on_delete=models.PROTECT,
        related_name="scenarios",
        help_text="The mystery-shop visit form (its published version is used).",
    )
    fee = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    expense_cap = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Most that is refunded for a purchase the scenario asks for (0: none).",
    )
    required_evidence = models.CharField(
        max_length=300, blank=True, help_text="e.g. a photo of the receipt and of the desk."
    )
    receipt_question = models.CharField(
        max_length=64,
        blank=True,
        help_text="Code of the form's file question that holds the receipt; an expense is "
        "refunded only with a receipt there.",
    )
    allow_self_assign = models.BooleanField(
        default=True, help_text="Eligible shoppers may take it from the job board at once."
    )
    # Eligibility (an empty list or None: anyone).
    regions = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="All of these are needed.")
    age_bands = models.JSONField(default=list, blank=True)
    genders = models.JSONField(default=list, blank=True)
    min_rating = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    certification_survey = models.ForeignKey(
        Survey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certified_scenarios",
        help_text="A quiz the shopper must pass first (its published version is used).",
    )
    pass_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScenarioQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(fee__gte=0), name="scenario_fee_positive"),
            models.CheckConstraint(
                condition=models.Q(expense_cap__gte=0), name="scenario_expense_cap_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def current_survey(self) -> Survey | None:
        """The published version of the scenario's form, or None when none is published."""
        return (
            Survey.objects.filter(
                organization_id=self.organization_id,
                code=self.survey.code,
                status=Survey.Status.PUBLISHED,
            )
            .order_by("-version")
            .first()
        )

    def current_certification(self) -> Survey | None:
        if self.certification_survey_id is None:
            return None
        return (
            Survey.objects.filter(
                organization_id=self.organization_id,
                code=self.certification_survey.code,
                status=Survey.Status.PUBLISHED,
            )
            .order_by("-version")
            .first()
        )


class Certification(models.Model):
    """One attempt at a scenario's certification quiz; passed when its score reaches the
    scenario's pass mark."""

    MAX_ATTEMPTS = 3

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="certifications")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications"
    )
    response = models.OneToOneField(Response, on_delete=models.PROTECT, related_name="+")
    score_percent = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    taken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["shopper", "scenario", "passed"])]

    def __str__(self) -> str:
        return f"{self.shopper} — {self.scenario}: {'passed' if self.passed else 'not passed'}"
