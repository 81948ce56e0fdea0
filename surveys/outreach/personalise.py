"""Personalisation of a campaign's subject and message: `{{ first_name }}` and a few other
placeholders, checked when the campaign is saved and filled when each email is made.

Plain Python, no template engine: staff text is never run as a Django template (no tags, no
filters, no attribute lookups), so a message cannot reach anything but the values below. Values
are the contact's own (imported from CSV), so they are cleaned of control characters (a name
cannot add a header line to the subject) and HTML-escaped where they land in HTML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape

PLACEHOLDERS: dict[str, str] = {
    "first_name": "the contact's first name (blank when unknown)",
    "last_name": "the contact's last name",
    "full_name": "first and last name",
    "location_name": "the contact's location (or the campaign's)",
    "survey_title": "the survey's title",
    "sender_name": "the campaign's sender name",
    "expiry_date": "the last day the link works",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_VALUE = 200


class PlaceholderError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check(text: str) -> None:
    """Refuse unknown placeholders and template syntax, naming the first problem."""
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            known = ", ".join("{{ " + p + " }}" for p in PLACEHOLDERS)
            shown = name[:40] or "(empty)"
            raise PlaceholderError(f"Unknown placeholder {{{{ {shown} }}}}; use one of {known}.")
    rest = _PLACEHOLDER.sub("", text)
    for token in ("{{", "}}", "{%", "%}", "{#", "#}"):
        if token in rest:
            raise PlaceholderError(
                f"“{token}” is not a placeholder; write placeholders as {{{{ first_name }}}}."
            )


def clean_value(value: object) -> str:
    """A value as it may appear in an email: one line, bounded."""
    text = _CONTROL.sub(" ", str(value or "")).strip()
    return text[:MAX_VALUE]


def fill(text: str, values: Mapping[str, object]) -> str:
    """The text with every placeholder replaced by its cleaned value (plain text)."""
    return _PLACEHOLDER.sub(lambda m: clean_value(values.get(m.group(1), "")), text)


def fill_html(text: str, values: Mapping[str, object]) -> str:
    """The text as HTML: the staff text and every value escaped, paragraphs and line breaks
    kept. The result is safe to insert into an HTML email as it is."""
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(escape(clean_value(values.get(match.group(1), ""))))
        last = match.end()
    parts.append(escape(text[last:]))
    body = "".join(parts).replace("\r\n", "\n").strip()
    paragraphs = [p.strip() for p in re.split(r"\n{2,}", body) if p.strip()]
    return "\n".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)
