"""One set of rules for the text that comes into cxaudit, whichever way it comes: forms
(`TextRulesMixin`), imports (CSV through cxaudit.csvinput, JSON through cxaudit.jsoninput, the
responses CSV), autosaved drafts (surveys.responses.services.draft_answers), answers
(surveys.cleaning) and addresses (`TextRulesMiddleware`).

Text is refused, with the reason, when it holds
- a NUL character (no PostgreSQL text column can store one, and no real text has one);
- another control character, except tab, line feed and carriage return (they have no place in
  a name, an answer or a description, and some break what reads them: spreadsheets refuse
  them in XLSX cells, terminals obey escape sequences);
- a lone surrogate (JSON can spell "\\ud800", but it is not Unicode text and cannot be stored).

Everything else is text: it is stored as given and escaped wherever it is shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the rules themselves are plain Python (surveys.cleaning uses them)
    from django import forms

# C0 controls except \t \n \r, DEL, and the surrogate range (only lone ones reach a str).
_REFUSED: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be taken as text, or None when it can."""
    found = _REFUSED.search(value)
    if found is None:
        return None
    char = found.group()
    if char == "\x00":
        return "contains a NUL character"
    if "\ud800" <= char <= "\udfff":
        return "is not valid Unicode text (a lone surrogate)"
    return f"contains a control character (U+{ord(char):04X})"


def first_bad_index(value: str) -> int:
    """Where the first character the rules refuse is in `value` (-1: none)."""
    found = _REFUSED.search(value)
    return found.start() if found else -1


def first_problem(value: Any, path: str = "") -> tuple[str, str] | None:
    """(path, reason) of the first text in a JSON-like document (keys included) that breaks
    the rules, e.g. ("stages[1].name", "contains a NUL character"); None when all is well."""
    if isinstance(value, str):
        problem = text_problem(value)
        return (path or "(the document)", problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if problem := text_problem(str(key)):
                return (f"{path or '(the document)'}: a key", problem)
            if found := first_problem(item, where):
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            if found := first_problem(item, f"{path}[{i}]"):
                return found
    return None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str):
                yield item


def check_field_value(value: Any) -> None:
    """Raise ValidationError when a submitted value (one or a list) breaks the rules."""
    from django.core.exceptions import ValidationError

    for text in _strings(value):
        if problem := text_problem(text):
            raise ValidationError(f"This value {problem}.", code="bad_text")


class TextRulesMixin:
    """Apply the rules to every field of a form, before the field's own cleaning (so that a
    choice looked up in the database never sends it a NUL). Put it first in the bases:
    ``class JourneyForm(TextRulesMixin, forms.ModelForm)``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _guard(field)


def _guard(field: forms.Field) -> None:
    from django import forms

    # A password is never stored or shown, and one set before these rules must still log in.
    if getattr(field, "_text_rules", False) or isinstance(field.widget, forms.PasswordInput):
        return
    original = field.clean

    def clean(value, *args, **kwargs):
        check_field_value(value)
        return original(value, *args, **kwargs)

    field.clean = clean
    field._text_rules = True


class TextRulesMiddleware:
    """Refuse (400) an address whose path or query holds text that breaks the rules: nothing
    in cxaudit is named with a NUL or a control character, and a database look-up of one is a
    server error rather than a "not found"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.core.exceptions import BadRequest

        for text in (request.path_info, *request.GET.keys()):
            if text_problem(text):
                raise BadRequest("The address holds a character no address may hold.")
        for values in request.GET.lists():
            for text in values[1]:
                if text_problem(text):
                    raise BadRequest("The address holds a character no address may hold.")
        return self.get_response(request)
