from django import forms

from cxaudit.accounts.models import Organization
from cxaudit.textinput import TextRulesMixin
from cxaudit.uploads import check_upload

from . import definition
from .models import Journey, Stage, Standard, Touchpoint, Wave


class JourneyForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Journey
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class StageForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": "A step of the customer's journey, e.g. “Buy ticket”."}


class TouchpointForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Touchpoint
        fields = [
            "stage",
            "name",
            "channel",
            "is_moment_that_matters",
            "customer_expectation",
            "pain_points",
        ]
        widgets = {
            "customer_expectation": forms.Textarea(attrs={"rows": 3}),
            "pain_points": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"is_moment_that_matters": "This is a moment that matters"}
        help_texts = {
            "stage": "Choosing another stage moves the touchpoint to the end of that stage.",
            "is_moment_that_matters": "A moment that shapes how the customer judges the whole "
            "journey; marked on the journey map.",
        }

    def __init__(self, *args, journey: Journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(journey=journey)
        self.fields["stage"].empty_label = None


class StandardForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Standard
        fields = [
            "code",
            "name",
            "description",
            "dimension",
            "importance",
            "target_comparator",
            "target_value",
            "target_unit",
            "promise",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "promise": forms.Textarea(attrs={"rows": 2}),
            "importance": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        labels = {
            "dimension": "SERVQUAL dimension",
            "importance": "Importance (1–5)",
            "target_comparator": "Target: comparator",
            "target_value": "Target: value",
            "target_unit": "Target: unit",
            "promise": "External promise",
        }
        help_texts = {
            "code": "Stable code, unique in the organisation: up to 40 letters, digits, '-', '_' "
            "or '.'. Surveys and imports refer to the standard by it.",
            "target_unit": "e.g. seconds, minutes, %, working days. A target needs all three "
            "parts, or none.",
            "importance": "How much this standard weighs in scores: 1 (nice to have) to 5 "
            "(critical).",
        }

    def __init__(self, *args, touchpoint: Touchpoint, **kwargs):
        super().__init__(*args, **kwargs)
        # Unique and check constraints are validated against the right organisation.
        self.instance.touchpoint = touchpoint
        self.instance.organization_id = touchpoint.stage.journey.organization_id
        self.fields["target_comparator"].choices = [("", "— no target —")] + [
            (value, f"{label} ({value})")
            for value, label in self.fields["target_comparator"].choices
            if value
        ]

    def clean(self):
        data = super().clean()
        value = data.get("target_value")
        unit = (data.get("target_unit") or "").strip()
        comparator = data.get("target_comparator") or ""
        if value is None and not unit and not comparator:
            return data
        if value is None and "target_value" not in self.errors:
            self.add_error("target_value", "A target needs a value (or clear all three parts).")
        if not unit:
            self.add_error("target_unit", "A target needs a unit, e.g. seconds or %.")
        if not comparator:
            self.add_error("target_comparator", "A target needs a comparator, e.g. ≤.")
        return data

    def _post_clean(self):
        # The complete-target check constraint would repeat the field errors above.
        if self.errors:
            return
        super()._post_clean()


class WaveForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Wave
        fields = ["name", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"starts_on": "Starts on", "ends_on": "Ends on"}
        help_texts = {"name": "e.g. “2026 Q3”. Unique in the organisation."}

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", "A wave cannot end before it starts.")
        return data

    def _post_clean(self):
        if self.errors:
            return
        super()._post_clean()


class JourneyImportForm(TextRulesMixin, forms.Form):
    file = forms.FileField(
        label="Journey definition file (JSON)",
        help_text="A file exported from cxaudit or written by hand (the format is linked above). "
        "At most 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        check_upload(f, "json")
        if f.size > definition.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {f.size / 1024 / 1024:.1f} MB; the limit is 2 MB."
            )
        return f
