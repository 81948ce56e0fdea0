"""The responses CSV upload form (surveys.imports.views)."""

from django import forms

from cxaudit.accounts.models import Organization
from cxaudit.textinput import TextRulesMixin
from cxaudit.uploads import check_upload

from ..questionnaire.models import Survey
from .rows import MAX_BYTES


class ResponseImportForm(TextRulesMixin, forms.Form):
    survey = forms.ChoiceField(label="Survey", help_text="Its published version receives the rows.")
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV with a header row. At most {MAX_BYTES // 1024 // 1024} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        surveys = Survey.objects.for_org(organization).published().order_by("title")
        self.fields["survey"].choices = [("", "—")] + [
            (s.code, f"{s.title} ({s.code}, v{s.version})") for s in surveys
        ]

    def clean_file(self):
        f = self.cleaned_data["file"]
        check_upload(f, "csv")
        if f.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {f.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_BYTES // 1024 // 1024} MB."
            )
        return f
