from django import forms

from cxaudit.textinput import TextRulesMixin

from .addresses import MAX_URL
from .events import EVENTS


class EndpointForm(TextRulesMixin, forms.Form):
    """An endpoint's address and events; the service checks the destination (SSRF policy)."""

    url = forms.CharField(
        label="URL",
        max_length=MAX_URL,
        help_text="An https:// address on the public internet that accepts POST requests.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/cxaudit"}),
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What receives these events (for your team)."
    )
    events = forms.MultipleChoiceField(
        choices=list(EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )


class EndpointEditForm(EndpointForm):
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="Turning it back on starts its count of failures afresh; what was cancelled "
        "while it was off can be replayed from each delivery.",
    )
