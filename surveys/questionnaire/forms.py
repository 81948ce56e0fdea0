"""Forms of the questionnaire builder. They read and tidy what staff type; the builder services
(surveys.questionnaire.services) decide what is valid, with the same rules as the definition
JSON."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.text import slugify

from cxaudit.accounts.models import Organization
from cxaudit.journeys.models import Standard
from cxaudit.textinput import TextRulesMixin
from cxaudit.uploads import check_upload

from ..cleaning import clean_answer
from ..question_types import COMPARATORS, REGISTRY, AnswerError, ShowIfOperator
from .definition import MAX_BYTES
from .models import ASPECTS_BY_KIND, Aspect, Question, Section, Survey
from .services import QuestionData, SectionData

ASPECT_HELP = {
    "mystery_shop": "A mystery shopper's answer is an observation of the visit.",
    "customer": "Does it ask how it was, or how it should be?",
    "self_assessment": "Does it ask how well we deliver, or what managers think customers expect?",
}

OPERATOR_LABELS = {
    ShowIfOperator.EQUALS: "is",
    ShowIfOperator.NOT_EQUALS: "is not",
    ShowIfOperator.IN: "is one of (separate values with ;)",
    ShowIfOperator.ANSWERED: "is answered (not N/A)",
    ShowIfOperator.GT: "is greater than",
    ShowIfOperator.LT: "is less than",
}
SHOW_IF_VALUE_HELP = (
    "What the earlier answer must be: yes or no, a number, an option value, or NA. "
    "For “is one of”, separate values with ; (e.g. good;excellent). Leave empty for “is answered”."
)
OPTIONS_HELP = (
    "One option per line: label | points | value. Points default to 0; the value is the code "
    "stored in answers and CSV files (made from the label when left out; keep it stable once "
    "answers exist). Example: “Very friendly | 2 | very-friendly”."
)


class SurveyCreateForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["title", "code", "kind", "description"]
        help_texts = {
            "code": "Stable across versions; CSV imports and exports name the survey by it. "
            "Letters, digits, '-', '_' or '.'.",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """The organisation is not known to the form; the service checks the code."""


class SurveySettingsForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "title",
            "description",
            "kind",
            "na_policy",
            "critical_scope",
            "bonus_cap",
            "paging",
            "keep_photo_location",
        ]
        labels = {
            "na_policy": "N/A answers",
            "critical_scope": "Knock-out questions",
            "bonus_cap": "Cap scores at 100% when bonus points are earned",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        """Nothing here takes part in a unique constraint."""


class ScoringRulesForm(TextRulesMixin, forms.ModelForm):
    """The rules that turn a version's answers into scores; changing them re-scores its
    stored responses (surveys.questionnaire.services.change_scoring_rules)."""

    class Meta:
        model = Survey
        fields = ["na_policy", "critical_scope", "bonus_cap"]
        labels = SurveySettingsForm.Meta.labels

    def validate_unique(self) -> None:
        """Nothing here takes part in a unique constraint."""


class ShowIfFields(TextRulesMixin, forms.Form):
    """The three fields of a show-if condition, shared by the section and question forms."""

    show_if_question = forms.ChoiceField(
        label="Show only if question", required=False, help_text="Only earlier questions."
    )
    show_if_operator = forms.ChoiceField(
        label="Condition",
        required=False,
        choices=[("", "—"), *((op.value, label) for op, label in OPERATOR_LABELS.items())],
    )
    show_if_value = forms.CharField(
        label="Value", required=False, max_length=500, help_text=SHOW_IF_VALUE_HELP
    )

    def setup_show_if(self, earlier: list[Question], current: dict[str, Any] | None) -> None:
        self.earlier = {q.code: q for q in earlier}
        self.fields["show_if_question"].choices = [
            ("", "— always shown —"),
            *((q.code, f"{q.code}: {q.text[:60]}") for q in earlier),
        ]
        if current:
            self.initial.setdefault("show_if_question", current.get("question"))
            self.initial.setdefault("show_if_operator", current.get("operator"))
            self.initial.setdefault("show_if_value", _value_text(current.get("value")))

    def clean_show_if(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        code = data.get("show_if_question")
        if not code:
            return None
        operator = data.get("show_if_operator") or ""
        if not operator:
            self.add_error("show_if_operator", "Choose a condition.")
            return None
        raw = (data.get("show_if_value") or "").strip()
        if operator == ShowIfOperator.ANSWERED:
            return {"question": code, "operator": operator}
        ref = self.earlier.get(code)
        if operator == ShowIfOperator.IN:
            items = [i.strip() for i in raw.split(";") if i.strip()]
            value: Any = [_canonical(ref, i) for i in items]
        else:
            value = _canonical(ref, raw) if raw else None
        return {"question": code, "operator": operator, "value": value}


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_value_text(v) for v in value)
    return str(value)


def condition_text(show_if: dict[str, Any] | None) -> str:
    """A show-if condition in words: “Shown if Q3 is one of good; excellent”."""
    if not show_if:
        return ""
    operator = show_if.get("operator")
    words = OPERATOR_LABELS.get(operator, str(operator)).split(" (")[0]
    text = f"Shown if {show_if.get('question')} {words}"
    if operator != ShowIfOperator.ANSWERED:
        text += f" {_value_text(show_if.get('value'))}"
    return text


def _canonical(ref: Question | None, raw: str) -> Any:
    """The value as the referenced question stores answers (true, 4, "good"), when it parses;
    otherwise the text as typed, which the service then rejects with a reason."""
    if ref is None:
        return raw
    try:
        return clean_answer(ref.spec(), raw, enforce_required=False).to_json()
    except AnswerError:
        return raw


class SectionForm(ShowIfFields):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    weight = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=3,
        help_text="Optional. When any section has a weight, the overall score is the weighted "
        "mean of section percentages.",
    )

    field_order = ["title", "description", "weight"]

    def __init__(self, *args, earlier: list[Question], section: Section | None = None, **kw):
        if section is not None:
            kw.setdefault(
                "initial",
                {
                    "title": section.title,
                    "description": section.description,
                    "weight": section.weight,
                },
            )
        super().__init__(*args, **kw)
        self.setup_show_if(earlier, section.show_if if section else None)

    def to_data(self) -> SectionData:
        d = self.cleaned_data
        return SectionData(
            title=d["title"],
            description=d["description"],
            weight=d["weight"],
            show_if=self.clean_show_if(),
        )


TYPE_CHOICES = [(t.value, info.label) for t, info in REGISTRY.items()]
_SCALES = {"rating", "nps", "csat", "ces"}
# Which settings a type has; the others are ignored, so that a setting left over from another
# type (hidden by the page's script) does not block saving.
APPLIES = {
    "scale_min": {"rating"},
    "scale_max": {"rating"},
    "min_label": _SCALES,
    "max_label": _SCALES,
    "options": {"single_choice", "multi_choice"},
    "unit": {"number"},
    "target_value": {"number", "duration"},
    "target_comparator": {"number", "duration"},
    "allow_na": {t.value for t in REGISTRY} - {"yes_no_na"},
    "max_length": {"short_text", "long_text"},
}


class QuestionForm(ShowIfFields):
    code = forms.CharField(
        max_length=64,
        help_text="Stable and unique in the survey; names the column in CSV files.",
    )
    type = forms.ChoiceField(choices=TYPE_CHOICES)
    text = forms.CharField(
        label="Question text", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    help_text = forms.CharField(
        label="Help text",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )
    required = forms.BooleanField(required=False)
    points = forms.FloatField(
        min_value=0,
        initial=1,
        required=False,
        help_text="Possible points of yes/no, scale and target questions. Choice questions score "
        "by their options.",
    )
    bonus = forms.BooleanField(required=False, help_text="Adds earned points only.")
    critical = forms.BooleanField(
        label="Critical (knock-out)",
        required=False,
        help_text="Failing it zeroes the section or the whole form (survey settings).",
    )
    standard = forms.ModelChoiceField(
        queryset=Standard.objects.none(),
        required=False,
        empty_label="— none —",
        help_text="The service standard this question measures (gap analysis groups by it).",
    )
    aspect = forms.ChoiceField(
        choices=[("", "—"), *Aspect.choices],
        required=False,
        help_text="Does it ask how it was, or how it should be?",
    )
    # Scale (rating; NPS, CSAT and CES have fixed ranges)
    scale_min = forms.IntegerField(label="Scale from", required=False, help_text="Default 1.")
    scale_max = forms.IntegerField(label="Scale to", required=False, help_text="Default 5.")
    min_label = forms.CharField(label="Label of the lowest value", required=False, max_length=100)
    max_label = forms.CharField(label="Label of the highest value", required=False, max_length=100)
    # Choices
    options = forms.CharField(
        label="Options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text=OPTIONS_HELP,
    )
    # Number / duration
    unit = forms.CharField(required=False, max_length=30, help_text="Number questions: e.g. min.")
    target_comparator = forms.ChoiceField(
        label="Target",
        required=False,
        choices=[("", "— no target —"), *((c, c) for c in COMPARATORS)],
    )
    target_value = forms.FloatField(
        label="Target value", required=False, help_text="Durations are in seconds."
    )
    allow_na = forms.BooleanField(label="Offer N/A", required=False)
    # Text
    max_length = forms.IntegerField(
        label="Maximum length",
        required=False,
        min_value=1,
        help_text="Characters; at most 255 for short text and 5,000 for long text (the default).",
    )

    field_order = ["code", "type", "text", "help_text"]

    def __init__(
        self,
        *args,
        organization: Organization,
        earlier: list[Question],
        question: Question | None = None,
        kind: str = "",
        **kw,
    ):
        if question is not None:
            kw.setdefault("initial", _question_initial(question))
        super().__init__(*args, **kw)
        # The aspects the kind of survey has, in its words (a mystery shop observes).
        if aspects := ASPECTS_BY_KIND.get(kind):
            self.fields["aspect"].choices = [("", "—"), *aspects.items()]
            self.fields["aspect"].help_text = ASPECT_HELP[kind]
        self.fields["standard"].queryset = Standard.objects.for_org(organization).order_by("code")
        self.setup_show_if(earlier, question.show_if if question else None)

    def clean_options(self) -> list[dict[str, Any]]:
        lines = [ln.strip() for ln in self.cleaned_data["options"].splitlines() if ln.strip()]
        options: list[dict[str, Any]] = []
        used: set[str] = set()
        for n, line in enumerate(lines, start=1):
            label, points_text, value = [*(p.strip() for p in line.split("|")), "", ""][:3]
            if line.count("|") > 2:
                raise forms.ValidationError(
                    f"Line {n}: at most three parts (label | points | value)."
                )
            try:
                points = float(points_text) if points_text else 0.0
            except ValueError:
                raise forms.ValidationError(
                    f"Line {n}: points must be a number, not “{points_text}”."
                ) from None
            if not value:
                value = _option_value(label, n, used)
            used.add(value.casefold())
            options.append({"value": value, "label": label, "points": _plain(points)})
        return options

    def to_data(self) -> QuestionData:
        d = self.cleaned_data
        config = {
            "options": d["options"],
            "scale_min": d["scale_min"],
            "scale_max": d["scale_max"],
            "min_label": d["min_label"],
            "max_label": d["max_label"],
            "unit": d["unit"],
            "target_value": d["target_value"],
            "target_comparator": d["target_comparator"] or None,
            "allow_na": d["allow_na"],
            "max_length": d["max_length"],
        }
        return QuestionData(
            code=d["code"].strip(),
            type=d["type"],
            text=d["text"],
            help_text=d["help_text"],
            required=d["required"],
            points=_plain(1 if d["points"] is None else d["points"]),
            bonus=d["bonus"],
            critical=d["critical"],
            standard=d["standard"],
            aspect=d["aspect"],
            config={
                k: v
                for k, v in config.items()
                if v not in (None, "", [], False) and d["type"] in APPLIES[k]
            },
            show_if=self.clean_show_if(),
        )


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number


def _option_value(label: str, n: int, used: set[str]) -> str:
    base = slugify(label)[:56] or f"option-{n}"
    base = re.sub(r"^[^a-z0-9]+", "", base) or f"option-{n}"
    value, i = base, 2
    while value.casefold() in used or value.casefold() in {"na", "n-a"}:
        value, i = f"{base}-{i}", i + 1
    return value


def _question_initial(q: Question) -> dict[str, Any]:
    c = q.config or {}
    return {
        "code": q.code,
        "type": q.type,
        "text": q.text,
        "help_text": q.help_text,
        "required": q.required,
        "points": _plain(q.points),
        "bonus": q.bonus,
        "critical": q.critical,
        "standard": q.standard_id,
        "aspect": q.aspect,
        "scale_min": c.get("scale_min"),
        "scale_max": c.get("scale_max"),
        "min_label": c.get("min_label", ""),
        "max_label": c.get("max_label", ""),
        "options": "\n".join(
            f"{o.get('label', '')} | {_plain(o.get('points', 0))} | {o.get('value')}"
            for o in c.get("options", [])
        ),
        "unit": c.get("unit", ""),
        "target_value": c.get("target_value"),
        "target_comparator": c.get("target_comparator") or "",
        "allow_na": bool(c.get("allow_na")),
        "max_length": c.get("max_length"),
    }


# Where a service error about a question belongs in the form.
def form_field_for(path: str, form: forms.Form) -> str | None:
    head = path.split("[", 1)[0]
    if head.startswith("config."):
        head = head.removeprefix("config.").split(".", 1)[0]
    elif head.startswith("show_if."):
        head = "show_if_" + head.removeprefix("show_if.").split(".", 1)[0]
    else:
        head = head.split(".", 1)[0]
    return head if head in form.fields else None


class DefinitionUploadForm(TextRulesMixin, forms.Form):
    file = forms.FileField(
        label="Survey definition (JSON)",
        help_text="A file exported from cxaudit or written as described in the format linked "
        "above. At most 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        check_upload(f, "json")
        if f.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {f.size / 1024 / 1024:.1f} MB; the limit is 2 MB."
            )
        return f
