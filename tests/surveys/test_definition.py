"""The survey definition JSON: lossless round trip, validation naming the path, bad files."""

from __future__ import annotations

import json

import pytest

from cxaudit.errors import ValidationFailed
from surveys.models import Question, Survey
from surveys.question_types import QuestionType
from surveys.questionnaire import definition
from tests.factories import make_survey
from tests.surveys.definition_example import example, example_standards

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(org):
    example_standards(org)
    return example()


def _errors(org, data) -> list[tuple[str, str]]:
    with pytest.raises(ValidationFailed) as info:
        definition.import_definition(organization=org, data=data)
    return info.value.errors


def test_documented_example_round_trips_losslessly(org, doc):
    survey = definition.import_definition(organization=org, data=json.dumps(doc))
    assert definition.survey_to_definition(survey) == doc
    # And byte for byte from then on.
    text = definition.export_json(survey)
    again = definition.import_definition(organization=org, data=text.encode())
    assert definition.export_json(again) == text


def test_documented_example_covers_every_question_type_and_setting(doc):
    questions = [q for s in doc["sections"] for q in s["questions"]]
    assert {q["type"] for q in questions} == set(QuestionType)
    config_keys = {k for q in questions for k in q["config"]}
    assert config_keys == set(definition.export.CONFIG_KEYS)
    operators = {c["operator"] for c in _conditions(doc)}
    assert {"lt", "in", "answered", "not_equals"} <= operators
    assert any(q["bonus"] for q in questions) and any(q["critical"] for q in questions)
    # A mystery shop's questions are observations: no expectation aspect (docs/formats.md).
    assert doc["kind"] == "mystery_shop"
    assert {q["aspect"] for q in questions} == {None, "perception"}


def _conditions(doc):
    for s in doc["sections"]:
        if s["show_if"]:
            yield s["show_if"]
        for q in s["questions"]:
            if q["show_if"]:
                yield q["show_if"]


def test_import_stores_what_the_file_says(org, doc):
    survey = definition.import_definition(organization=org, data=doc)
    assert (survey.code, survey.version, survey.status) == ("station-visit", 1, "draft")
    q = Question.objects.get(survey=survey, code="fare_offer")
    assert q.config["options"][0] == {
        "value": "unprompted",
        "label": "Yes, without being asked",
        "points": 3,
    }
    assert q.spec().options[0].points == 3.0
    assert Question.objects.get(survey=survey, code="queue_wait").standard.code == "QUEUE-5MIN"
    assert [s.title for s in survey.sections.order_by("position")] == [
        "Arrival",
        "At the counter",
        "Overall impression",
    ]
    assert str(survey.sections.get(position=1).weight) == "2.500"


def test_importing_an_existing_code_creates_the_next_draft_version(org, doc):
    first = definition.import_definition(organization=org, data=doc)
    first.status = Survey.Status.PUBLISHED
    first.save()
    second = definition.import_definition(organization=org, data=doc)
    assert (second.code, second.version, second.status) == ("station-visit", 2, "draft")
    first.refresh_from_db()
    assert first.status == "published"


def test_export_of_a_builder_survey_imports_back_equal(org):
    survey = make_survey(
        org,
        [
            {
                "title": "A",
                "weight": 1.25,
                "questions": [
                    {"code": "q1", "type": "yes_no", "points": 2.5},
                    {
                        "code": "q2",
                        "type": "rating",
                        "config": {"scale_min": 0, "scale_max": 10, "min_label": "lo"},
                        "show_if": {"question": "q1", "operator": "equals", "value": True},
                    },
                ],
            }
        ],
    )
    doc = definition.survey_to_definition(survey)
    copy = definition.import_definition(organization=org, data=doc)
    assert definition.survey_to_definition(copy) == doc
    assert doc["sections"][0]["weight"] == 1.25
    assert doc["sections"][0]["questions"][0]["points"] == 2.5


def _q(doc, s, i):
    return doc["sections"][s]["questions"][i]


