"""Scoring of one response, mystery-shop convention, and the skip logic it depends on.

Pure functions over plain dataclasses (no Django), so a report card can be recomputed and
explained from stored answers alone.

Rules (DESIGN.md, "Surveys"):

- A question's possible points are its highest option value (``question_types.max_points``):
  yes/no: yes = ``points``; single choice: the best option; multi choice: the sum of the positive
  option points, earned = the ticked options' points; rating/NPS/CSAT/CES: ``points``, earned =
  points * (v - min)/(max - min); number/duration with a target: met = ``points``, not met = 0.
  Questions with possible 0 (text, date/time, file, no target, no points) are not scored.
- N/A: omitted by default; ``na_policy`` "count_as_fail" counts possible and earns 0,
  "count_as_pass" earns possible. N/A on a bonus question is always omitted.
- Bonus questions add earned points, never possible points. ``bonus_cap`` caps the section and
  overall percentages at 100 (the points themselves are stored uncapped).
- Unanswered questions, optional or hidden by skip logic, are omitted, never penalised. So is an
  unanswered required question (a form cannot be submitted without it; a draft or an imported
  row can), which the item's reason makes visible.
- A critical (knock-out) question fails when answered and earned < possible; N/A never fails.
  ``critical_scope`` "section" zeroes the earned points of its section; "form" makes the
  overall score 0 and leaves the section scores as observed, so the report card still shows
  where the shop went wrong.
- The overall pools earned/possible across sections. When at least one section has a weight,
  the overall percentage is instead the weighted mean of the section percentages over the
  sections with possible > 0; a section without a weight then counts with weight 1, and the
  weights are renormalised over the sections that take part. The pooled points are still
  reported, so the item-by-item explanation adds up.
- A section or form with possible 0 has percentage None: nothing was measured.

Percentages are stored unrounded; round only for display (:func:`display_percent`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.cleaning import clean_answer
from surveys.question_types import (
    UNANSWERED,
    AnswerError,
    CleanValue,
    Kind,
    QuestionSpec,
    QuestionType,
    ShowIf,
    ShowIfOperator,
    chosen_points,
    max_points,
    scale_bounds,
    spec_errors,
    target_met,
)


class NaPolicy(enum.StrEnum):
    OMIT = "omit"
    COUNT_AS_FAIL = "count_as_fail"
    COUNT_AS_PASS = "count_as_pass"  # noqa: S105 - a policy name, not a password


class CriticalScope(enum.StrEnum):
    SECTION = "section"
    FORM = "form"


@dataclass(frozen=True)
class SurveyScoringRules:
    na_policy: NaPolicy | str = NaPolicy.OMIT
    bonus_cap: bool = True
    critical_scope: CriticalScope | str = CriticalScope.SECTION

    def __post_init__(self) -> None:
        # Coerce stored strings so a typo fails here, not as a silently different score.
        object.__setattr__(self, "na_policy", NaPolicy(self.na_policy))
        object.__setattr__(self, "critical_scope", CriticalScope(self.critical_scope))


@dataclass(frozen=True)
class SectionSpec:
    key: str
    questions: tuple[QuestionSpec, ...] = ()
    weight: float | None = None
    show_if: ShowIf | None = None

    def __post_init__(self) -> None:
        if isinstance(self.questions, list):
            object.__setattr__(self, "questions", tuple(self.questions))


@dataclass(frozen=True)
class ItemScore:
    code: str
    earned: float
    possible: float
    counted: bool
    reason: str
    knock_out: bool = False  # this item failed as a critical question

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "code": self.code,
            "earned": self.earned,
            "possible": self.possible,
            "counted": self.counted,
            "reason": self.reason,
            "knock_out": self.knock_out,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemScore:
        """Read back what :meth:`to_dict` stored."""
        return cls(**{**data, "knock_out": data.get("knock_out", False)})


@dataclass(frozen=True)
class SectionScore:
    key: str
    earned: float  # 0 when knocked out
    possible: float
    percent: float | None
    weight: float | None  # the weight applied to the overall; None when the overall is pooled
    knocked_out: bool
    items: tuple[ItemScore, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "key": self.key,
            "earned": self.earned,
            "possible": self.possible,
            "percent": self.percent,
            "weight": self.weight,
            "knocked_out": self.knocked_out,
            "items": [item.to_dict() for item in self.items],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SectionScore:
        """Read back what :meth:`to_dict` stored."""
        items = tuple(ItemScore.from_dict(item) for item in data.get("items", ()))
        return cls(**{**data, "items": items})


@dataclass(frozen=True)
class ResponseScore:
    earned: float  # pooled over sections; 0 when the form is knocked out
    possible: float
    percent: float | None
    knocked_out: bool  # the whole form (critical_scope "form"); see sections for the others
    sections: tuple[SectionScore, ...] = ()
    method: str = "pooled"  # or "weighted": percent is then not earned / possible

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "earned": self.earned,
            "possible": self.possible,
            "percent": self.percent,
            "knocked_out": self.knocked_out,
            "method": self.method,
            "sections": [section.to_dict() for section in self.sections],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseScore:
        """Read back what :meth:`to_dict` stored."""
        sections = tuple(SectionScore.from_dict(s) for s in data.get("sections", ()))
        return cls(**{**data, "sections": sections})

    def items(self) -> dict[str, ItemScore]:
        """Every item score by question code."""
        return {item.code: item for section in self.sections for item in section.items}


def display_percent(percent: float | None, digits: int = 0) -> str:
    """A percentage rounded for display; an en dash when nothing was measured."""
    return "\N{EN DASH}" if percent is None else f"{percent:.{digits}f}%"


# -- one question ------------------------------------------------------------------------------


def _fmt(number: float) -> str:
    return f"{number:.15g}"


def _answer_text(spec: QuestionSpec, value: Any, possible: float) -> tuple[float, str]:
    """Earned points and why, for an answered, scored, non-N/A question."""
    kind = spec.info.kind
    if kind is Kind.BOOLEAN:
        return (possible, "yes") if value else (0.0, "no")
    if kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (0, 1)
        earned = possible * (value - lo) / (hi - lo) if hi > lo else 0.0
        return earned, f"{value} on {lo}\N{EN DASH}{hi}"
    if kind is Kind.CHOICE:
        earned = min(possible, max(0.0, chosen_points(spec, value)))
        if spec.type == QuestionType.MULTI_CHOICE:
            return earned, f"ticked {', '.join(value)}"
        return earned, f"chose {value}"
    # A measure with a target: possible > 0 only when it has one.
    unit = "s" if spec.type == QuestionType.DURATION else spec.unit
    shown = f"{_fmt(value)} {unit}".rstrip()
    target = f"{_fmt(float(spec.target_value))} {unit}".rstrip()
    if target_met(spec, value):
        return possible, f"target met: {shown} {spec.target_comparator} {target}"
    return 0.0, f"target not met: {shown}, target {spec.target_comparator} {target}"


def score_item(
    spec: QuestionSpec,
    answer: CleanValue,
    rules: SurveyScoringRules,
    *,
    shown: bool = True,
) -> ItemScore:
    """The points of one question, with the reason they count or not."""
    code = spec.code
    if not shown:
        return ItemScore(code, 0.0, 0.0, False, "hidden by skip logic")
    if not answer.answered:
        reason = "unanswered (required)" if spec.required else "unanswered optional"
        return ItemScore(code, 0.0, 0.0, False, reason)
    possible = max_points(spec)
    if possible <= 0:
        return ItemScore(
            code, 0.0, 0.0, False, "N/A (not scored)" if answer.is_na else "not scored"
        )
    if answer.is_na:
        if spec.bonus or rules.na_policy is NaPolicy.OMIT:
            # A bonus has no possible points to fail or pass.
            return ItemScore(code, 0.0, 0.0, False, "N/A omitted")
        if rules.na_policy is NaPolicy.COUNT_AS_FAIL:
            return ItemScore(code, 0.0, possible, True, "N/A counted as fail")
        return ItemScore(code, possible, possible, True, "N/A counted as pass")

    earned, reason = _answer_text(spec, answer.value, possible)
    if spec.bonus:
        return ItemScore(code, earned, 0.0, True, f"bonus: {reason}")
    if spec.critical and earned < possible:
        return ItemScore(code, earned, possible, True, f"knock-out failed: {reason}", True)
    return ItemScore(code, earned, possible, True, reason)


# -- one response ------------------------------------------------------------------------------


def _percent(earned: float, possible: float, cap: bool) -> float | None:
    if possible <= 0:
        return None
    percent = earned / possible * 100
    return min(percent, 100.0) if cap else percent


def _weighted_percent(scores: Sequence[SectionScore]) -> float | None:
    """Weighted mean of the percentages of the sections that measured something."""
    terms = [
        (s.weight or 0.0, s.percent) for s in scores if s.possible > 0 and s.percent is not None
    ]
    total_weight = math.fsum(weight for weight, _ in terms)
    if total_weight <= 0:
        return None
    mean = math.fsum(weight * percent for weight, percent in terms) / total_weight
    # A weighted mean lies between its terms; clamp away the floating-point excess.
    shares = [percent for weight, percent in terms if weight > 0]
    return min(max(mean, min(shares)), max(shares))


def score_response(
    survey: SurveyScoringRules,
    sections: Sequence[SectionSpec],
    answers: Mapping[str, CleanValue],
    visible: Collection[str] | None = None,
) -> ResponseScore:
    """Score one response; ``visible`` holds the codes shown (None = all)."""
    totals: list[SectionTotal] = []
    for section in sections:
        items = tuple(
            score_item(
                spec,
                answers.get(spec.code, UNANSWERED),
                survey,
                shown=visible is None or spec.code in visible,
            )
            for spec in section.questions
        )
        # fsum is exact, so the totals do not depend on the order of the items.
        totals.append(
            SectionTotal(
                earned=math.fsum(item.earned for item in items if item.counted),
                possible=math.fsum(item.possible for item in items if item.counted),
                failed=any(item.knock_out for item in items),
                items=items,
            )
        )
    return total_response(survey, sections, totals)


@dataclass(frozen=True)
class SectionTotal:
    """A section's counted points before the knock-out and weighting rules apply."""

    earned: float  # exact (correctly rounded) sum of the counted items
    possible: float
    failed: bool  # a critical question of the section failed
    items: tuple[ItemScore, ...] = ()


