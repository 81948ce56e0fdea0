from __future__ import annotations

from django import forms

from cxaudit.journeys.models import Wave
from cxaudit.textinput import TextRulesMixin


class PlannerForm(TextRulesMixin, forms.Form):
    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(), label="From the figures of", empty_label=None
    )
    location = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every location", to_field_name="code"
    )
    margin = forms.FloatField(
        min_value=1,
        max_value=50,
        initial=5,
        label="Margin of error (points)",
        help_text="Half the width of the interval you want, in 0-100 points (NPS points for "
        "the NPS).",
    )
    confidence = forms.TypedChoiceField(
        coerce=float, choices=[("0.9", "90 %"), ("0.95", "95 %"), ("0.99", "99 %")], initial="0.95"
    )
    response_rate = forms.FloatField(
        min_value=0.1,
        max_value=100,
        label="Expected response rate (%)",
        help_text="Of invitations answered.",
    )

    def __init__(self, *args, org, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = Wave.objects.for_org(org).order_by("-starts_on", "name")
        self.fields["location"].queryset = locations.order_by("code")
