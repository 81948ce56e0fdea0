"""The form engine's reading and rendering of answers, shared by every way a survey is answered.

A question's answer travels in the form field ``q-<code>`` (``getlist`` for multiple choice, a
hidden ``NA`` checkbox beside free-entry questions that allow N/A); a file question also has a
file input ``f-<code>`` for browsers without JavaScript. :func:`raw_from_post` turns the posted
fields into the raw answers that ``surveys.responses.services`` cleans; :func:`build_sections`
turns a draft (or the answers just posted) and the errors into what the templates render.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext, gettext_lazy

from ..cleaning import clean_answer
from ..question_types import (
    LONG_TEXT_MAX,
    SHORT_TEXT_MAX,
    AnswerError,
    Kind,
    QuestionSpec,
    QuestionType,
    ShowIf,
    ShowIfOperator,
    scale_bounds,
)
from ..questionnaire.models import Question
from ..questionnaire.structure import Structure
from .evidence import ACCEPT_ATTRIBUTE
from .models import Evidence

FIELD_PREFIX = "q-"
FILE_PREFIX = "f-"
NA_VALUE = "NA"

# The respondent's words are translated (the survey's own labels stay as written).
NPS_LABELS = (gettext_lazy("Not at all likely"), gettext_lazy("Extremely likely"))
CSAT_LABELS = (gettext_lazy("Very dissatisfied"), gettext_lazy("Very satisfied"))
CES_LABELS = (gettext_lazy("Strongly disagree"), gettext_lazy("Strongly agree"))

WIDGETS = {
    QuestionType.YES_NO: "boolean",
    QuestionType.YES_NO_NA: "boolean",
    QuestionType.RATING: "scale",
    QuestionType.NPS: "scale",
    QuestionType.CSAT: "scale",
    QuestionType.CES: "scale",
    QuestionType.SINGLE_CHOICE: "single",
    QuestionType.MULTI_CHOICE: "multi",
    QuestionType.NUMBER: "number",
    QuestionType.DURATION: "duration",
    QuestionType.DATETIME: "datetime",
    QuestionType.SHORT_TEXT: "short_text",
    QuestionType.LONG_TEXT: "long_text",
    QuestionType.FILE: "file",
}


def allows_na(spec: QuestionSpec) -> bool:
    return spec.type == QuestionType.YES_NO_NA or spec.allow_na


def raw_from_post(data: QueryDict, structure: Structure) -> dict[str, Any]:
    """The raw answers in posted form data; unknown codes are kept so that cleaning rejects them."""
    raw: dict[str, Any] = {}
    for name in data:
        if not name.startswith(FIELD_PREFIX):
            continue
        code = name[len(FIELD_PREFIX) :]
        values = data.getlist(name)
        question = structure.questions.get(code)
        if question is not None and question.type == QuestionType.MULTI_CHOICE:
            raw[code] = [v for v in values if v.strip()]
            continue
        filled = [v for v in values if v.strip()]
        if question is not None and len(filled) > 1 and NA_VALUE in filled:
            # The "not applicable" box beside a free-entry field wins over what was typed.
            filled = [NA_VALUE]
        raw[code] = filled[0] if len(filled) == 1 else (filled or "")
    return raw


@dataclass
class Choice:
    value: str
    label: str
    id: str
    checked: bool = False
    hint: str = ""  # read by screen readers after the label (scale end labels)


@dataclass
class FieldView:
    """One question as the templates render it."""

    question: Question
    spec: QuestionSpec
    widget: str
    value: str = ""
    values: list[str] = field(default_factory=list)
    na: bool = False
    error: str = ""
    choices: list[Choice] = field(default_factory=list)
    min_label: str = ""
    max_label: str = ""
    max_length: int | None = None
    evidence: Evidence | None = None

    @property
    def code(self) -> str:
        return self.question.code

    @property
    def name(self) -> str:
        return FIELD_PREFIX + self.question.code

    @property
    def file_name(self) -> str:
        return FILE_PREFIX + self.question.code

    @property
    def id(self) -> str:
        return FIELD_PREFIX + self.question.code

    @property
    def allows_na(self) -> bool:
        return allows_na(self.spec)

    @property
    def is_group(self) -> bool:
        return self.widget in ("boolean", "scale", "single", "multi")

    @property
    def describedby(self) -> str:
        ids = []
        if self.question.help_text:
            ids.append(f"{self.id}-help")
        if self.widget == "duration":
            ids.append(f"{self.id}-format")
        if self.error:
            ids.append(f"{self.id}-error")
        return " ".join(ids)

    @property
    def accept(self) -> str:
        return ACCEPT_ATTRIBUTE


@dataclass
class SectionView:
    key: str
    title: str
    description: str
    fields: list[FieldView]


def _display(spec: QuestionSpec, raw: Any) -> tuple[str, list[str], bool]:
    """(value, values, is N/A) to put back into the inputs: canonical when the draft value is
    valid, exactly as typed otherwise (nothing typed is ever dropped from the form)."""
    if raw in (None, "", []):
        return "", [], False
    try:
        clean = clean_answer(spec, raw, enforce_required=False)
    except AnswerError:
        if isinstance(raw, list | tuple):
            return "", [str(v) for v in raw], False
        return str(raw), [], False
    if clean.is_na:
        return NA_VALUE, [], True
    value = clean.value
    if isinstance(value, bool):
        return ("yes" if value else "no"), [], False
    if isinstance(value, tuple):
        return "", list(value), False
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M"), [], False
    if spec.type == QuestionType.DURATION and isinstance(raw, str):
        return raw.strip(), [], False  # keep mm:ss as typed
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value)), [], False
    return str(value), [], False


def _choices(fv: FieldView) -> list[Choice]:
    spec = fv.spec
    kind = spec.info.kind
    pairs: list[tuple[str, str]]
    if kind is Kind.BOOLEAN:
        pairs = [("yes", gettext("Yes")), ("no", gettext("No"))]
    elif kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (1, 5)
        pairs = [(str(n), str(n)) for n in range(lo, hi + 1)] if hi - lo <= 20 else []
    else:
        pairs = [(o.value, o.label or o.value) for o in spec.options]
    if fv.allows_na and fv.widget != "multi":
        pairs.append(
            (NA_VALUE, gettext("N/A") if kind is not Kind.CHOICE else gettext("Not applicable"))
        )
    selected = set(fv.values) if fv.widget == "multi" else {fv.value}
    choices = [
        Choice(value=v, label=label, id=f"{fv.id}-{i}", checked=v in selected)
        for i, (v, label) in enumerate(pairs)
    ]
    if kind is Kind.SCALE:
        numbers = [c for c in choices if c.value != NA_VALUE]
        if numbers:
            numbers[0].hint, numbers[-1].hint = _end_labels(spec)
    return choices


def _end_labels(spec: QuestionSpec) -> tuple[str, str]:
    defaults = {
        QuestionType.NPS: NPS_LABELS,
        QuestionType.CSAT: CSAT_LABELS,
        QuestionType.CES: CES_LABELS,
    }.get(QuestionType(spec.type), ("", ""))
    return spec.min_label or defaults[0], spec.max_label or defaults[1]


def build_field(
    question: Question, raw: Any, error: str = "", evidence: Evidence | None = None
) -> FieldView:
    spec = question.spec()
    fv = FieldView(question=question, spec=spec, widget=WIDGETS[QuestionType(spec.type)])
    fv.value, fv.values, fv.na = _display(spec, raw)
    fv.error = error
    if fv.is_group:
        fv.choices = _choices(fv)
    if fv.widget == "scale":
        fv.min_label, fv.max_label = _end_labels(spec)
    if fv.widget == "short_text":
        fv.max_length = SHORT_TEXT_MAX
    elif fv.widget == "long_text":
        fv.max_length = LONG_TEXT_MAX
    if fv.widget == "file":
        fv.evidence = evidence if evidence is not None and str(evidence.key) == fv.value else None
    return fv


def build_sections(
    structure: Structure,
    raw: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    evidence: Mapping[str, Evidence] | None = None,
) -> list[SectionView]:
    errors = errors or {}
    evidence = evidence or {}
    by_section: dict[int, list[FieldView]] = {}
    for code, question in structure.questions.items():
        value = raw.get(code)
        by_section.setdefault(question.section_id, []).append(
            build_field(question, value, errors.get(code, ""), evidence.get(str(value or "")))
        )
    sections = []
    for section in structure.survey.sections.all():
        sections.append(
            SectionView(
                key=str(section.pk),
                title=section.title,
                description=section.description,
                fields=by_section.get(section.pk, []),
            )
        )
    return sections


# -- skip logic for the browser ------------------------------------------------------------------


def _condition_json(condition: ShowIf | None, structure: Structure) -> dict | None:
    """A condition with its value(s) cleaned into the canonical JSON the browser compares."""
    if condition is None:
        return None
    operator = str(ShowIfOperator(condition.operator))
    ref = structure.questions.get(condition.question_code)
    targets: list[Any] = []
    if ref is not None and operator != ShowIfOperator.ANSWERED:
        raws = condition.value if operator == ShowIfOperator.IN else (condition.value,)
        for raw in raws or ():
            try:
                targets.append(clean_answer(ref.spec(), raw, enforce_required=False).to_json())
            except AnswerError:
                continue
    return {"question": condition.question_code, "operator": operator, "targets": targets}


def engine_config(structure: Structure) -> dict[str, Any]:
    """What survey-form.js needs to mirror scoring.visible_codes in the browser."""
    return {
        "paging": structure.survey.paging,
        "sections": [
            {
                "key": s.key,
                "showIf": _condition_json(s.show_if, structure),
                "questions": [q.code for q in s.questions],
            }
            for s in structure.sections
        ],
        "questions": {
            code: {
                "type": q.type,
                "showIf": _condition_json(q.spec().show_if, structure),
            }
            for code, q in structure.questions.items()
        },
    }


def error_map(errors: list[tuple[str, str]]) -> dict[str, str]:
    """First message per question code (ValidationFailed.errors → field errors)."""
    found: dict[str, str] = {}
    for code, message in errors:
        found.setdefault(code, message)
    return found
