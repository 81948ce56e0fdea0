"""The form that launches a self-assessment round (surveys.selfassess.views)."""

from django import forms

from cxaudit.accounts.models import Organization
from cxaudit.journeys.models import Wave
from cxaudit.textinput import TextRulesMixin

from ..questionnaire.models import Survey


class LaunchRoundForm(TextRulesMixin, forms.Form):
    survey = forms.ModelChoiceField(
        queryset=Survey.objects.none(),
        label="Self-assessment survey",
        help_text="Published self-assessment surveys of this organisation.",
    )
    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(), label="Wave", help_text="Open or planned waves."
    )
    closes_on = forms.DateField(
        required=False,
        label="Closes on",
        help_text="Optional. After this day the round leaves managers' lists.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = (
            Survey.objects.for_org(organization)
            .published()
            .filter(kind=Survey.Kind.SELF_ASSESSMENT)
            .order_by("title")
        )
        self.fields["survey"].label_from_instance = lambda s: f"{s.title} (v{s.version})"
        self.fields["wave"].queryset = (
            Wave.objects.for_org(organization)
            .exclude(status=Wave.Status.CLOSED)
            .order_by("starts_on")
        )