def total_response(
    survey: SurveyScoringRules,
    sections: Sequence[SectionSpec],
    totals: Sequence[SectionTotal],
) -> ResponseScore:
    """The response score from each section's totals (shared with surveys.responses.rescoring,
    which sums the items in SQL)."""
    weighted = any(section.weight is not None for section in sections)
    scores: list[SectionScore] = []
    form_knocked_out = False
    for section, total in zip(sections, totals, strict=True):
        earned, possible, failed = total.earned, total.possible, total.failed
        knocked_out = failed and survey.critical_scope is CriticalScope.SECTION
        form_knocked_out = form_knocked_out or (failed and not knocked_out)
        if knocked_out:
            earned = 0.0
        weight: float | None = None
        if weighted:
            weight = 1.0 if section.weight is None else float(section.weight)
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"section {section.key!r}: weight must be >= 0, got {weight}")
        percent = _percent(earned, possible, survey.bonus_cap)
        scores.append(
            SectionScore(section.key, earned, possible, percent, weight, knocked_out, total.items)
        )

    earned = math.fsum(s.earned for s in scores)
    possible = math.fsum(s.possible for s in scores)
    if weighted:
        percent = _weighted_percent(scores)
    else:
        percent = _percent(earned, possible, survey.bonus_cap)
    if form_knocked_out:
        earned, percent = 0.0, 0.0
    return ResponseScore(
        earned=earned,
        possible=possible,
        percent=percent,
        knocked_out=form_knocked_out,
        sections=tuple(scores),
        method="weighted" if weighted else "pooled",
    )


