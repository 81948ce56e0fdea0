"""The instrument: surveys of three kinds, their versions, sections and questions mapped to service
standards, and the responses (with answers) that come back from shoppers, customers and managers.

Answers carry copies of what the gap analysis groups by (organisation, standard, aspect, source,
wave, location, submission time). They are written once, when the response is submitted, and never
change afterwards, so the copies cannot drift; in exchange every aggregate is a single-table
GROUP BY over an index, which is what keeps reports fast at millions of answers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from cxaudit.accounts.models import Location, Organization, OrgQuerySet
from cxaudit.journeys.models import Standard, Wave

from ..question_types import Option, QuestionSpec, QuestionType, ShowIf

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
    "Use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.",
)


class Source(models.TextChoices):
    """Who answered: the three perspectives cxaudit compares."""

    SHOPPER = "shopper", "Mystery shopper (observed)"
    CUSTOMER = "customer", "Customer (perceived)"
    SELF = "self", "Self-assessment"


class Aspect(models.TextChoices):
    PERCEPTION = "perception", "Perception (how it was)"
    EXPECTATION = "expectation", "Expectation (how it should be)"


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
                condition=models.Q(kind__in=["mystery_shop", "customer", "self_assessment"]),
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


class ResponseQuerySet(OrgQuerySet):
    def submitted(self) -> ResponseQuerySet:
        return self.filter(status=Response.Status.SUBMITTED)


class Response(models.Model):
    """One filled form. Drafts live here too (autosaved as the respondent types); submission
    turns the draft into answers once, keyed by the client-generated id."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="responses"
    )
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Generated by the form (or the importer); replaying a submission with it returns the same
    # response instead of creating a second one.
    client_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="responses",
    )
    respondent_ref = models.CharField(
        max_length=200, blank=True, help_text="External respondent id (imports, customers)."
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    draft = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The stored score (see surveys.scoring): explainable item by item in score_detail.
    score_earned = models.FloatField(null=True, blank=True)
    score_possible = models.FloatField(null=True, blank=True)
    score_percent = models.FloatField(null=True, blank=True)
    knocked_out = models.BooleanField(default=False)
    score_detail = models.JSONField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=["shopper", "customer", "self"]),
                name="response_source_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(submitted_at__isnull=False),
                name="response_submitted_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "wave", "location", "status"]),
            models.Index(fields=["survey", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.survey} — {self.get_source_display()} #{self.pk}"


class AnswerQuerySet(OrgQuerySet):
    pass


class Answer(models.Model):
    """One question's answer in a submitted response, with its comparable values precomputed."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # Copies from the response and question (see the module docstring for why).
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, null=True, blank=True, related_name="answers"
    )
    aspect = models.CharField(max_length=12, choices=Aspect.choices, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField()
    # The answer itself (canonical JSON form of the cleaned value) and what it means.
    value = models.JSONField(null=True, blank=True)
    is_na = models.BooleanField(default=False)
    value_num = models.FloatField(null=True, blank=True, help_text="On the question's own scale.")
    value_100 = models.FloatField(null=True, blank=True, help_text="On the common 0–100 scale.")
    agrees = models.BooleanField(null=True, blank=True, help_text="Top-2-box / promoter.")
    # SERVQUAL gap 5 on the same respondent: in a customer response that answered a standard in
    # both aspects, its first expectation answer (with a 0-100 value) carries the response's
    # mean perception minus mean expectation of that standard; null on every other answer.
    # Derived once, when the answers are written (surveys.services.mark_pairs), so the gap
    # engine sums the pairs in its one pass over the answers instead of pairing them again.
    pair_diff_100 = models.FloatField(
        null=True, blank=True, help_text="Perception − expectation of the standard (0–100)."
    )
    # No points here on purpose: an item's points follow from its value, its question and the
    # survey's rules, so they are derived (surveys.services.explain_response) rather than stored,
    # and re-scoring a wave after a rule change never rewrites millions of answer rows.

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["response", "question__section__position", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique"),
            models.CheckConstraint(
                condition=models.Q(source__in=["shopper", "customer", "self"]),
                name="answer_source_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "standard", "source", "aspect"], name="answer_gap_idx"
            ),
            models.Index(fields=["organization", "wave", "location"], name="answer_slice_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.question.code} = {self.value!r}"


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
    # [{"line": 3, "column": "Q2", "reason": "out of range 1–5"}, ...]
    errors = models.JSONField(default=list, blank=True)
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
    # The same file is not imported twice into the same survey (see surveys.imports).
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


def evidence_path(instance: Evidence, filename: str) -> str:
    """Server-generated storage name under the organisation and response; the uploaded name is
    never used for storage (it is kept for display only)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return (
        f"evidence/{instance.organization_id}/{instance.response.client_id}/"
        f"{uuid.uuid4().hex}.{ext}"
    )


class EvidenceQuerySet(OrgQuerySet):
    pass


class Evidence(models.Model):
    """A photo or PDF uploaded as the answer to a file question of a response.

    Only allow-listed types are stored (checked by content, not by name); images are re-encoded
    so that nothing but pixels (and, when the survey asks for it, the GPS position) survives."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="evidence")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="evidence")
    # The identifier a file question's answer holds (never the storage path).
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=evidence_path, max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    original_name = models.CharField(max_length=255, blank=True, help_text="Display only.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    gps_lat = models.FloatField(null=True, blank=True)
    gps_lon = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    content_type__in=["image/jpeg", "image/png", "image/webp", "application/pdf"]
                ),
                name="evidence_content_type_allowed",
            ),
        ]

    def __str__(self) -> str:
        return f"Evidence {self.key} ({self.content_type})"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
