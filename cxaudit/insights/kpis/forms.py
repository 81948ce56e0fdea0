from __future__ import annotations

from django import forms

from cxaudit.accounts.models import Organization
from cxaudit.journeys.models import Standard
from cxaudit.textinput import TextRulesMixin
from cxaudit.uploads import check_upload

from .models import Kpi


class StandardChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} — {obj.name}"


class KpiForm(TextRulesMixin, forms.ModelForm):
    standards = StandardChoices(
        queryset=Standard.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The standards this figure informs (shown beside them).",
    )

    class Meta:
        model = Kpi
        fields = ["code", "name", "unit", "direction", "target", "description", "standards"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization
        self.fields["standards"].queryset = Standard.objects.for_org(organization).order_by("code")

    def clean_code(self):
        code = self.cleaned_data["code"]
        clash = Kpi.objects.for_org(self.instance.organization).filter(code__iexact=code)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another KPI has this code.")
        return code


class KpiImportForm(TextRulesMixin, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="CSV with the columns kpi, location, wave, value (UTF-8). At most 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        check_upload(upload, "csv")
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 5 MB.")
        return upload
