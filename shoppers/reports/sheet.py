"""A shop's answers beside its score, read once for the review page and the report card: each
section's score, each question's answer (as text), points earned and possible, knock-out,
the evidence files behind it; the shopper's narrative; and the wave's averages to compare
with.

The score is the survey engine's own explanation (surveys.responses.services.explain_response);
nothing here scores. A fixed number of queries whatever the size of the form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Avg, Count, Q
from django.utils import timezone

from surveys.models import Evidence, Question, Response, Section, Source
from surveys.question_types import CleanValue, Kind, QuestionType, scale_bounds
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import answer_values, explain_response
from surveys.scoring import ItemScore

from ..models import Assignment

NA_VALUE = "NA"
NARRATIVE_TYPES = (QuestionType.LONG_TEXT,)


@dataclass
class Choice:
    value: str
    label: str
    selected: bool = False


@dataclass
class Row:
    """One question of the form as answered."""

    question: Question
    answer: str  # as text ("" when unanswered); escaped where shown
    answered: bool
    is_na: bool
    item: ItemScore | None
    evidence: list[Evidence] = field(default_factory=list)
    # For a reviewer's correction: the answer as the form engine posts it, and the choices.
    raw: str = ""
    raw_list: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.question.code

    @property
    def editable(self) -> bool:
        return self.question.type != QuestionType.FILE

    @property
    def widget(self) -> str:
        """How a correction is typed: select, multi (boxes), long (text area) or text."""
        if self.question.type == QuestionType.MULTI_CHOICE:
            return "multi"
        if self.choices:
            return "select"
        if self.question.type == QuestionType.LONG_TEXT:
            return "long"
        return "text"

    @property
    def scored(self) -> bool:
        return self.item is not None and (self.item.possible > 0 or self.item.earned > 0)


@dataclass
class SheetSection:
    title: str
    earned: float | None
    possible: float | None
    percent: float | None
    knocked_out: bool
    rows: list[Row]


@dataclass
class Sheet:
    shop: Assignment
    response: Response
    percent: float | None
    earned: float | None
    possible: float | None
    knocked_out: bool
    method: str
    sections: list[SheetSection]

    @property
    def knock_outs(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows if r.item and r.item.knock_out]

    @property
    def narrative(self) -> list[Row]:
        return [
            r
            for s in self.sections
            for r in s.rows
            if r.question.type in NARRATIVE_TYPES and r.answer
        ]

    @property
    def evidence(self) -> list[Evidence]:
        return [e for s in self.sections for r in s.rows for e in r.evidence]

    @property
    def editable_rows(self) -> list[Row]:
        return [r for s in self.sections for r in s.rows if r.editable]


def _number(value: float) -> str:
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


def _choices(question: Question) -> list[tuple[str, str]]:
    spec = question.spec()
    kind = spec.info.kind
    if kind is Kind.BOOLEAN:
        pairs = [("yes", "Yes"), ("no", "No")]
    elif kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (1, 5)
        pairs = [(str(n), str(n)) for n in range(lo, hi + 1)] if hi - lo <= 20 else []
    elif kind is Kind.CHOICE:
        pairs = [(o.value, o.label or o.value) for o in spec.options]
    else:
        return []
    multi = question.type == QuestionType.MULTI_CHOICE
    if (spec.allow_na or question.type == QuestionType.YES_NO_NA) and not multi:
        pairs.append((NA_VALUE, "N/A"))
    return pairs


def _texts(question: Question, value: CleanValue) -> tuple[str, str, list[str]]:
    """(shown text, raw value for the correction form, raw list for multi choices)."""
    if value.is_na:
        return "N/A", NA_VALUE, []
    v = value.value
    if v is None:
        return "", "", []
    labels = {o.value: (o.label or o.value) for o in question.spec().options}
    if isinstance(v, bool):
        return ("Yes" if v else "No"), ("yes" if v else "no"), []
    if isinstance(v, tuple | list):
        return ", ".join(labels.get(str(x), str(x)) for x in v), "", [str(x) for x in v]
    if isinstance(v, datetime):
        local = timezone.localtime(v) if timezone.is_aware(v) else v
        return f"{local:%d %b %Y %H:%M}", local.strftime("%Y-%m-%dT%H:%M"), []
    if question.type == QuestionType.DURATION and isinstance(v, int | float):
        minutes, seconds = divmod(round(v), 60)
        return f"{minutes}:{seconds:02d}", f"{minutes}:{seconds:02d}", []
    if isinstance(v, int | float):
        unit = (question.config or {}).get("unit", "")
        text = _number(float(v))
        return (f"{text} {unit}".strip()), text, []
    if question.type == QuestionType.FILE:
        return "File attached", str(v), []
    text = str(v)
    return labels.get(text, text), text, []


def build_sheet(shop: Assignment) -> Sheet:
    """The sheet of a shop whose visit form was sent (a submitted response)."""
    response = shop.response
    structure = load_structure(response.survey)
    values = answer_values(response, structure)
    score = explain_response(response, structure)
    items = score.items()
    titles = dict(Section.objects.filter(survey=response.survey).values_list("pk", "title"))
    # A file question's answer is the key of its evidence (one file per question).
    by_key = {str(e.key): e for e in Evidence.objects.filter(response=response)}
    scored_sections = {s.key: s for s in score.sections}
    sections: list[SheetSection] = []
    current: dict[int, list[Row]] = {}
    for question in structure.questions.values():
        value = values.get(question.code)
        shown, raw, raw_list = _texts(question, value) if value else ("", "", [])
        evidence: list[Evidence] = []
        if question.type == QuestionType.FILE and value and value.value:
            found = by_key.get(str(value.value))
            evidence = [found] if found else []
        choices = [
            Choice(v, label, (v in raw_list) if raw_list else v == raw)
            for v, label in _choices(question)
        ]
        current.setdefault(question.section_id, []).append(
            Row(
                question=question,
                answer=shown,
                answered=bool(value and value.answered),
                is_na=bool(value and value.is_na),
                item=items.get(question.code),
                evidence=evidence,
                raw=raw,
                raw_list=raw_list,
                choices=choices,
            )
        )
    for section_spec in structure.sections:
        pk = int(section_spec.key)
        s = scored_sections.get(section_spec.key)
        sections.append(
            SheetSection(
                title=titles.get(pk, ""),
                earned=s.earned if s else None,
                possible=s.possible if s else None,
                percent=s.percent if s else None,
                knocked_out=bool(s and s.knocked_out),
                rows=current.get(pk, []),
            )
        )
    return Sheet(
        shop=shop,
        response=response,
        percent=response.score_percent,
        earned=response.score_earned,
        possible=response.score_possible,
        knocked_out=response.knocked_out,
        method=score.method,
        sections=sections,
    )


@dataclass(frozen=True)
class Average:
    label: str
    mean: float | None
    n: int


def wave_averages(shop: Assignment) -> list[Average]:
    """The mean score of the counted (approved) shops of the same survey in the shop's wave,
    at its location and across the organisation: one query."""
    survey = shop.response.survey
    scored = Q(score_percent__isnull=False)
    here = scored & Q(location_id=shop.location_id)
    figures = Response.objects.filter(
        organization_id=shop.organization_id,
        wave_id=shop.wave_id,
        source=Source.SHOPPER,
        status=Response.Status.SUBMITTED,
        counted=True,
        survey__organization_id=shop.organization_id,
        survey__code=survey.code,
    ).aggregate(
        location_mean=Avg("score_percent", filter=here),
        location_n=Count("pk", filter=here),
        org_mean=Avg("score_percent", filter=scored),
        org_n=Count("pk", filter=scored),
    )
    return [
        Average(
            f"{shop.location.name}, {shop.wave.name}",
            figures["location_mean"],
            figures["location_n"],
        ),
        Average(f"Whole organisation, {shop.wave.name}", figures["org_mean"], figures["org_n"]),
    ]