# Each case: (change the example, the expected path, a phrase of the reason).
CASES = [
    ("bad survey code", lambda d: d.update(code="my survey"), "code", "letters, digits"),
    ("missing kind", lambda d: d.pop("kind"), "kind", "required"),
    ("unknown kind", lambda d: d.update(kind="quiz"), "kind", "must be one of"),
    ("wrong format", lambda d: d.update(format="other"), "format", "cxaudit.survey"),
    ("future version", lambda d: d.update(format_version=2), "format_version", "version 1"),
    ("unknown top key", lambda d: d.update(extra=1), "extra", "unknown field"),
    (
        "scale min >= max",
        lambda d: _q(d, 1, 1)["config"].update(scale_min=7, scale_max=7),
        "sections[1].questions[1].config.scale_min",
        "less than scale_max",
    ),
    (
        "scale on a yes/no",
        lambda d: _q(d, 1, 0)["config"].update(scale_max=3),
        "sections[1].questions[0].config.scale_max",
        "only rating",
    ),
    (
        "fixed scale changed",
        lambda d: _q(d, 2, 0)["config"].update(scale_max=5),
        "sections[2].questions[0].config.scale_max",
        "always 0",
    ),
    (
        "choice without options",
        lambda d: _q(d, 1, 3)["config"].pop("options"),
        "sections[1].questions[3].config.options",
        "at least one option",
    ),
    (
        "duplicate option value",
        lambda d: _q(d, 1, 3)["config"]["options"][1].update(value="UNPROMPTED"),
        "sections[1].questions[3].config.options[1].value",
        "duplicate option",
    ),
    (
        "option value NA",
        lambda d: _q(d, 1, 3)["config"]["options"][2].update(value="NA"),
        "sections[1].questions[3].config.options[2].value",
        "reserved for N/A",
    ),
    (
        "negative option points",
        lambda d: _q(d, 1, 3)["config"]["options"][0].update(points=-1),
        "sections[1].questions[3].config.options[0].points",
        "number from 0",
    ),
    (
        "duplicate question code (other case)",
        lambda d: _q(d, 1, 1).update(code="VISIT_AT"),
        "sections[1].questions[1].code",
        "duplicate question code",
    ),
    (
        "show-if on a later question",
        lambda d: _q(d, 0, 0).update(
            show_if={"question": "greeted", "operator": "equals", "value": True}
        ),
        "sections[0].questions[0].show_if.question",
        "comes later",
    ),
    (
        "show-if on itself",
        lambda d: _q(d, 0, 1).update(show_if={"question": "queue_wait", "operator": "answered"}),
        "sections[0].questions[1].show_if.question",
        "its own answer",
    ),
    (
        "show-if on an unknown question",
        lambda d: _q(d, 1, 2)["show_if"].update(question="nope"),
        "sections[1].questions[2].show_if.question",
        "no question 'nope'",
    ),
    (
        "section show-if on its own question",
        lambda d: d["sections"][1].update(show_if={"question": "greeted", "operator": "answered"}),
        "sections[1].show_if.question",
        "earlier section",
    ),
    (
        "show-if value out of range",
        lambda d: _q(d, 1, 2)["show_if"].update(value=9),
        "sections[1].questions[2].show_if.value",
        "out of range",
    ),
    (
        "show-if value not an option",
        lambda d: d["sections"][2]["show_if"].update(value=["maybe"]),
        "sections[2].show_if.value",
        "unknown option",
    ),
    (
        "show-if yes/no value",
        lambda d: _q(d, 1, 6).update(
            show_if={"question": "greeted", "operator": "equals", "value": "perhaps"}
        ),
        "sections[1].questions[6].show_if.value",
        "not yes or no",
    ),
    (
        "show-if gt on text",
        lambda d: _q(d, 1, 6).update(
            show_if={"question": "visit_at", "operator": "gt", "value": 1}
        ),
        "sections[1].questions[6].show_if.operator",
        "numeric question",
    ),
    (
        "show-if in without list",
        lambda d: d["sections"][2]["show_if"].update(value="asked"),
        "sections[2].show_if.value",
        "non-empty list",
    ),
    (
        "show-if unknown operator",
        lambda d: _q(d, 1, 2)["show_if"].update(operator="like"),
        "sections[1].questions[2].show_if.operator",
        "must be one of",
    ),
    (
        "answered with a value",
        lambda d: _q(d, 1, 6)["show_if"].update(value=True),
        "sections[1].questions[6].show_if.value",
        "needs no value",
    ),
    (
        "unknown standard",
        lambda d: _q(d, 0, 1).update(standard="NOPE"),
        "sections[0].questions[1].standard",
        "unknown standard",
    ),
    (
        "position field",
        lambda d: _q(d, 0, 1).update(position=3),
        "sections[0].questions[1].position",
        "order of the list",
    ),
    (
        "bonus and critical",
        lambda d: _q(d, 1, 0).update(bonus=True),
        "sections[1].questions[0].critical",
        "bonus question cannot",
    ),
    (
        "critical unscored",
        lambda d: _q(d, 1, 7).update(critical=True),
        "sections[1].questions[7].critical",
        "scores no points",
    ),
    (
        "target without unit",
        lambda d: _q(d, 0, 2)["config"].pop("unit"),
        "sections[0].questions[2].config.unit",
        "needs a unit",
    ),
    (
        "comparator alone",
        lambda d: _q(d, 0, 1)["config"].pop("target_value"),
        "sections[0].questions[1].config.target_value",
        "required when",
    ),
    (
        "weight negative",
        lambda d: d["sections"][0].update(weight=-1),
        "sections[0].weight",
        "between 0",
    ),
    (
        "points text",
        lambda d: _q(d, 0, 1).update(points="2"),
        "sections[0].questions[1].points",
        "number",
    ),
    (
        "required not boolean",
        lambda d: _q(d, 0, 1).update(required="yes"),
        "sections[0].questions[1].required",
        "true or false",
    ),
    (
        "unknown type",
        lambda d: _q(d, 0, 1).update(type="slider"),
        "sections[0].questions[1].type",
        "unknown question type",
    ),
    (
        "empty text",
        lambda d: _q(d, 0, 1).update(text="  "),
        "sections[0].questions[1].text",
        "required",
    ),
    (
        "title too long",
        lambda d: d.update(title="x" * 201),
        "title",
        "too long",
    ),
    ("sections not a list", lambda d: d.update(sections={}), "sections", "must be a list"),
]


