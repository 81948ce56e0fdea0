"""Forms of the payouts pages (they validate; shoppers.payouts.services acts)."""

from __future__ import annotations

from django import forms

from cxaudit.textinput import TextRulesMixin


class BatchForm(TextRulesMixin, forms.Form):
    """A new batch of everything payable, or of the chosen shoppers' payable shops."""

    scope = forms.ChoiceField(choices=[("all", "Everything owed"), ("chosen", "Chosen shoppers")])
    shoppers = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, shopper_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shoppers"].choices = [(pk, pk) for pk in shopper_ids]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "chosen" and not data.get("shoppers"):
            self.add_error("shoppers", "Choose at least one shopper to pay.")
        return data

    def chosen(self) -> list[int] | None:
        return None if self.cleaned_data["scope"] == "all" else self.cleaned_data["shoppers"]


class PaidForm(TextRulesMixin, forms.Form):
    payment_reference = forms.CharField(
        label="Payment reference",
        max_length=200,
        help_text="The bank run or transfer reference, so the payment can be traced.",
        error_messages={"required": "Give the payment reference before marking the batch paid."},
    )
