"""The instrument: surveys of three kinds, their versions, sections and questions mapped to service
standards. Responses to a version are in surveys.responses.models."""

from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from cxaudit.accounts.models import Organization, OrgQuerySet
from cxaudit.journeys.models import Standard

from ..question_types import Option, QuestionSpec, QuestionType, ShowIf

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
    "Use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.",
)


class Aspect(models.TextChoices):
    PERCEPTION = "perception", "Perception (how it was)"
    EXPECTATION = "expectation", "Expectation (how it should be)"


# What a question's aspect means on each kind of survey: a mystery shopper observes (there is no
# shopper's expectation: the standard says what is expected); managers rate their own service
# and say what they think customers expect. Keyed by Survey.Kind values.
ASPECTS_BY_KIND: dict[str, dict[str, str]] = {
    "mystery_shop": {"perception": "Observation (what the shopper saw)"},
    "customer": {
        "perception": "Perception (how it was)",
        "expectation": "Expectation (how it should be)",
    },
    "self_assessment": {
        "perception": "Self-rating (how we deliver it)",
        "expectation": "Customers' expectation, as managers see it",
    },
}


def aspect_label(kind: str, aspect: str) -> str:
    """The aspect as the kind of survey means it ("" for none)."""
    if not aspect:
        return ""
    return ASPECTS_BY_KIND.get(kind, {}).get(aspect) or Aspect(aspect).label


def show_if_from_json(data: dict | None) -> ShowIf | None:
    """`{"question": CODE, "operator": OP, "value": V}` as stored on sections and questions."""
    if not data:
        return None
    return ShowIf(
        question_code=data["question"], operator=data["operator"], value=data.get("value")
    )


class SurveyQuerySet(OrgQuerySet):
    def published(self) -> SurveyQuerySet:
        return self.filter(status=Survey.Status.PUBLISHED)

    def latest_versions(self) -> SurveyQuerySet:
        """The newest version of each survey code."""
        newest = (
            Survey.objects.filter(
                organization=models.OuterRef("organization"), code=models.OuterRef("code")
            )
            .order_by("-version")
            .values("pk")[:1]
        )
        return self.filter(pk=models.Subquery(newest))


class Survey(models.Model):
    """One version of a questionnaire. A version with responses is never edited in place:
    publishing a change makes a new version, and old responses keep pointing to theirs."""

    class Kind(models.TextChoices):
        MYSTERY_SHOP = "mystery_shop", "Mystery shop visit form"
        CUSTOMER = "customer", "Customer survey"
        SELF_ASSESSMENT = "self_assessment", "Self-assessment"
        # A short scored quiz a shopper must pass before a scenario that asks for it
        # (shoppers.Scenario.certification_survey); its responses never count in the analysis.
        CERTIFICATION = "certification", "Shopper certification quiz"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    class NaPolicy(models.TextChoices):
        OMIT = "omit", "N/A is left out of possible points"
        COUNT_AS_FAIL = "count_as_fail", "N/A counts as not achieved"
        COUNT_AS_PASS = "count_as_pass", "N/A counts as achieved"

    class CriticalScope(models.TextChoices):
        SECTION = "section", "A failed knock-out question zeroes its section"
        FORM = "form", "A failed knock-out question zeroes the whole form"

    class Paging(models.TextChoices):
        SINGLE = "single", "All questions on one page"
        SECTIONS = "sections", "One section per page"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    code = models.CharField(
        max_length=64, validators=[code_validator], help_text="Stable across versions."
    )
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    na_policy = models.CharField(max_length=20, choices=NaPolicy.choices, default=NaPolicy.OMIT)
    bonus_cap = models.BooleanField(
        default=True,
        help_text="Cap section and overall scores at 100% when bonus points are earned.",
    )
    critical_scope = models.CharField(
        max_length=10, choices=CriticalScope.choices, default=CriticalScope.SECTION
    )
    paging = models.CharField(max_length=10, choices=Paging.choices, default=Paging.SECTIONS)
    keep_photo_location = models.BooleanField(
        default=False,
        help_text="Keep GPS location in uploaded photos as proof of visit (else stripped).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "code", "version"], name="survey_version_unique"
            ),
            # At most one published version of a survey at a time.
            models.UniqueConstraint(
                fields=["organization", "code"],
                condition=models.Q(status="published"),
                name="survey_one_published_version",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["mystery_shop", "customer", "self_assessment", "certification"]
                ),
                name="survey_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "archived"]),
                name="survey_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def has_responses(self) -> bool:
        return self.responses.exists()


class SectionQuerySet(OrgQuerySet):
    org_field = "survey__organization"


class Section(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    weight = models.DecimalField(
        max_digits=8,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Optional. When any section has a weight, the overall score is the weighted "
        "mean of section percentages.",
    )
    # {"question": CODE, "operator": "equals", "value": ...}; see question_types.ShowIf.
    show_if = models.JSONField(null=True, blank=True)

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class QuestionQuerySet(OrgQuerySet):
    org_field = "survey__organization"


class Question(models.Model):
    # Denormalised from the section so that codes are unique per survey version in the database.
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(max_length=64, validators=[code_validator])
    type = models.CharField(max_length=20, choices=[(t.value, t.value) for t in QuestionType])
    text = models.TextField()
    help_text = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    points = models.FloatField(default=1.0, validators=[MinValueValidator(0)])
    bonus = models.BooleanField(default=False, help_text="Adds earned points only.")
    critical = models.BooleanField(
        default=False, help_text="Knock-out: failing it zeroes the section or the form."
    )
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, null=True, blank=True, related_name="questions"
    )
    aspect = models.CharField(max_length=12, choices=Aspect.choices, blank=True)
    # Type-specific settings: options [{value, label, points}], scale_min/max, min/max_label,
    # unit, target_value, target_comparator, allow_na, max_length (text). Validated by
    # question_types.spec_errors.
    config = models.JSONField(default=dict, blank=True)
    show_if = models.JSONField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["section__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique"),
            models.CheckConstraint(
                condition=models.Q(type__in=[t.value for t in QuestionType]),
                name="question_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(aspect__in=["", "perception", "expectation"]),
                name="question_aspect_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text[:60]}"

    def spec(self) -> QuestionSpec:
        """The pure description the cleaning and scoring functions work on."""
        c = self.config or {}
        show_if = show_if_from_json(self.show_if)
        return QuestionSpec(
            code=self.code,
            type=self.type,
            required=self.required,
            points=self.points,
            bonus=self.bonus,
            critical=self.critical,
            options=tuple(
                Option(
                    value=str(o["value"]),
                    label=o.get("label", ""),
                    points=float(o.get("points", 0)),
                )
                for o in c.get("options", [])
            ),
            scale_min=c.get("scale_min"),
            scale_max=c.get("scale_max"),
            min_label=c.get("min_label", ""),
            max_label=c.get("max_label", ""),
            unit=c.get("unit", ""),
            target_value=c.get("target_value"),
            target_comparator=c.get("target_comparator"),
            allow_na=bool(c.get("allow_na", False)),
            show_if=show_if,
            max_length=c.get("max_length"),
        )
