"""Staff forms of scheduling: scenarios, a shop, shops in bulk, the filters of the shop list and
the actions on one shop (they validate; shoppers.scheduling.services acts)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from cxaudit.accounts.models import Location, Organization, User
from cxaudit.journeys.models import Touchpoint, Wave
from cxaudit.textinput import TextRulesMixin
from surveys.models import Survey

from ..models import AgeBand, Assignment, Gender, Scenario, ShopperProfile

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
INPUT_FORMATS = [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def local_datetime(label: str, **kwargs) -> forms.DateTimeField:
    """A datetime-local input (the site's time zone)."""
    return forms.DateTimeField(
        label=label,
        input_formats=INPUT_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        **kwargs,
    )


def shopper_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} <{user.email}>" if name else user.email


class ShopperChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return shopper_label(obj)


class ShoppersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return shopper_label(obj)


class WindowMixin:
    """A visit window that closes after it opens."""

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end <= start:
            self.add_error("window_end", "The visit window must close after it opens.")
        return data


def bootstrap_filters(form: forms.Form) -> None:
    """Small Bootstrap inputs for a filter bar rendered field by field (not with crispy)."""
    for field in form.fields.values():
        select = isinstance(field.widget, forms.Select)
        css = "form-select form-select-sm" if select else "form-control form-control-sm"
        field.widget.attrs["class"] = css
        if field.help_text:
            field.help_text = ""


def active_shoppers(organization: Organization):
    """Users with an active profile in the programme, by name."""
    ids = ShopperProfile.objects.for_org(organization).active().values("user_id")
    return User.objects.filter(pk__in=ids).order_by("full_name", "email")


def _codes(value: str, *, lower: bool = False) -> list[str]:
    """ "North, South ,north" -> ["North", "South"] (duplicates dropped, order kept)."""
    out: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if lower:
            part = part.lower()
        if part and part not in out:
            out.append(part)
    return out


class ScenarioForm(TextRulesMixin, forms.ModelForm):
    regions_text = forms.CharField(
        label="Regions",
        required=False,
        max_length=1000,
        help_text="Only shoppers whose home region is one of these, separated by commas "
        "(empty: any region).",
    )
    languages_text = forms.CharField(
        label="Languages",
        required=False,
        max_length=200,
        help_text="Language codes the shopper must all speak, e.g. “en, fr” (empty: any).",
    )
    age_bands = forms.MultipleChoiceField(
        label="Age bands",
        choices=AgeBand.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any age.",
    )
    genders = forms.MultipleChoiceField(
        label="Genders",
        choices=Gender.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: anyone.",
    )

    class Meta:
        model = Scenario
        fields = (
            "touchpoint",
            "title",
            "brief",
            "survey",
            "fee",
            "expense_cap",
            "required_evidence",
            "receipt_question",
            "allow_self_assign",
            "regions_text",
            "languages_text",
            "age_bands",
            "genders",
            "min_rating",
            "certification_survey",
            "pass_percent",
        )
        labels = {
            "survey": "Visit form",
            "expense_cap": "Expense cap",
            "receipt_question": "Receipt question code",
            "allow_self_assign": "Self-assignable",
            "min_rating": "Minimum rating",
            "certification_survey": "Certification quiz",
            "pass_percent": "Quiz pass mark (%)",
        }
        help_texts = {
            "min_rating": "1 to 5; an unrated shopper does not reach it (empty: anyone).",
            "pass_percent": "The quiz score needed, 1 to 100.",
        }
        widgets = {
            "brief": forms.Textarea(attrs={"rows": 6}),
            "fee": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "expense_cap": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "min_rating": forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        }

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["touchpoint"].queryset = (
            Touchpoint.objects.for_org(organization)
            .select_related("stage__journey")
            .order_by("stage__journey__name", "stage__position", "position")
        )
        self.fields["touchpoint"].label_from_instance = lambda t: (
            f"{t.name} ({t.stage.journey.name})"
        )
        surveys = Survey.objects.for_org(organization)
        self.fields["survey"].queryset = surveys.filter(kind=Survey.Kind.MYSTERY_SHOP).filter(
            Q(status=Survey.Status.PUBLISHED) | Q(pk=instance.survey_id)
        )
        self.fields[
            "survey"
        ].help_text = (
            "A published mystery-shop form; a visit always starts on its newest published version."
        )
        self.fields["certification_survey"].queryset = surveys.filter(
            kind=Survey.Kind.CERTIFICATION
        ).filter(Q(status=Survey.Status.PUBLISHED) | Q(pk=instance.certification_survey_id))
        self.fields["certification_survey"].empty_label = "None (no quiz)"
        if instance.pk:
            self.initial.setdefault("regions_text", ", ".join(instance.regions or []))
            self.initial.setdefault("languages_text", ", ".join(instance.languages or []))
            self.initial.setdefault("age_bands", instance.age_bands or [])
            self.initial.setdefault("genders", instance.genders or [])

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError("Give the scenario a title.")
        return title

    def clean_brief(self) -> str:
        brief = self.cleaned_data["brief"].strip()
        if not brief:
            raise forms.ValidationError("Write what the shopper is to do and observe.")
        if len(brief) > 20_000:
            raise forms.ValidationError("Keep the brief under 20,000 characters.")
        return brief

    def clean_languages_text(self) -> list[str]:
        codes = _codes(self.cleaned_data["languages_text"], lower=True)
        for code in codes:
            if not (2 <= len(code) <= 8 and code.replace("-", "").isalpha()):
                raise forms.ValidationError(f"“{code}” is not a language code such as en or fr.")
        return codes

    def clean_regions_text(self) -> list[str]:
        regions = _codes(self.cleaned_data["regions_text"])
        if any(len(r) > 100 for r in regions):
            raise forms.ValidationError("A region name is at most 100 characters.")
        return regions

    def clean_receipt_question(self) -> str:
        return self.cleaned_data["receipt_question"].strip()

    def values(self) -> dict:
        """What the service takes (the model's own field names)."""
        data = dict(self.cleaned_data)
        data["regions"] = data.pop("regions_text")
        data["languages"] = data.pop("languages_text")
        return data