@pytest.mark.parametrize(
    ("change", "path", "phrase"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_invalid_definition_is_rejected_naming_the_path(org, doc, change, path, phrase):
    change(doc)
    errors = _errors(org, doc)
    assert any(p == path and phrase in why for p, why in errors), errors
    assert not Survey.objects.exists()


def test_every_problem_is_listed_at_once(org, doc):
    doc.update(kind="quiz")
    _q(doc, 1, 1)["config"].update(scale_min=9)
    _q(doc, 1, 3)["config"].pop("options")
    paths = {p for p, _ in _errors(org, doc)}
    assert {
        "kind",
        "sections[1].questions[1].config.scale_min",
        "sections[1].questions[3].config.options",
    } <= paths


@pytest.mark.parametrize(
    ("raw", "phrase"),
    [
        (b"", "empty"),
        (b"{", "not valid JSON"),
        (b'{"code": "a", "code": "b"}', "duplicate key 'code'"),
        (b'{"x": NaN}', "NaN is not a JSON number"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 50 + b"]" * 50, "nested more than"),
        (b"[]", "must be an object"),
        (b'"text"', "must be an object"),
    ],
)
def test_malformed_files_are_rejected(org, raw, phrase):
    errors = _errors(org, raw)
    assert any(phrase in why for _, why in errors), errors


def test_oversize_file_is_rejected_before_parsing(org, doc):
    doc["description"] = "x" * (definition.MAX_BYTES + 1)
    errors = _errors(org, json.dumps(doc))
    assert errors == [("file", errors[0][1])] and "limit is 2 MB" in errors[0][1]


def test_too_many_questions_is_rejected(org, doc):
    q = _q(doc, 0, 3)
    doc["sections"][0]["questions"] = [dict(q, code=f"q{i}") for i in range(1001)]
    assert ("sections", "too many questions (1012; the limit is 1000)") in _errors(org, doc)


def test_script_in_question_text_is_stored_as_text(org, doc):
    _q(doc, 0, 0)["text"] = "<script>alert(1)</script>"
    survey = definition.import_definition(organization=org, data=doc)
    assert survey.questions.get(code="visit_at").text == "<script>alert(1)</script>"


def test_standards_of_another_organisation_are_unknown(org, other_org):
    example_standards(other_org)
    errors = _errors(org, example())
    assert "sections[0].questions[1].standard" in {p for p, _ in errors}


def test_text_max_length_is_validated_and_enforced(org, doc):
    from surveys.cleaning import clean_answer
    from surveys.question_types import AnswerError

    _q(doc, 1, 6)["config"]["max_length"] = 256
    _q(doc, 1, 5)["config"]["max_length"] = 10
    errors = _errors(org, doc)
    assert (
        "sections[1].questions[6].config.max_length",
        "must be a whole number from 1 to 255",
    ) in errors
    assert any(p == "sections[1].questions[5].config.max_length" for p, _ in errors)
    doc = example()
    survey = definition.import_definition(organization=org, data=doc)
    spec = survey.questions.get(code="agent_name").spec()
    assert clean_answer(spec, "x" * 60).value == "x" * 60
    with pytest.raises(AnswerError, match="max 60"):
        clean_answer(spec, "x" * 61)
