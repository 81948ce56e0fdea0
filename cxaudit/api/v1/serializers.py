"""What the API reads and writes. Read serializers describe the rows; write serializers check
the shape of the input (types, lengths, choices) and the services check the rules."""

from __future__ import annotations

from rest_framework import serializers

from cxaudit.accounts.models import Location
from cxaudit.insights.actions.models import ActionItem, Priority, RootCause
from cxaudit.insights.gaps import GAPS
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
from shoppers.models import Assignment
from surveys.models import Campaign, ContactImport, ResponseImport, Survey
from surveys.outreach.contacts import LANGUAGES

# -- reads ---------------------------------------------------------------------------------------


class StandardSerializer(serializers.ModelSerializer):
    touchpoint = serializers.IntegerField(source="touchpoint_id")
    target_value = serializers.DecimalField(
        max_digits=12, decimal_places=3, allow_null=True, coerce_to_string=False
    )

    class Meta:
        model = Standard
        fields = [
            "id",
            "code",
            "name",
            "description",
            "dimension",
            "touchpoint",
            "target_value",
            "target_unit",
            "target_comparator",
            "promise",
            "importance",
        ]


class TouchpointSerializer(serializers.ModelSerializer):
    standards = serializers.SerializerMethodField()

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "name",
            "channel",
            "is_moment_that_matters",
            "customer_expectation",
            "standards",
        ]

    def get_standards(self, obj) -> list[str]:
        return [s.code for s in obj.standards.all()]


class StageSerializer(serializers.ModelSerializer):
    touchpoints = TouchpointSerializer(many=True)

    class Meta:
        model = Stage
        fields = ["id", "name", "description", "touchpoints"]


class JourneySerializer(serializers.ModelSerializer):
    stages = StageSerializer(many=True)

    class Meta:
        model = Journey
        fields = ["id", "name", "description", "status", "updated_at", "stages"]


class WaveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Wave
        fields = ["id", "name", "starts_on", "ends_on", "status"]


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "region",
            "address",
            "latitude",
            "longitude",
            "is_active",
        ]


class SurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ["id", "code", "version", "title", "kind", "status"]


class SurveyDetailSerializer(SurveySerializer):
    definition = serializers.JSONField(help_text="The survey definition JSON (docs/formats.md).")

    class Meta(SurveySerializer.Meta):
        fields = [*SurveySerializer.Meta.fields, "definition"]


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="The question's code.")
    value = serializers.JSONField(allow_null=True, help_text="As the form stored it.")
    is_na = serializers.BooleanField()
    value_num = serializers.FloatField(allow_null=True, help_text="On the question's scale.")
    value_100 = serializers.FloatField(allow_null=True, help_text="On the common 0–100 scale.")


class ResponseSerializer(serializers.Serializer):
    """Built by hand in the view (a page of 500 responses with their answers in two queries);
    this class is its schema."""

    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    survey = serializers.IntegerField(help_text="The survey version's id.")
    survey_code = serializers.CharField()
    source = serializers.ChoiceField(choices=["shopper", "customer", "self"])
    location = serializers.IntegerField(allow_null=True)
    wave = serializers.IntegerField(allow_null=True)
    respondent_ref = serializers.CharField(allow_blank=True)
    submitted_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    counted = serializers.BooleanField(help_text="Counted in the analysis (approved).")
    score_percent = serializers.FloatField(allow_null=True)
    score_earned = serializers.FloatField(allow_null=True)
    score_possible = serializers.FloatField(allow_null=True)
    knocked_out = serializers.BooleanField()
    answers = AnswerSerializer(many=True)


class ShopSerializer(serializers.ModelSerializer):
    scenario = serializers.CharField(source="scenario.title")
    location = serializers.IntegerField(source="location_id")
    wave = serializers.IntegerField(source="wave_id")
    shopper = serializers.SerializerMethodField()
    response = serializers.IntegerField(source="response_id", allow_null=True)
    score_percent = serializers.SerializerMethodField()
    fee = serializers.DecimalField(max_digits=8, decimal_places=2, coerce_to_string=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "status",
            "scenario",
            "location",
            "wave",
            "window_start",
            "window_end",
            "deadline",
            "shopper",
            "fee",
            "submitted_at",
            "decided_at",
            "updated_at",
            "response",
            "score_percent",
        ]

    def get_shopper(self, obj) -> str | None:
        return obj.shopper.email if obj.shopper_id else None

    def get_score_percent(self, obj) -> float | None:
        r = obj.response
        return r.score_percent if r is not None and r.status == "submitted" else None


