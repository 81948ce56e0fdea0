"""Forms of the shopper's shop pages (they validate; shoppers.visits.services acts)."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from cxaudit.textinput import TextRulesMixin

from ..models import Assignment

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class VisitDetailsForm(TextRulesMixin, forms.Form):
    """When the visit took place, how long it lasted and what it cost (record_visit)."""

    visited_at = forms.DateTimeField(
        label="When did the visit start?",
        input_formats=[LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        help_text="Your local date and time.",
    )
    visit_minutes = forms.IntegerField(
        label="How long did it last?",
        min_value=1,
        max_value=24 * 60,
        help_text="In minutes (1 to 1440).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    expense_claimed = forms.DecimalField(
        label="What did you spend?",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("99999"),
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )

    def __init__(self, *args, assignment: Assignment, currency: str, **kwargs):
        if not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "visited_at": assignment.visited_at,
                "visit_minutes": assignment.visit_minutes,
                "expense_claimed": assignment.expense_claimed,
            }
        super().__init__(*args, **kwargs)
        if assignment.expense_cap > 0:
            field = self.fields["expense_claimed"]
            field.label = f"What did you spend? ({currency})"
            receipt = (
                " Keep the receipt and add its photo to the form."
                if (assignment.scenario.receipt_question)
                else ""
            )
            field.help_text = (
                f"Refunded up to {currency} {assignment.expense_cap:.2f} once the shop is "
                f"approved. Leave empty if you spent nothing.{receipt}"
            )
        else:
            del self.fields["expense_claimed"]


class ReleaseForm(TextRulesMixin, forms.Form):
    reason = forms.CharField(
        label="Why are you giving it back? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