class ShopForm(WindowMixin, TextRulesMixin, forms.Form):
    """One shop; the field names are the service's (create_assignment)."""

    scenario = forms.ModelChoiceField(
        queryset=Scenario.objects.none(), empty_label="Choose a scenario"
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), empty_label="Choose a location"
    )
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), empty_label="Choose a wave")
    window_start = local_datetime("Visit window opens")
    window_end = local_datetime("Visit window closes")
    shopper = ShopperChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Nobody yet (open on the job board)",
        help_text="Given at once when every rule allows it (eligibility, exclusions, lockout).",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        scope_job_fields(self, organization)
        self.fields["shopper"].queryset = active_shoppers(organization)


def scope_job_fields(form: forms.Form, organization: Organization) -> None:
    """The organisation's active scenarios and locations and its waves that are not closed."""
    if "scenario" in form.fields:
        form.fields["scenario"].queryset = Scenario.objects.for_org(organization).active()
    if "scenarios" in form.fields:
        form.fields["scenarios"].queryset = Scenario.objects.for_org(organization).active()
    locations = Location.objects.for_org(organization).filter(is_active=True).order_by("name")
    for name in ("location", "locations"):
        if name in form.fields:
            form.fields[name].queryset = locations
    form.fields["wave"].queryset = (
        Wave.objects.for_org(organization)
        .exclude(status=Wave.Status.CLOSED)
        .order_by("-starts_on", "name")
    )


class BulkForm(WindowMixin, TextRulesMixin, forms.Form):
    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), empty_label="Choose a wave")
    scenarios = forms.ModelMultipleChoiceField(
        queryset=Scenario.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    visits = forms.IntegerField(
        label="Visits per location",
        min_value=1,
        max_value=50,
        initial=1,
        help_text="Shops of each scenario at each location (1 to 50).",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    window_start = local_datetime("Visit window opens")
    window_end = local_datetime("Visit window closes")
    shoppers = ShoppersChoiceField(
        label="Give them to these shoppers (optional)",
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Each shop goes to the allowed shopper with the fewest so far; the others "
        "stay open on the job board.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        scope_job_fields(self, organization)
        self.fields["shoppers"].queryset = active_shoppers(organization)


class ShopFilterForm(TextRulesMixin, forms.Form):
    """The shop list's filters (GET)."""

    wave = forms.ModelChoiceField(queryset=Wave.objects.none(), required=False, empty_label="Any")
    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Assignment.Status.choices])
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="Any"
    )
    scenario = forms.ModelChoiceField(
        queryset=Scenario.objects.none(), required=False, empty_label="Any"
    )
    shopper = ShopperChoiceField(queryset=User.objects.none(), required=False, empty_label="Any")

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = Wave.objects.for_org(organization).order_by("-starts_on")
        self.fields["location"].queryset = Location.objects.for_org(organization).order_by("name")
        self.fields["scenario"].queryset = Scenario.objects.for_org(organization)
        ids = ShopperProfile.objects.for_org(organization).values("user_id")
        self.fields["shopper"].queryset = User.objects.filter(pk__in=ids).order_by(
            "full_name", "email"
        )
        bootstrap_filters(self)

    def filters(self) -> dict:
        """The valid filters as queryset lookups (a wrong value is ignored, and shown as an
        error on its field)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if value not in (None, "")}


class SeenForm(TextRulesMixin, forms.Form):
    """The status the page showed: an action on a shop that changed meanwhile is refused
    with a message rather than applied to something the user did not see."""

    seen = forms.ChoiceField(choices=Assignment.Status.choices, widget=forms.HiddenInput)


class AssignForm(SeenForm):
    shopper = ShopperChoiceField(
        queryset=User.objects.none(),
        label="Shopper",
        empty_label="Choose a shopper",
        help_text="Eligibility, exclusions and lockouts are checked; they get an email.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shopper"].queryset = active_shoppers(organization)


class ReasonForm(SeenForm):
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the shop's history.",
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why.")
        return reason


class OfferForm(SeenForm):
    shoppers = ShoppersChoiceField(
        label="Offer it to",
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Choose one or several (Ctrl or ⌘ and click on a computer). Each eligible "
        "shopper gets an email; the first to accept takes the job.",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shoppers"].queryset = active_shoppers(organization)
