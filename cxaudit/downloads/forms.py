"""The export form: which export, which format, and its filters (within the organisation and
the member's location limit)."""

from __future__ import annotations

from django import forms

from cxaudit.accounts.scope import LocationScope
from cxaudit.journeys.models import Wave
from cxaudit.textinput import TextRulesMixin
from surveys.models import Campaign, Survey

from .kinds import Kind
from .models import ExportFormat
from .services import Filters


class ExportForm(TextRulesMixin, forms.Form):
    kind = forms.ChoiceField(label="What to export")
    format = forms.ChoiceField(
        choices=ExportFormat.choices, initial=ExportFormat.CSV, widget=forms.RadioSelect
    )
    survey = forms.ChoiceField(
        required=False,
        help_text="Responses: one column per question code of this survey (every version).",
    )
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), required=False, empty_label="All")
    location = forms.ModelChoiceField(queryset=None, required=False, empty_label="All you may see")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="—"
    )

    def __init__(self, *args, scope: LocationScope, kinds: list[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        org = scope.organization
        self.fields["kind"].choices = [(k.key, k.label) for k in kinds]
        codes = (
            Survey.objects.for_org(org).order_by("code").values_list("code", flat=True).distinct()
        )
        self.fields["survey"].choices = [("", "—"), *((c, c) for c in codes)]
        self.fields["wave"].queryset = Wave.objects.for_org(org).order_by("-pk")
        self.fields["location"].queryset = scope.locations().order_by("code")
        self.fields["location"].label_from_instance = lambda loc: f"{loc.code} — {loc.name}"
        if any(k.key == "campaign" for k in kinds):
            self.fields["campaign"].queryset = Campaign.objects.for_org(org).order_by("-pk")
        else:
            del self.fields["campaign"]

    def filters(self) -> Filters:
        data = self.cleaned_data
        campaign = data.get("campaign")
        return Filters(
            survey=data.get("survey") or "",
            wave=data["wave"].pk if data.get("wave") else None,
            location=data["location"].pk if data.get("location") else None,
            campaign=campaign.pk if campaign else None,
        )
