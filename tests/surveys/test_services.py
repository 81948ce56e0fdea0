"""Recording responses: cleaning, skip logic on the server, idempotency, stored scores."""

import uuid

import pytest

from cxaudit.errors import DomainError, ValidationFailed
from surveys.models import Answer, Response
from surveys.questionnaire.structure import load_structure
from surveys.responses import services
from tests.factories import make_standard, make_survey, make_wave


@pytest.fixture
def standard(org):
    return make_standard(org, "ANS-60", dimension="responsiveness")


@pytest.fixture
def survey(org, standard):
    # Section A: greeting yes/no (1 pt), knock-out "rude?" inverted as a yes/no "polite" (critical)
    # Section B: shown only when called = yes; rating 1-5 worth 4 points, mapped to the standard.
    return make_survey(
        org,
        [
            {
                "title": "Arrival",
                "questions": [
                    {"code": "greet", "type": "yes_no", "required": True, "points": 1},
                    {"code": "polite", "type": "yes_no", "points": 1, "critical": True},
                    {"code": "called", "type": "yes_no", "points": 0},
                    {"code": "comment", "type": "long_text", "points": 0},
                ],
            },
            {
                "title": "Phone",
                "questions": [
                    {
                        "code": "speed",
                        "type": "rating",
                        "points": 4,
                        "config": {"scale_min": 1, "scale_max": 5},
                        "standard": standard,
                        "aspect": "perception",
                        "show_if": {"question": "called", "operator": "equals", "value": True},
                    },
                ],
            },
        ],
    )


@pytest.mark.django_db
def test_record_response_stores_answers_and_score(org, survey, standard, location):
    wave = make_wave(org)
    r = services.record_response(
        survey=survey,
        source="shopper",
        location=location,
        wave=wave,
        raw_answers={
            "greet": "yes",
            "polite": "yes",
            "called": "yes",
            "speed": "4",
            "comment": "<b>ok</b>",
        },
    )
    assert r.status == Response.Status.SUBMITTED and r.submitted_at is not None
    # greet 1/1 + polite 1/1 + speed 4*(4-1)/(5-1)=3/4 -> 5/6 pooled
    assert (r.score_earned, r.score_possible) == (5.0, 6.0)
    assert r.score_percent == pytest.approx(83.3333, abs=1e-3)
    speed = Answer.objects.get(response=r, question__code="speed")
    assert speed.standard == standard and speed.aspect == "perception"
    assert speed.source == "shopper" and speed.wave == wave and speed.location == location
    assert speed.value == 4 and speed.value_num == 4 and speed.value_100 == 75.0
    assert speed.agrees is True
    items = services.explain_response(r).items()
    assert (items["speed"].earned, items["speed"].possible) == (3.0, 4.0)
    assert [s["percent"] for s in r.score_detail["sections"]] == [100.0, 75.0]
    assert Answer.objects.get(response=r, question__code="comment").value == "<b>ok</b>"


@pytest.mark.django_db
def test_answers_to_hidden_questions_are_discarded(survey):
    r = services.record_response(
        survey=survey,
        source="shopper",
        raw_answers={"greet": "yes", "polite": "yes", "called": "no", "speed": "5"},
    )
    assert not r.answers.filter(question__code="speed").exists()
    assert (r.score_earned, r.score_possible) == (2.0, 2.0)


@pytest.mark.django_db
def test_failed_knock_out_zeroes_its_section(survey):
    r = services.record_response(
        survey=survey,
        source="shopper",
        raw_answers={"greet": "yes", "polite": "no", "called": "yes", "speed": "5"},
    )
    # Arrival knocked out (0 of 2), Phone 4/4 -> pooled 4/6
    assert r.knocked_out and r.score_earned == 4.0 and r.score_possible == 6.0


@pytest.mark.django_db
def test_every_bad_answer_is_listed_and_nothing_is_stored(survey):
    with pytest.raises(ValidationFailed) as exc:
        services.record_response(
            survey=survey,
            source="shopper",
            raw_answers={"polite": "maybe", "called": "yes", "speed": "9", "forged": "x"},
        )
    codes = [code for code, _ in exc.value.errors]
    # Unknown fields make one line, however many (tests/security/test_bounds.py).
    assert codes == ["", "greet", "polite", "speed"]
    assert "'forged'" in exc.value.errors[0][1]
    assert not Response.objects.exists() and not Answer.objects.exists()


@pytest.mark.django_db
def test_replaying_a_client_id_returns_the_same_response(survey):
    cid = uuid.uuid4()
    raw = {"greet": "yes", "polite": "yes", "called": "no"}
    first = services.record_response(survey=survey, source="self", raw_answers=raw, client_id=cid)
    again = services.record_response(survey=survey, source="self", raw_answers=raw, client_id=cid)
    assert first.pk == again.pk
    assert Response.objects.count() == 1 and Answer.objects.count() == 3


@pytest.mark.django_db
def test_client_id_of_another_survey_is_refused(org, survey):
    other = make_survey(org, [{"questions": [{"code": "x", "type": "yes_no"}]}], code="s2")
    cid = uuid.uuid4()
    services.record_response(
        survey=survey, source="self", raw_answers={"greet": "y"}, client_id=cid
    )
    with pytest.raises(DomainError):
        services.record_response(survey=other, source="self", raw_answers={}, client_id=cid)


@pytest.mark.django_db
def test_invalid_submit_keeps_the_draft(org, survey):
    draft = Response.objects.create(organization=org, survey=survey, source="self")
    with pytest.raises(ValidationFailed):
        services.submit_response(response=draft, raw_answers={"greet": "", "comment": "long text"})
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.draft["comment"] == "long text"


@pytest.mark.django_db
def test_submit_twice_is_idempotent_and_drafts_close(org, survey):
    draft = Response.objects.create(organization=org, survey=survey, source="self")
    services.save_draft(response=draft, raw_answers={"greet": "yes"})
    one = services.submit_response(response=draft, raw_answers={"greet": "yes"})
    two = services.submit_response(response=draft, raw_answers={"greet": "no"})
    assert one.pk == two.pk and Answer.objects.get(response=one).value is True
    with pytest.raises(DomainError):
        services.save_draft(response=draft, raw_answers={"greet": "no"})


@pytest.mark.django_db
def test_location_of_another_organisation_is_refused(survey, other_location):
    with pytest.raises(DomainError):
        services.record_response(
            survey=survey,
            source="shopper",
            raw_answers={"greet": "yes"},
            location=other_location,
        )


@pytest.mark.django_db
def test_rescore_applies_changed_rules(survey):
    r = services.record_response(
        survey=survey,
        source="shopper",
        raw_answers={"greet": "yes", "polite": "no", "called": "no"},
    )
    assert r.score_earned == 0.0  # the section is knocked out
    survey.critical_scope = "form"
    survey.save()
    structure = load_structure(survey)
    assert services.rescore_responses(responses=[r], structure=structure) == 1
    r.refresh_from_db()
    assert r.knocked_out and r.score_percent == 0.0
    survey.questions.filter(code="polite").update(critical=False)
    services.rescore_responses(responses=[r], structure=load_structure(survey))
    r.refresh_from_db()
    assert (r.score_earned, r.score_possible, r.knocked_out) == (1.0, 2.0, False)
