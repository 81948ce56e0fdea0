"""The customers' pages in English and French: the catalogue is complete, its compiled .mo is
the one committed, every word marked in the respondent's templates and modules is translated,
and every message the answer-cleaning core can produce reaches a French customer in French."""

from __future__ import annotations

import ast
import gettext
import re
import subprocess
import sys

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from django.utils import translation
from django.utils.translation.template import templatize

from surveys.cleaning import clean_answer
from surveys.outreach import i18n
from surveys.question_types import AnswerError, Option, QuestionSpec
from surveys.responses.services import clean_submission
from tests.conftest import ROOT

CALL = re.compile(r"""\b(?:n|p)?gettext\(\s*(u?(?:'(?:[^'\\]|\\.)*')|(?:"(?:[^"\\]|\\.)*"))""")
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "gettext_noop": None,
}
# What a customer's pages and emails show: the form engine, the outreach pages, the layout.
TEMPLATES = [
    "templates/base.html",
    "templates/surveys/respond/form.html",
    "templates/surveys/respond/_question.html",
    "templates/surveys/respond/_required.html",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates/surveys/outreach").glob("*.html")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "templates/emails/outreach").glob("body.*")),
]
MODULES = ["surveys/outreach/i18n.py", "surveys/outreach/emails.py", "surveys/responses/forms.py"]


def catalogue():
    with PO.open("rb") as handle:
        return read_po(handle, locale="fr")


def marked_strings() -> set[str]:
    found: set[str] = set()
    for name in TEMPLATES:
        # What makemessages hands to xgettext: the template as gettext() calls.
        code = templatize((ROOT / name).read_text(), origin=name)
        for literal in CALL.findall(code):
            found.add(ast.literal_eval(literal))
    for name in MODULES:
        for _, message, _, _ in extract_from_file("python", ROOT / name, keywords=KEYWORDS):
            found.add(message[0] if isinstance(message, tuple) else message)
    return {m for m in found if m}


def test_every_french_message_is_translated_and_none_is_fuzzy():
    cat = catalogue()
    missing = [m.id for m in cat if m.id and (not m.string or m.fuzzy)]
    assert not missing, missing
    assert len(cat) > 100


def test_every_word_marked_for_the_respondent_is_in_the_catalogue():
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue() if m.id}
    marked = marked_strings()
    assert len(marked) > 100  # the extraction itself works
    assert not marked - known, "run makemessages -l fr, translate, scripts/messages.py"


def test_the_committed_mo_is_compiled_from_the_po():
    done = subprocess.run(
        [sys.executable, "scripts/messages.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stdout.decode()
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.gettext("Submit") == "Envoyer"


@pytest.mark.parametrize(
    ("spec", "values"),
    [
        (QuestionSpec("q", "yes_no"), ["maybe", "NA", ["yes", "no"]]),
        (QuestionSpec("q", "rating"), ["9", "x", "2.5", "nan", "1,5", "inf"]),
        (QuestionSpec("q", "nps"), ["11", "-1"]),
        (QuestionSpec("q", "csat"), ["0"]),
        (QuestionSpec("q", "ces"), ["8"]),
        (QuestionSpec("q", "number"), ["abc", "1e400"]),
        (QuestionSpec("q", "duration"), ["-5", "1:2:3:4", "x:y", "9" * 400 + ":00"]),
        (QuestionSpec("q", "datetime"), ["yesterday"]),
        (QuestionSpec("q", "short_text"), ["x" * 300, "a\x00b"]),
        (QuestionSpec("q", "long_text", max_length=10), ["x" * 11]),
        (
            QuestionSpec("q", "single_choice", options=(Option("a", "A"), Option("b", "B"))),
            ["c", ["a", "b"]],
        ),
        (
            QuestionSpec("q", "multi_choice", options=(Option("a", "A"), Option("b", "B"))),
            ["z", ["a", "NA"]],
        ),
        (QuestionSpec("q", "file"), ["../x", "/etc/passwd"]),
    ],
)
def test_every_answer_error_reaches_a_french_customer_in_french(spec, values):
    for value in values:
        with pytest.raises(AnswerError) as caught:
            clean_answer(spec, value)
        with translation.override("fr"):
            shown = i18n.message(caught.value.message)
        assert shown != str(i18n.FALLBACK) or "file" in str(spec.type), caught.value.message
        assert shown != caught.value.message


def test_required_and_range_messages_in_french(org):
    from surveys.questionnaire.structure import load_structure
    from tests.outreach.helpers import customer_survey

    structure = load_structure(customer_survey(org))
    from cxaudit.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        clean_submission(structure, {"nps": "12"})
    with translation.override("fr"):
        shown = dict(i18n.messages(caught.value.errors))
    assert shown == {
        "sat": "Une réponse est nécessaire.",
        "nps": "Choisissez une valeur de 0 à 10.",
    }
    with translation.override("en"):
        assert dict(i18n.messages(caught.value.errors))["sat"] == "an answer is required"


def test_supported_languages():
    assert i18n.language_of("fr-CA") == "fr"
    assert i18n.language_of("de") == "en"
    assert i18n.language_of("") == "en"
