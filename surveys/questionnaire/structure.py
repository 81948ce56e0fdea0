"""A survey version read once as plain specs: the one seam where the questionnaire's ORM rows
become what the pure core (surveys.cleaning, surveys.scoring) works on. Submission, the CSV
import, re-scoring and the form engine all start from a Structure."""

from __future__ import annotations

from dataclasses import dataclass

from ..scoring import SectionSpec, SurveyScoringRules
from .models import Question, Section, Survey, show_if_from_json


@dataclass(frozen=True)
class Structure:
    """A survey version read once: its sections as pure specs and its questions by code."""

    survey: Survey
    sections: tuple[SectionSpec, ...]
    questions: dict[str, Question]
    rules: SurveyScoringRules


def load_structure(survey: Survey) -> Structure:
    """Two queries: sections and questions of one survey version."""
    sections = list(Section.objects.filter(survey=survey).order_by("position", "pk"))
    by_section: dict[int, list[Question]] = {s.pk: [] for s in sections}
    for q in Question.objects.filter(survey=survey).order_by("position", "pk"):
        by_section[q.section_id].append(q)
    # In form order: section by section.
    questions = {q.code: q for s in sections for q in by_section[s.pk]}
    specs = tuple(
        SectionSpec(
            key=str(s.pk),
            questions=tuple(q.spec() for q in by_section[s.pk]),
            weight=float(s.weight) if s.weight is not None else None,
            show_if=show_if_from_json(s.show_if),
        )
        for s in sections
    )
    rules = SurveyScoringRules(
        na_policy=survey.na_policy, bonus_cap=survey.bonus_cap, critical_scope=survey.critical_scope
    )
    return Structure(survey=survey, sections=specs, questions=questions, rules=rules)
