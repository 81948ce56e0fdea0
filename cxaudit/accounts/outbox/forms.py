from django import forms

from cxaudit.messaging import registry
from cxaudit.messaging.models import State
from cxaudit.textinput import TextRulesMixin


class OutboxFilterForm(TextRulesMixin, forms.Form):
    """The outbox list's filters (GET); every field optional."""

    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *State.choices])
    purpose = forms.ChoiceField(required=False, label="Kind")
    recipient = forms.CharField(
        required=False, max_length=254, help_text="Part of an email address."
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [("", "Any kind")] + [
            (p.name, p.label) for p in registry.all_purposes()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return data
