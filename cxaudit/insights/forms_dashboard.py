"""The dashboard filter form (GET): wave, location, stage, channel, dimension."""

from __future__ import annotations

from django import forms

from cxaudit.accounts.models import Organization
from cxaudit.journeys.models import Channel, Dimension, Stage, Wave
from cxaudit.textinput import TextRulesMixin

FILTERS = ("wave", "location", "stage", "channel", "dimension")


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.journey.name} — {obj.name}"


class DashboardFilterForm(TextRulesMixin, forms.Form):
    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(), to_field_name="name", required=False, empty_label="All waves"
    )
    location = forms.ModelChoiceField(
        queryset=None, to_field_name="code", required=False, empty_label="All locations"
    )
    stage = StageChoiceField(
        queryset=Stage.objects.none(), required=False, empty_label="All stages"
    )
    channel = forms.ChoiceField(choices=[("", "All channels"), *Channel.choices], required=False)
    dimension = forms.ChoiceField(
        choices=[("", "All dimensions"), *Dimension.choices], required=False
    )

    def __init__(self, *args, org: Organization, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = Wave.objects.for_org(org).order_by("-starts_on", "name")
        self.fields["location"].queryset = locations.order_by("code")
        self.fields["stage"].queryset = (
            Stage.objects.for_org(org)
            .select_related("journey")
            .order_by("journey__name", "position", "pk")
        )
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


def filter_data(query, *, default_wave_name: str) -> dict[str, str]:
    """The submitted filters, with the default wave (cxaudit/insights/waves.py) when the wave
    was not asked for at all (an empty ``wave=`` means every wave)."""
    data = {name: query.get(name, "") for name in FILTERS}
    if "wave" not in query:
        data["wave"] = default_wave_name
    return data