# -- skip logic --------------------------------------------------------------------------------

_ORDERED_KINDS = (Kind.SCALE, Kind.MEASURE)


def _condition_targets(condition: ShowIf, ref: QuestionSpec) -> list[CleanValue]:
    """The condition's value(s) cleaned like answers to the referenced question."""
    operator = ShowIfOperator(condition.operator)
    if operator is ShowIfOperator.ANSWERED:
        return []
    if operator is ShowIfOperator.IN:
        if not isinstance(condition.value, tuple) or not condition.value:
            raise ValueError("value: 'in' needs a non-empty list")
        raws: tuple[Any, ...] = condition.value
    else:
        raws = (condition.value,)
    if operator in (ShowIfOperator.GT, ShowIfOperator.LT) and ref.info.kind not in _ORDERED_KINDS:
        raise ValueError(f"operator: {operator} needs a numeric question, {ref.code} is {ref.type}")
    targets = [clean_answer(ref, raw, enforce_required=False) for raw in raws]
    if any(not t.answered for t in targets):
        raise ValueError("value: required")
    return targets


def _matches(ref: QuestionSpec, answer: CleanValue, target: CleanValue) -> bool:
    if answer.is_na or target.is_na:
        return answer.is_na and target.is_na
    if ref.type == QuestionType.MULTI_CHOICE:
        return set(target.value) <= set(answer.value)
    return bool(answer.value == target.value)


