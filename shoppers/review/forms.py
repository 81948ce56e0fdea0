"""Forms of the review page (they validate; shoppers.review.services acts). Every decision
carries the status the reviewer's page showed (`seen_status`), so that a reviewer acting on a
page another reviewer has overtaken is told, not obeyed."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator

from cxaudit.textinput import TextRulesMixin

from ..models import Assignment
from .services import MAX_COMMENT

S = Assignment.Status


class DecisionForm(TextRulesMixin, forms.Form):
    seen_status = forms.ChoiceField(choices=S.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3}), strip=True
    )

    label = ""
    help = ""
    required_message = ""
    prefix_id = ""

    def __init__(self, *args, shop: Assignment | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"{self.prefix_id}_%s")
        if shop is not None and not args:
            kwargs.setdefault("initial", {"seen_status": shop.status})
        super().__init__(*args, **kwargs)
        comment = self.fields["comment"]
        comment.label = self.label
        comment.help_text = self.help
        comment.error_messages["required"] = self.required_message


class ReturnForm(DecisionForm):
    prefix_id = "return"
    context_name = "return_form"
    label = "What should the shopper correct?"
    help = "Sent to the shopper by email and shown on their shop's page."
    required_message = "Write what the shopper should correct before returning the shop."


class RejectForm(DecisionForm):
    prefix_id = "reject"
    context_name = "reject_form"
    label = "Why is the shop rejected?"
    help = "Sent to the shopper; a rejected shop is not paid and never counts."
    required_message = "Write why the shop is rejected."


class ApproveForm(DecisionForm):
    prefix_id = "approve"
    label = "Note to the shopper (optional)"
    expense_approved = forms.DecimalField(
        required=False,
        min_value=Decimal("0"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, shop: Assignment, currency: str, default_expense=None, **kwargs):
        super().__init__(*args, shop=shop, **kwargs)
        self.fields["comment"].required = False
        self.fields["comment"].widget.attrs["rows"] = 2
        if shop.expense_cap > 0:
            field = self.fields["expense_approved"]
            field.validators.append(MaxValueValidator(shop.expense_cap))
            field.widget.attrs["max"] = f"{shop.expense_cap:.2f}"
            field.label = f"Expense refunded ({currency})"
            claimed = (
                f"claimed {currency} {shop.expense_claimed:.2f}"
                if shop.expense_claimed
                else "nothing claimed"
            )
            field.help_text = (
                f"From 0 to the cap of {currency} {shop.expense_cap:.2f} ({claimed}). "
                "Leave empty for the default: the claim up to the cap when the receipt is there."
            )
            if not args:
                self.initial.setdefault("expense_approved", default_expense)
        else:
            del self.fields["expense_approved"]


class EditAnswerForm(TextRulesMixin, forms.Form):
    """One corrected answer: the question, its new value (a list for a multiple choice) and
    why. The value is cleaned by the survey engine (edit_answer), not here."""

    seen_status = forms.ChoiceField(choices=S.choices, widget=forms.HiddenInput)
    question = forms.CharField(max_length=64, widget=forms.HiddenInput)
    value = forms.CharField(required=False, max_length=5000, strip=False)
    ticked = forms.MultipleChoiceField(required=False)
    reason = forms.CharField(
        label="Why is the answer changed?",
        max_length=MAX_COMMENT,
        error_messages={"required": "Write why the answer is changed (the reason is kept)."},
    )

    def __init__(self, *args, codes: dict[str, list[str]], **kwargs):
        """`codes`: the editable question codes, each with its option values (multi choice)."""
        super().__init__(*args, **kwargs)
        self.codes = codes
        code = self.data.get("question", "") if self.is_bound else ""
        self.fields["ticked"].choices = [(v, v) for v in codes.get(code, [])]

    def clean_question(self) -> str:
        code = self.cleaned_data["question"]
        if code not in self.codes:
            raise forms.ValidationError("This question cannot be corrected here.")
        return code

    def new_value(self, multi: bool):
        if multi:
            return list(self.cleaned_data.get("ticked") or [])
        return (self.cleaned_data.get("value") or "").strip()
