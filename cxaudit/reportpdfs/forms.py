from django import forms

from cxaudit.journeys.models import Wave
from cxaudit.textinput import TextRulesMixin

from .models import PdfSettings


class BatchForm(TextRulesMixin, forms.Form):
    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(),
        empty_label=None,
        help_text="Every location you can see gets its report card for this wave in the zip.",
        error_messages={"invalid_choice": "Choose one of the organisation's waves."},
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = Wave.objects.for_org(organization).order_by(
            "-starts_on", "name"
        )


class PdfSettingsForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = PdfSettings
        fields = ["email_managers_on_close"]
        labels = {"email_managers_on_close": "Email managers their report card when a wave closes"}
        help_texts = {
            "email_managers_on_close": (
                "Each client manager limited to some locations gets one email per location with "
                "approved shops in the wave, linking its PDF (they log in to download it). "
                "Closing a wave again sends nothing more."
            )
        }
