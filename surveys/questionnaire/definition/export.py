"""Writing a survey version as a definition document (docs/formats.md, "Survey definition JSON").

The exported form is canonical: every field present, keys in a fixed order, empty config entries
left out, whole numbers without a decimal point. Importing it and exporting again gives the same
document, which is what the round-trip tests hold the format to.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final

from ...question_types import ShowIfOperator
from ..models import Question, Survey

FORMAT: Final = "cxaudit.survey"
FORMAT_VERSION: Final = 1

TOP_KEYS: Final = (
    "format",
    "format_version",
    "code",
    "title",
    "description",
    "kind",
    "scoring",
    "paging",
    "keep_photo_location",
    "sections",
)
SCORING_KEYS: Final = ("na_policy", "bonus_cap", "critical_scope")
SECTION_KEYS: Final = ("title", "description", "weight", "show_if", "questions")
QUESTION_KEYS: Final = (
    "code",
    "type",
    "text",
    "help_text",
    "required",
    "points",
    "bonus",
    "critical",
    "standard",
    "aspect",
    "config",
    "show_if",
)
# In this order in exported files.
CONFIG_KEYS: Final = (
    "options",
    "scale_min",
    "scale_max",
    "min_label",
    "max_label",
    "unit",
    "target_value",
    "target_comparator",
    "allow_na",
    "max_length",
)
OPTION_KEYS: Final = ("value", "label", "points")
SHOW_IF_KEYS: Final = ("question", "operator", "value")


def plain_number(value: Any) -> Any:
    """A number as it is written in the file: whole numbers without a decimal point."""
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def show_if_to_json(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The canonical form of a stored condition (no `value` for `answered`)."""
    if not data:
        return None
    out: dict[str, Any] = {"question": data.get("question"), "operator": data.get("operator")}
    if data.get("operator") != ShowIfOperator.ANSWERED:
        out["value"] = data.get("value")
    return out


def config_to_json(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The canonical form of a question's config: known keys in a fixed order, empties left out."""
    config = config or {}
    out: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        value = config.get(key)
        if value is None or value == "" or value is False or value == []:
            continue
        if key == "options":
            value = [
                {
                    "value": o.get("value"),
                    "label": o.get("label", ""),
                    "points": plain_number(o.get("points", 0)),
                }
                for o in value
            ]
        elif key in ("scale_min", "scale_max", "target_value", "max_length"):
            value = plain_number(value)
        out[key] = value
    return out


def question_to_json(question: Question) -> dict[str, Any]:
    return {
        "code": question.code,
        "type": question.type,
        "text": question.text,
        "help_text": question.help_text,
        "required": question.required,
        "points": plain_number(question.points),
        "bonus": question.bonus,
        "critical": question.critical,
        "standard": question.standard.code if question.standard_id else None,
        "aspect": question.aspect or None,
        "config": config_to_json(question.config),
        "show_if": show_if_to_json(question.show_if),
    }


def survey_to_definition(survey: Survey) -> dict[str, Any]:
    """The survey version as a definition document (two queries, whatever its size)."""
    sections = list(survey.sections.order_by("position", "pk"))
    by_section: dict[int, list[Question]] = {s.pk: [] for s in sections}
    for q in survey.questions.select_related("standard").order_by("position", "pk"):
        by_section[q.section_id].append(q)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "code": survey.code,
        "title": survey.title,
        "description": survey.description,
        "kind": survey.kind,
        "scoring": {
            "na_policy": survey.na_policy,
            "bonus_cap": survey.bonus_cap,
            "critical_scope": survey.critical_scope,
        },
        "paging": survey.paging,
        "keep_photo_location": survey.keep_photo_location,
        "sections": [
            {
                "title": s.title,
                "description": s.description,
                "weight": None if s.weight is None else plain_number(s.weight),
                "show_if": show_if_to_json(s.show_if),
                "questions": [question_to_json(q) for q in by_section[s.pk]],
            }
            for s in sections
        ],
    }


def export_json(survey: Survey) -> str:
    """The definition document as JSON text (UTF-8, indented, ending with a newline)."""
    return json.dumps(survey_to_definition(survey), indent=2, ensure_ascii=False) + "\n"


def export_filename(survey: Survey) -> str:
    return f"survey-{survey.code}-v{survey.version}.json"
