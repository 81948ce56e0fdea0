"""Forms of the action plan: the item (with its gap, prefilled from the page it came from),
a status change, a comment, and the list's filters."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from cxaudit.accounts.capabilities import Cap
from cxaudit.accounts.models import Membership, Organization, User
from cxaudit.journeys.models import Stage, Standard, Touchpoint, Wave
from cxaudit.textinput import TextRulesMixin

from ..gaps import GAPS
from ..vocabulary import GAP_LABELS
from .models import Priority, RootCause, Status


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


def staff_members(org: Organization):
    """Members who can own actions: those who can see the organisation's insights."""
    roles = [r for r in ("program_admin", "reviewer", "client_manager") if _role_can(r)]
    return User.objects.filter(
        pk__in=Membership.objects.for_org(org).active().filter(role__in=roles).values("user_id")
    ).order_by("full_name", "email")


def _role_can(role: str) -> bool:
    from cxaudit.accounts.capabilities import role_has

    return role_has(role, Cap.VIEW_INSIGHTS)


class ActionForm(TextRulesMixin, forms.Form):
    """An action item. `gap_fields` is False when editing (the gap of an item never changes)."""

    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), label="Found in wave")
    standard = forms.ModelChoiceField(
        queryset=Standard.objects.none(), required=False, help_text="Or choose a touchpoint."
    )
    touchpoint = forms.ModelChoiceField(queryset=Touchpoint.objects.none(), required=False)
    location = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Every location", to_field_name="pk"
    )
    gap = forms.ChoiceField(choices=[(g, GAP_LABELS[g]) for g in GAPS])
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    root_cause = forms.ChoiceField(choices=RootCause.choices)
    owner = OwnerField(queryset=User.objects.none())
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.TypedChoiceField(
        coerce=int,
        choices=[("", "Suggest from the gap"), *Priority.choices],
        required=False,
        empty_value=None,
        help_text="Suggested from the gap's size × the standard's importance × 2 at a moment "
        "that matters.",
    )
    target_gap = forms.FloatField(
        required=False,
        min_value=0,
        max_value=100,
        label="Target gap (points, optional)",
        help_text="Also count the action as verified when the gap is at most this size.",
    )

    def __init__(self, *args, org: Organization, locations, gap_fields: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        if not gap_fields:
            for name in ("wave", "standard", "touchpoint", "location", "gap"):
                del self.fields[name]
        else:
            self.fields["wave"].queryset = Wave.objects.for_org(org).order_by("-starts_on")
            self.fields["standard"].queryset = Standard.objects.for_org(org).order_by("code")
            self.fields["touchpoint"].queryset = (
                Touchpoint.objects.for_org(org)
                .select_related("stage")
                .order_by("stage__position", "position")
            )
            self.fields["location"].queryset = locations.order_by("code")
        self.fields["owner"].queryset = staff_members(org)

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if "due_date" in self.changed_data and due < timezone.localdate():
            raise forms.ValidationError("The due date is in the past.")
        return due

    def clean(self):
        data = super().clean()
        if "standard" in self.fields and (data.get("standard") is None) == (
            data.get("touchpoint") is None
        ):
            self.add_error("standard", "Choose a standard or a touchpoint (one of them).")
        return data


class StatusForm(TextRulesMixin, forms.Form):
    to = forms.ChoiceField(
        choices=[
            (s, Status(s).label)
            for s in (Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.CANCELLED)
        ]
    )
    note = forms.CharField(required=False, max_length=2000)


class CommentForm(TextRulesMixin, forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, label="Comment"
    )


class StageChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ActionFilterForm(TextRulesMixin, forms.Form):
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), ("active", "Not finished"), *Status.choices]
    )
    owner = OwnerField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    mine = forms.BooleanField(required=False, label="My actions")
    overdue = forms.BooleanField(required=False, label="Overdue only")
    location = forms.ModelChoiceField(queryset=None, required=False, empty_label="Any location")
    stage = StageChoiceField(queryset=Stage.objects.none(), required=False, empty_label="Any stage")
    root_cause = forms.ChoiceField(
        required=False, choices=[("", "Any root cause"), *RootCause.choices]
    )

    def __init__(self, *args, org: Organization, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_members(org)
        self.fields["location"].queryset = locations.order_by("code")
        self.fields["stage"].queryset = Stage.objects.for_org(org).order_by("journey", "position")
