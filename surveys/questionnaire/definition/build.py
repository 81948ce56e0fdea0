"""Writing a survey definition (docs/formats.md) in Python: every field written out, as an
export would. The demo seeds build their questionnaires with these and import them through
the same validator as a file."""

from __future__ import annotations

from typing import Any

from .export import FORMAT, FORMAT_VERSION


def question(code: str, type: str, text: str, **fields: Any) -> dict[str, Any]:
    """One question of a definition."""
    return {
        "code": code,
        "type": type,
        "text": text,
        "help_text": fields.get("help_text", ""),
        "required": fields.get("required", False),
        "points": fields.get("points", 1),
        "bonus": False,
        "critical": fields.get("critical", False),
        "standard": fields.get("standard"),
        "aspect": fields.get("aspect"),
        "config": fields.get("config", {}),
        "show_if": fields.get("show_if"),
    }


def section(title: str, questions: list[dict], **fields: Any) -> dict[str, Any]:
    return {
        "title": title,
        "description": fields.get("description", ""),
        "weight": fields.get("weight"),
        "show_if": fields.get("show_if"),
        "questions": questions,
    }


def document(
    code: str,
    title: str,
    kind: str,
    description: str,
    sections: list[dict],
    *,
    keep_photo_location: bool = False,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "code": code,
        "title": title,
        "description": description,
        "kind": kind,
        "scoring": {"na_policy": "omit", "bonus_cap": True, "critical_scope": "section"},
        "paging": "sections",
        "keep_photo_location": keep_photo_location,
        "sections": sections,
    }
