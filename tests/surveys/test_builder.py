"""Builder services: structure edits, order, validation, publishing and versions."""

from __future__ import annotations

import pytest

from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from surveys.models import Question, Response, Section, Survey
from surveys.questionnaire import services as builder
from surveys.questionnaire.services import QuestionData, SectionData
from surveys.responses import services
from tests.factories import make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(org):
    survey = builder.create_survey(
        organization=org, code="visit", title="Visit", kind="mystery_shop"
    )
    a = builder.add_section(survey=survey, data=SectionData(title="Arrival"))
    b = builder.add_section(survey=survey, data=SectionData(title="Counter"))
    builder.add_question(section=a, data=QuestionData(code="greet", type="yes_no", text="Greeted?"))
    builder.add_question(
        section=a, data=QuestionData(code="clean", type="yes_no_na", text="Clean?")
    )
    builder.add_question(
        section=b,
        data=QuestionData(
            code="polite",
            type="rating",
            text="Polite?",
            points=4,
            config={"scale_min": 1, "scale_max": 5},
            show_if={"question": "greet", "operator": "equals", "value": True},
        ),
    )
    return survey


def codes(survey):
    return [
        (q.section.title, q.code, q.position)
        for q in Question.objects.filter(survey=survey)
        .select_related("section")
        .order_by("section__position", "position")
    ]


def test_create_survey_refuses_a_code_in_use(org, draft):
    with pytest.raises(DomainError) as info:
        builder.create_survey(organization=org, code="VISIT", title="x", kind="customer")
    assert info.value.field == "code"


def test_questions_are_appended_in_order(draft):
    assert codes(draft) == [
        ("Arrival", "greet", 0),
        ("Arrival", "clean", 1),
        ("Counter", "polite", 0),
    ]


@pytest.mark.parametrize(
    ("data", "field", "phrase"),
    [
        (
            dict(type="rating", config={"scale_min": 5, "scale_max": 5}),
            "config.scale_min",
            "less than",
        ),
        (dict(type="single_choice", config={}), "config.options", "at least one option"),
        (dict(code="GREET"), "code", "already has the code"),
        (dict(code="bad code"), "code", "letters"),
        (dict(text=""), "text", "required"),
        (
            dict(show_if={"question": "polite", "operator": "answered"}),
            "show_if.question",
            "comes later",
        ),
        (
            dict(show_if={"question": "zzz", "operator": "answered"}),
            "show_if.question",
            "no question",
        ),
        (
            dict(show_if={"question": "greet", "operator": "equals", "value": "maybe"}),
            "show_if.value",
            "not yes or no",
        ),
        (dict(bonus=True, critical=True), "critical", "bonus"),
    ],
)
def test_invalid_questions_are_refused_naming_the_field(draft, data, field, phrase):
    section = draft.sections.get(title="Arrival")
    fields = {"code": "new", "type": "yes_no", "text": "New?", **data}
    with pytest.raises(ValidationFailed) as info:
        builder.add_question(section=section, data=QuestionData(**fields))
    assert any(p == field and phrase in why for p, why in info.value.errors), info.value.errors
    assert not Question.objects.filter(code="new").exists()


def test_standard_must_belong_to_the_organisation(draft, other_org):
    foreign = make_standard(other_org, "X1")
    section = draft.sections.first()
    with pytest.raises(ValidationFailed):
        builder.add_question(
            section=section, data=QuestionData(code="n", type="yes_no", text="?", standard=foreign)
        )


def test_renaming_a_question_carries_the_code_into_conditions(draft):
    greet = Question.objects.get(survey=draft, code="greet")
    builder.update_question(
        question=greet, data=QuestionData(code="greeted", type="yes_no", text="Greeted?")
    )
    assert Question.objects.get(survey=draft, code="polite").show_if["question"] == "greeted"


def test_a_type_change_that_breaks_a_later_condition_is_refused(draft):
    greet = Question.objects.get(survey=draft, code="greet")
    with pytest.raises(ValidationFailed) as info:
        builder.update_question(
            question=greet, data=QuestionData(code="greet", type="short_text", text="Name?")
        )
    assert any("polite" in where for where, _ in info.value.errors)
    greet.refresh_from_db()
    assert greet.type == "yes_no"