def condition_met(
    condition: ShowIf,
    ref: QuestionSpec,
    answer: CleanValue,
    *,
    ref_shown: bool = True,
) -> bool:
    """Whether a skip-logic condition on the answer to ``ref`` holds (raises ValueError if bad)."""
    targets = _condition_targets(condition, ref)
    # Hiding cascades: a condition on a hidden or unanswered question is never met.
    if not ref_shown or not answer.answered:
        return False
    operator = ShowIfOperator(condition.operator)
    if operator is ShowIfOperator.ANSWERED:
        return not answer.is_na
    if operator is ShowIfOperator.EQUALS:
        return _matches(ref, answer, targets[0])
    if operator is ShowIfOperator.NOT_EQUALS:
        return not _matches(ref, answer, targets[0])
    if operator is ShowIfOperator.IN:
        return any(_matches(ref, answer, t) for t in targets)
    if answer.is_na or targets[0].is_na:
        return False
    if operator is ShowIfOperator.GT:
        return bool(answer.value > targets[0].value)
    return bool(answer.value < targets[0].value)


def visible_codes(sections: Sequence[SectionSpec], answers: Mapping[str, CleanValue]) -> set[str]:
    """Codes of the questions shown, evaluating sections and questions in order."""
    earlier: dict[str, QuestionSpec] = {}
    shown: set[str] = set()

    def holds(condition: ShowIf | None) -> bool:
        if condition is None:
            return True
        ref = earlier.get(condition.question_code)
        if ref is None:
            raise ValueError(
                f"show_if refers to {condition.question_code!r}, not an earlier question"
            )
        answer = answers.get(ref.code, UNANSWERED)
        return condition_met(condition, ref, answer, ref_shown=ref.code in shown)

    for section in sections:
        # Evaluated before its questions are known, so it can only look at earlier sections.
        section_shown = holds(section.show_if)
        for spec in section.questions:
            if section_shown and holds(spec.show_if):
                shown.add(spec.code)
            earlier[spec.code] = spec
    return shown


# -- definition validation ---------------------------------------------------------------------


def survey_errors(sections: Sequence[SectionSpec]) -> list[str]:
    """Every problem with a survey's sections, questions and skip logic, naming where and why."""
    errors: list[str] = []
    keys: set[str] = set()
    earlier: dict[str, QuestionSpec] = {}
    for section in sections:
        where = f"section {section.key!r}"
        if not section.key:
            errors.append(f"{where}: key: required")
        elif section.key in keys:
            errors.append(f"{where}: key: duplicate section key")
        keys.add(section.key)
        weight = section.weight
        if weight is not None and (
            isinstance(weight, bool) or not isinstance(weight, int | float) or not weight >= 0
        ):
            errors.append(f"{where}: weight: must be a number >= 0")
        if section.show_if is not None:
            errors += [f"{where}: show_if.{e}" for e in _condition_errors(section.show_if, earlier)]
        in_section: dict[str, QuestionSpec] = {}
        for spec in section.questions:
            here = f"{where}, question {spec.code!r}"
            errors += [f"{here}: {e}" for e in spec_errors(spec)]
            folded = str(spec.code).casefold()
            if any(folded == code.casefold() for code in [*earlier, *in_section]):
                errors.append(f"{here}: code: duplicate question code (codes ignore case)")
            if spec.show_if is not None:
                visible_to_it = {**earlier, **in_section}
                errors += [
                    f"{here}: show_if.{e}" for e in _condition_errors(spec.show_if, visible_to_it)
                ]
            in_section[spec.code] = spec
        earlier.update(in_section)
    return errors


def _condition_errors(condition: ShowIf, earlier: Mapping[str, QuestionSpec]) -> list[str]:
    try:
        ShowIfOperator(condition.operator)
    except ValueError:
        return [f"operator: unknown operator {condition.operator!r}"]
    ref = earlier.get(condition.question_code)
    if ref is None:
        return [f"question_code: {condition.question_code!r} is not an earlier question"]
    try:
        _condition_targets(condition, ref)
    except AnswerError as exc:
        return [f"value: {exc.message}"]
    except ValueError as exc:
        return [str(exc)]
    return []
