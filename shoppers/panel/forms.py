"""Staff forms of the panel: the list's filters, a shopper's exclusions and the programme's
settings (they validate; shoppers.panel.services acts)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from cxaudit.accounts.models import Location, Organization
from cxaudit.errors import DomainError
from cxaudit.textinput import TextRulesMixin

from ..models import ShopperProfile, ShopperProgramme
from ..scheduling.forms import bootstrap_filters
from .services import PROGRAMME_FIELDS, clean_currency

Status = ShopperProfile.Status


class PanelFilterForm(TextRulesMixin, forms.Form):
    """The panel list's filters (GET): a value that is not one of the choices is an error on
    its field, and the list is shown unfiltered by it."""

    q = forms.CharField(label="Name or email", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Status.choices]
    )
    region = forms.ChoiceField(label="Home region", required=False)
    min_rating = forms.DecimalField(
        label="Rating at least",
        required=False,
        min_value=Decimal("1"),
        max_value=Decimal("5"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )

    def __init__(self, *args, regions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "Any region"), *((r, r) for r in regions)]
        bootstrap_filters(self)

    def value(self, name: str):
        """The cleaned value of a field, or None when it was empty or wrong."""
        if not self.is_bound or (not self.is_valid() and name in self.errors):
            return None
        value = self.cleaned_data.get(name)
        return None if value in (None, "") else value


class DecisionForm(TextRulesMixin, forms.Form):
    """Approve, decline or deactivate: the status the page showed travels with the click, so
    that a decision taken meanwhile by someone else is reported rather than overridden."""

    seen = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)


class ExclusionsForm(TextRulesMixin, forms.Form):
    excluded_locations = forms.ModelMultipleChoiceField(
        label="Locations never to shop",
        queryset=Location.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where the shopper works or is known. They never get a job there.",
    )
    staff_notes = forms.CharField(
        label="Staff notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only staff see these.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["excluded_locations"].queryset = Location.objects.for_org(
            organization
        ).order_by("name")


class ProgrammeForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = ShopperProgramme
        fields = PROGRAMME_FIELDS
        labels = {
            "accepting_applications": "Accept new applications",
            "daily_self_assign_limit": "Jobs taken per day",
            "open_limit": "Jobs held at once",
            "report_grace_hours": "Hours to send the report after the window",
            "return_days": "Days to correct a returned shop",
            "gps_tolerance_m": "Photo distance tolerance (metres)",
            "photo_time_tolerance_minutes": "Photo time tolerance (minutes)",
            "min_seconds_per_answer": "Fewest seconds per answer",
        }
        widgets = {"terms": forms.Textarea(attrs={"rows": 6})}

    def clean_currency(self) -> str:
        try:
            return clean_currency(self.cleaned_data["currency"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_terms(self) -> str:
        terms = self.cleaned_data["terms"].strip()
        if len(terms) > 20_000:
            raise forms.ValidationError("Keep the terms under 20,000 characters.")
        return terms