def test_delete_question_refused_while_a_condition_uses_it(draft):
    with pytest.raises(DomainError, match="question polite"):
        builder.delete_question(question=Question.objects.get(survey=draft, code="greet"))
    builder.delete_question(question=Question.objects.get(survey=draft, code="clean"))
    assert codes(draft) == [("Arrival", "greet", 0), ("Counter", "polite", 0)]


def test_delete_section_renumbers_and_is_refused_while_used(draft):
    arrival = draft.sections.get(title="Arrival")
    with pytest.raises(DomainError, match="question polite"):
        builder.delete_section(section=arrival)
    builder.delete_section(section=draft.sections.get(title="Counter"))
    builder.add_section(survey=draft, data=SectionData(title="Exit"))
    assert list(draft.sections.order_by("position").values_list("title", "position")) == [
        ("Arrival", 0),
        ("Exit", 1),
    ]


def _move(code, offset):
    builder.move_question(question=Question.objects.get(code=code), offset=offset)


def test_move_question_within_and_across_sections(draft):
    _move("clean", -1)
    assert codes(draft) == [
        ("Arrival", "clean", 0),
        ("Arrival", "greet", 1),
        ("Counter", "polite", 0),
    ]
    # Down past the end of its section: to the start of the next one.
    _move("greet", 1)
    assert codes(draft) == [
        ("Arrival", "clean", 0),
        ("Counter", "greet", 0),
        ("Counter", "polite", 1),
    ]
    # Up past the start of its section: to the end of the previous one.
    _move("greet", -1)
    assert codes(draft) == [
        ("Arrival", "clean", 0),
        ("Arrival", "greet", 1),
        ("Counter", "polite", 0),
    ]
    # At the very top or bottom nothing happens.
    _move("clean", -1)
    _move("polite", 1)
    assert codes(draft)[0] == ("Arrival", "clean", 0)
    assert codes(draft)[-1] == ("Counter", "polite", 0)


def test_moving_a_question_before_the_one_it_depends_on_is_refused(draft):
    _move("polite", -1)  # to the end of Arrival: still after greet
    _move("polite", -1)  # above clean: still after greet
    assert codes(draft) == [
        ("Arrival", "greet", 0),
        ("Arrival", "polite", 1),
        ("Arrival", "clean", 2),
    ]
    with pytest.raises(ValidationFailed) as info:
        _move("polite", -1)
    assert any("polite" in where for where, _ in info.value.errors)
    assert codes(draft) == [
        ("Arrival", "greet", 0),
        ("Arrival", "polite", 1),
        ("Arrival", "clean", 2),
    ]
    with pytest.raises(ValidationFailed):
        _move("greet", 1)


def test_move_section_refused_when_a_condition_would_look_forward(draft):
    counter = draft.sections.get(title="Counter")
    with pytest.raises(ValidationFailed):
        builder.move_section(section=counter, offset=-1)
    assert list(draft.sections.order_by("position").values_list("title", flat=True)) == [
        "Arrival",
        "Counter",
    ]


def test_section_show_if_only_on_earlier_sections(draft):
    counter = draft.sections.get(title="Counter")
    with pytest.raises(ValidationFailed) as info:
        builder.update_section(
            section=counter,
            data=SectionData(
                title="Counter", show_if={"question": "polite", "operator": "answered"}
            ),
        )
    assert info.value.errors[0][0] == "show_if.question"
    builder.update_section(
        section=counter,
        data=SectionData(title="Counter", show_if={"question": "clean", "operator": "answered"}),
    )


def test_publish_validates_and_archives_the_previous_published_version(org, draft):
    empty = builder.create_survey(organization=org, code="empty", title="E", kind="customer")
    with pytest.raises(ValidationFailed, match="before publishing"):
        builder.publish_survey(survey=empty)
    v1 = builder.publish_survey(survey=draft)
    assert v1.status == "published" and v1.published_at
    v2 = builder.start_new_version(survey=v1)
    assert (v2.code, v2.version, v2.status) == ("visit", 2, "draft")
    builder.publish_survey(survey=v2)
    v1.refresh_from_db()
    assert v1.status == "archived"


