"""The respondent's language: which one a request speaks, and the form engine's error messages
in it.

The answer-cleaning core (surveys/cleaning.py) stays plain Python and writes its messages in
English; the customer's pages show them through this table, one translated message per kind of
problem (the value the customer typed is on the page already). `tests/outreach/test_i18n.py`
makes every message the core can produce for a question type and checks that each has its
translation, so a new message in the core cannot reach a French customer in English unnoticed.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

SUPPORTED = ("en", "fr")

_RANGE = re.compile(r"^out of range (-?\d+)\u2013(-?\d+)")
_TOO_LONG = re.compile(r"^too long \(max (\d+) characters, got (\d+)\)")

# (message start, translation) — the first match wins; {lo}, {hi}, {max}, {got} from the text.
_MESSAGES: list[tuple[str, object]] = [
    ("an answer is required", gettext_lazy("An answer is required.")),
    ("required:", gettext_lazy("An answer is required.")),
    ("N/A is not allowed", gettext_lazy("“Not applicable” is not an answer to this question.")),
    ("N/A cannot be ticked", gettext_lazy("Untick “Not applicable” to choose options.")),
    ("not yes or no", gettext_lazy("Choose yes or no.")),
    ("not a whole number", gettext_lazy("Enter a whole number.")),
    ("not a finite number", gettext_lazy("Enter a number.")),
    ("not a number", gettext_lazy("Enter a number, with “.” before any decimals.")),
    ("out of range", gettext_lazy("Choose a value from %(lo)s to %(hi)s.")),
    ("too long a duration", gettext_lazy("Enter a shorter duration.")),
    ("not a duration", gettext_lazy("Enter seconds, or minutes:seconds such as 2:30.")),
    ("a duration cannot be negative", gettext_lazy("A duration cannot be negative.")),
    ("unknown option", gettext_lazy("Choose one of the options shown.")),
    ("choose one option", gettext_lazy("Choose only one option.")),
    ("expected one answer", gettext_lazy("Give only one answer.")),
    ("too long (max", gettext_lazy("Shorten your answer to %(max)s characters (it has %(got)s).")),
    ("not an ISO 8601", gettext_lazy("Enter a date and time.")),
    ("contains a NUL", gettext_lazy("Remove the unusual characters from your answer.")),
    ("the uploaded file was not found", gettext_lazy("Upload the file again.")),
    ("The file is too large", gettext_lazy("The file is too large.")),
    ("The file is empty", gettext_lazy("The file is empty.")),
    ("The PDF file is damaged", gettext_lazy("The file is damaged.")),
    ("The image", gettext_lazy("The image cannot be used; try another photo.")),
    ("This form was already submitted", gettext_lazy("Your answers were already sent.")),
]
FALLBACK = gettext_lazy("This answer cannot be accepted; check it and try again.")


def language_of(code: str | None) -> str:
    """A supported language for `code` (the contact's or campaign's); English otherwise."""
    code = (code or "").lower().split("-")[0]
    return code if code in SUPPORTED else "en"


def browser_language(request) -> str:
    """For pages that know no invitation (an unknown link): the browser's preference."""
    return language_of(translation.get_language_from_request(request))


def message(text: str) -> str:
    """A form engine message in the active language (English messages are kept as written)."""
    if (translation.get_language() or settings.LANGUAGE_CODE).startswith("en"):
        return text
    for start, translated in _MESSAGES:
        if text.startswith(start):
            params = {}
            if found := _RANGE.match(text):
                params = {"lo": found.group(1), "hi": found.group(2)}
            elif found := _TOO_LONG.match(text):
                params = {"max": found.group(1), "got": found.group(2)}
            return str(translated) % params if params else str(translated)
    return str(FALLBACK)


def messages(errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(code, message(text)) for code, text in errors]


def engine_messages() -> dict[str, str]:
    """The words survey-form.js shows (progress, saving, uploads), in the active language."""
    return {
        "section_of": gettext("Section %(current)s of %(total)s"),
        "saved_at": gettext("Saved at %(time)s"),
        "not_saved": gettext("Not saved: %(list)s. Retype that answer; the rest is saved."),
        "not_saved_session": gettext("Not saved on the server yet (your session ended)."),
        "save_failed": gettext(
            "Your answers could not be saved on the server just now; they are kept in this "
            "page and retried shortly."
        ),
        "offline": gettext(
            "Offline? Your answers are kept in this browser and saved when the connection is back."
        ),
        "session_ended": gettext(
            "Your session has ended, so your latest answers are not saved on the server yet. "
            "They are kept in this page and this browser:"
        ),
        "session_link": gettext("open the link from your email again in a new tab"),
        "session_after": gettext(", then come back here — saving resumes by itself."),
        "too_large": gettext("This file is too large: the limit is %(mb)s MB."),
        "uploading": gettext("Uploading %(name)s…"),
        "not_uploaded": gettext("Not uploaded: open your link again, then choose the file again."),
        "upload_failed": gettext("The file could not be uploaded."),
        "attached": gettext("Attached: %(name)s (%(kb)s KB)"),
        "upload_lost": gettext("The upload failed (connection?). Choose the file again to retry."),
        "submitting": gettext("Submitting…"),
        "submit": gettext("Submit"),
    }
