"""Staff forms of customer outreach (campaign settings, contact imports, actions)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization
from cxaudit.journeys.models import Touchpoint, Wave
from cxaudit.textinput import TextRulesMixin

from ..questionnaire.models import Survey
from . import personalise
from .contacts import MAX_BYTES
from .models import LANGUAGE_CHOICES, Campaign, ContactList
from .services import SURVEY_KINDS


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _placeholder_help() -> str:
    return "Placeholders: " + ", ".join("{{ " + name + " }}" for name in personalise.PLACEHOLDERS)


class CampaignForm(TextRulesMixin, forms.Form):
    name = forms.CharField(max_length=200)
    survey = forms.ModelChoiceField(
        queryset=Survey.objects.none(), help_text="A published customer or self-assessment survey."
    )
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), required=False)
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        help_text="Answers count for this location when the contact has none of their own.",
    )
    touchpoint = forms.ModelChoiceField(queryset=Touchpoint.objects.none(), required=False)
    audience_list = forms.ModelChoiceField(
        queryset=ContactList.objects.none(),
        required=False,
        label="Contact list",
        help_text="Blank: every contact of the organisation (narrowed by the filters below).",
    )
    audience_locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(),
        required=False,
        label="Only contacts of these locations",
        widget=forms.CheckboxSelectMultiple,
    )
    audience_language = forms.ChoiceField(
        choices=[("", "Any language"), *LANGUAGE_CHOICES],
        required=False,
        label="Only contacts speaking",
    )
    language = forms.ChoiceField(
        choices=LANGUAGE_CHOICES, help_text="For contacts without a language of their own."
    )
    sender_name = forms.CharField(max_length=100)
    subject_template = forms.CharField(max_length=200, label="Subject")
    message_template = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), label="Message", max_length=5000
    )
    send_at = forms.DateTimeField(
        widget=DateTimeInput(), required=False, help_text="Blank: when you launch it."
    )
    reminder_days = forms.CharField(
        required=False,
        label="Reminders after (days)",
        help_text="For example “3, 7”: a reminder 3 and 7 days after the invitation.",
        max_length=40,
    )
    expires_at = forms.DateTimeField(widget=DateTimeInput(), label="Links expire")
    suppression_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        initial=30,
        label="Suppression window (days)",
        help_text="A contact invited by any campaign within this many days is skipped.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survey"].queryset = (
            Survey.objects.for_org(organization).published().filter(kind__in=SURVEY_KINDS)
        )
        self.fields["wave"].queryset = Wave.objects.for_org(organization)
        self.fields["location"].queryset = Location.objects.for_org(organization)
        self.fields["audience_locations"].queryset = Location.objects.for_org(organization)
        self.fields["touchpoint"].queryset = Touchpoint.objects.for_org(organization)
        self.fields["audience_list"].queryset = ContactList.objects.for_org(organization)
        help_text = _placeholder_help()
        self.fields["subject_template"].help_text = help_text
        self.fields["message_template"].help_text = help_text
        if not self.is_bound and "expires_at" not in self.initial:
            self.initial["expires_at"] = timezone.localtime() + timedelta(days=21)

    def _placeholders(self, name: str) -> str:
        value = self.cleaned_data[name]
        try:
            personalise.check(value)
        except personalise.PlaceholderError as exc:
            raise forms.ValidationError(exc.message) from exc
        return value

    def clean_subject_template(self):
        return self._placeholders("subject_template")

    def clean_message_template(self):
        return self._placeholders("message_template")

    def clean_reminder_days(self):
        text = self.cleaned_data["reminder_days"].replace(";", ",")
        days = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if not part.isdigit() or not 1 <= int(part) <= 60:
                raise forms.ValidationError(f"“{part[:10]}” is not a number of days from 1 to 60.")
            days.append(int(part))
        if len(set(days)) != len(days) or len(days) > 5:
            raise forms.ValidationError("At most five reminders, each on a different day.")
        return sorted(days)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("audience_locations")
        return data

    @classmethod
    def initial_from(cls, campaign: Campaign) -> dict:
        data = {
            name: getattr(campaign, name) for name in cls.base_fields if name != "reminder_days"
        }
        data["reminder_days"] = ", ".join(str(d) for d in campaign.reminder_days)
        data["audience_locations"] = list(campaign.audience_locations.all())
        for name in ("send_at", "expires_at"):
            if data[name]:
                data[name] = timezone.localtime(data[name])
        return data


class ContactImportForm(TextRulesMixin, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            f"UTF-8 CSV with a header row: email (required), first_name, last_name, location "
            f"(a location code), language (en or fr) and attr.<name> columns. At most "
            f"{MAX_BYTES // 1024 // 1024} MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    list_name = forms.CharField(
        max_length=120,
        required=False,
        label="Add the contacts to the list",
        help_text="A new or existing list name (a campaign's audience can be a list). Optional.",
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {f.size / 1024 / 1024:.1f} MB; "
                f"the limit is {MAX_BYTES // 1024 // 1024} MB."
            )
        return f


class LaunchForm(TextRulesMixin, forms.Form):
    send_at = forms.DateTimeField(
        widget=DateTimeInput(), required=False, label="Send at", help_text="Blank: now."
    )


class TestEmailForm(TextRulesMixin, forms.Form):
    contact = forms.CharField(
        max_length=254,
        required=False,
        label="As this contact would get it",
        help_text="A contact's email address; blank: example values.",
    )


class AnonymousLinkForm(TextRulesMixin, forms.Form):
    cap = forms.IntegerField(
        min_value=1, max_value=100_000, initial=200, label="Most answers through the link"
    )


class SuppressForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(max_length=200, label="Reason")