def test_publish_names_each_problem(org, draft):
    # A problem that slipped in without the builder (e.g. an old row): publishing finds it.
    Question.objects.filter(survey=draft, code="polite").update(config={"scale_min": 9})
    with pytest.raises(ValidationFailed) as info:
        builder.publish_survey(survey=draft)
    assert any(
        "question polite" in where and "scale_min" in where for where, _ in info.value.errors
    ), info.value.errors


def test_published_version_is_frozen(draft):
    builder.publish_survey(survey=draft)
    section = draft.sections.first()
    for call in (
        lambda: builder.add_section(survey=draft, data=SectionData(title="X")),
        lambda: builder.add_question(
            section=section, data=QuestionData(code="x", type="yes_no", text="?")
        ),
        lambda: builder.delete_question(question=Question.objects.get(code="clean")),
        lambda: builder.move_section(section=section, offset=1),
        lambda: builder.update_survey_settings(survey=draft, title="New"),
    ):
        with pytest.raises(InvalidTransition, match="published"):
            call()


def test_published_without_responses_returns_to_draft(draft):
    builder.publish_survey(survey=draft)
    survey = builder.return_to_draft(survey=draft)
    assert survey.status == "draft"
    builder.update_survey_settings(survey=survey, title="Renamed")
    assert Survey.objects.get(pk=draft.pk).title == "Renamed"


def test_version_with_responses_is_never_edited_and_responses_keep_it(draft):
    builder.publish_survey(survey=draft)
    response = services.record_response(
        survey=draft, source="shopper", raw_answers={"greet": "yes", "clean": "na", "polite": 4}
    )
    with pytest.raises(InvalidTransition, match="has responses"):
        builder.return_to_draft(survey=draft)
    with pytest.raises(InvalidTransition, match="has responses"):
        builder.add_section(survey=draft, data=SectionData(title="X"))
    with pytest.raises(InvalidTransition, match="has responses"):
        builder.update_question(
            question=Question.objects.get(survey=draft, code="greet"),
            data=QuestionData(code="greet", type="yes_no", text="Changed"),
        )
    v2 = builder.start_new_version(survey=draft)
    polite_v2 = Question.objects.get(survey=v2, code="polite")
    builder.update_question(
        question=polite_v2,
        data=QuestionData(code="polite", type="rating", text="How polite?", points=2),
    )
    builder.publish_survey(survey=v2)
    response.refresh_from_db()
    assert response.survey_id == draft.pk
    assert Question.objects.get(survey=draft, code="polite").text == "Polite?"
    assert Response.objects.get(pk=response.pk).answers.filter(question__survey=draft).count() == 3


def test_new_version_copies_everything(org, draft):
    std = make_standard(org, "S1")
    q = Question.objects.get(survey=draft, code="clean")
    builder.update_question(
        question=q,
        data=QuestionData(
            code="clean", type="yes_no_na", text="Clean?", standard=std, aspect="perception"
        ),
    )
    builder.update_section(
        section=draft.sections.get(title="Counter"),
        data=SectionData(
            title="Counter", weight=2, show_if={"question": "clean", "operator": "answered"}
        ),
    )
    builder.publish_survey(survey=draft)
    v2 = builder.start_new_version(survey=draft)
    from surveys.questionnaire.definition import survey_to_definition

    assert survey_to_definition(v2) == survey_to_definition(draft)
    with pytest.raises(InvalidTransition, match="already a draft"):
        builder.start_new_version(survey=draft)
    assert builder.draft_of(draft) == v2


def test_archive(draft):
    builder.archive_survey(survey=draft)
    with pytest.raises(InvalidTransition, match="archived"):
        builder.add_section(survey=draft, data=SectionData(title="X"))
    assert builder.start_new_version(survey=draft).version == 2


def test_section_positions_have_no_gaps_after_moves(draft):
    third = builder.add_section(survey=draft, data=SectionData(title="Exit"))
    builder.move_section(section=third, offset=-1)
    assert list(
        Section.objects.filter(survey=draft).order_by("position").values_list("title", "position")
    ) == [
        ("Arrival", 0),
        ("Exit", 1),
        ("Counter", 2),
    ]