class ActionItemSerializer(serializers.ModelSerializer):
    standard = serializers.SerializerMethodField()
    touchpoint = serializers.IntegerField(source="touchpoint_id", allow_null=True)
    location = serializers.IntegerField(source="location_id", allow_null=True)
    wave = serializers.IntegerField(source="wave_id")
    owner = serializers.EmailField(source="owner.email")
    baseline = serializers.JSONField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "description",
            "status",
            "priority",
            "root_cause",
            "gap",
            "standard",
            "touchpoint",
            "location",
            "wave",
            "owner",
            "due_date",
            "target_gap",
            "baseline",
            "created_at",
            "updated_at",
        ]

    def get_standard(self, obj) -> str | None:
        return obj.standard.code if obj.standard_id else None


class CampaignSerializer(serializers.ModelSerializer):
    survey = serializers.IntegerField(source="survey_id")
    wave = serializers.IntegerField(source="wave_id", allow_null=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "status",
            "survey",
            "wave",
            "send_at",
            "expires_at",
            "launched_at",
            "invited_count",
            "skipped_count",
        ]


class ImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    errors = serializers.JSONField(help_text="The rows refused, with their line and reason.")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ResponseImportSerializer(ImportSerializer):
    survey = serializers.CharField(source="survey.code")
    imported_count = serializers.IntegerField()

    class Meta:
        model = ResponseImport


class ContactImportSerializer(ImportSerializer):
    created_count = serializers.IntegerField()
    updated_count = serializers.IntegerField()
    rejected_count = serializers.IntegerField()

    class Meta:
        model = ContactImport


class KpiFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    direction = serializers.ChoiceField(choices=["higher", "lower"])
    target = serializers.FloatField(allow_null=True)
    standards = serializers.ListField(child=serializers.CharField())
    value = serializers.FloatField(allow_null=True)
    meets_target = serializers.BooleanField(allow_null=True)
    locations = serializers.IntegerField()
    by_location = serializers.ListField(child=serializers.DictField())
    trend = serializers.ListField(child=serializers.DictField())


class ImportReportSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


# -- writes --------------------------------------------------------------------------------------


class ContactInSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    location = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="A location code."
    )
    language = serializers.ChoiceField(choices=["", *LANGUAGES], required=False)
    attributes = serializers.DictField(
        child=serializers.CharField(max_length=200, allow_blank=True), required=False
    )


class ContactsInSerializer(serializers.Serializer):
    list = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="Add them to this list."
    )
    contacts = ContactInSerializer(many=True, allow_empty=False, max_length=10000)


class LaunchSerializer(serializers.Serializer):
    send_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When to send; now when left out."
    )


class ResponseImportInSerializer(serializers.Serializer):
    survey = serializers.CharField(max_length=64, help_text="The survey's code (published).")
    file = serializers.FileField(help_text="The responses CSV (docs/formats.md).")


class KpiValueInSerializer(serializers.Serializer):
    kpi = serializers.CharField(max_length=40, help_text="The KPI's code.")
    location = serializers.CharField(max_length=40, help_text="The location's code.")
    wave = serializers.CharField(max_length=100, help_text="The wave's name.")
    value = serializers.DecimalField(max_digits=16, decimal_places=4)


class KpiValuesInSerializer(serializers.Serializer):
    values = KpiValueInSerializer(many=True, allow_empty=False, max_length=100000)


class ActionItemInSerializer(serializers.Serializer):
    wave = serializers.IntegerField(help_text="The wave the gap was found in.")
    gap = serializers.ChoiceField(choices=list(GAPS))
    standard = serializers.CharField(
        max_length=40, required=False, allow_null=True, help_text="A standard's code…"
    )
    touchpoint = serializers.IntegerField(
        required=False, allow_null=True, help_text="…or a touchpoint's id."
    )
    location = serializers.IntegerField(
        required=False, allow_null=True, help_text="A location's id; none: everywhere."
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    root_cause = serializers.ChoiceField(choices=RootCause.values)
    owner = serializers.EmailField(help_text="The owner's email (a member who sees insights).")
    due_date = serializers.DateField()
    priority = serializers.ChoiceField(choices=Priority.values, required=False, allow_null=True)
    target_gap = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=100)
