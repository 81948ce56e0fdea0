"""Forms of the job pages (they validate; shoppers.scheduling.services acts)."""

from django import forms

from cxaudit.textinput import TextRulesMixin


class RequestForm(TextRulesMixin, forms.Form):
    note = forms.CharField(
        label="A note for the programme team (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example when you plan to go.",
    )
