"""Customers' perception - expectation pairs, stored on the answers (Answer.pair_diff_100).

Hand-computed: ratings on 1-5 map to 0-100 as (v - 1) * 25, so perception 4 = 75 and
expectation 5 = 100 give -25; the mean of perceptions 4 and 2 (75, 25 -> 50) minus the mean
of expectations 3 and 5 (50, 100 -> 75) gives -25 as well.
"""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import connection

from cxaudit.accounts import demo as accounts_demo
from cxaudit.insights.demo import seed_demo
from cxaudit.journeys import demo as journeys_demo
from surveys.models import Answer, Survey
from surveys.responses.services import mark_pairs, record_response
from tests.factories import make_standard, make_survey, make_wave

pytestmark = pytest.mark.django_db

BACKFILL = import_module("surveys.migrations.0008_answer_pair_diff").BACKFILL


def _rating(code, standard, aspect):
    return {
        "code": code,
        "type": "rating",
        "standard": standard,
        "aspect": aspect,
        "config": {"scale_min": 1, "scale_max": 5},
    }


@pytest.fixture
def setup(org, location):
    wave = make_wave(org)
    a = make_standard(org, "A")
    b = make_standard(org, "B", touchpoint=a.touchpoint, position=1)
    questions = [
        _rating("a_p", a, "perception"),
        _rating("a_e", a, "expectation"),
        _rating("b_p1", b, "perception"),
        _rating("b_p2", b, "perception"),
        _rating("b_e1", b, "expectation"),
        _rating("b_e2", b, "expectation"),
        {"code": "nps", "type": "nps"},
    ]
    customer = make_survey(org, [{"questions": questions}], code="cust", kind=Survey.Kind.CUSTOMER)
    own = make_survey(
        org,
        [{"questions": [_rating("s_p", a, "perception"), _rating("s_e", a, "expectation")]}],
        code="self",
        kind=Survey.Kind.SELF_ASSESSMENT,
    )
    return {"org": org, "wave": wave, "loc": location, "a": a, "b": b, "cust": customer, "own": own}


def _record(setup, survey, answers):
    return record_response(
        survey=setup[survey],
        source={"cust": "customer", "own": "self"}[survey],
        raw_answers=answers,
        wave=setup["wave"],
        location=setup["loc"],
    )


def _pairs(**filters):
    """{(response, question code): pair_diff_100} of the answers that carry a pair."""
    return {
        (a.response_id, a.question.code): a.pair_diff_100
        for a in Answer.objects.filter(pair_diff_100__isnull=False, **filters).select_related(
            "question"
        )
    }


def test_submission_stores_one_pair_per_standard_on_its_first_expectation(setup):
    response = _record(
        setup,
        "cust",
        {"a_p": 4, "a_e": 5, "b_p1": 4, "b_p2": 2, "b_e1": 3, "b_e2": 5, "nps": 9},
    )
    assert _pairs() == {(response.pk, "a_e"): -25.0, (response.pk, "b_e1"): -25.0}


def test_the_first_expectation_with_a_value_carries_the_pair(setup):
    response = _record(setup, "cust", {"b_p1": 5, "b_e2": 3})
    assert _pairs() == {(response.pk, "b_e2"): 50.0}


def test_a_blank_aspect_counts_as_perception(setup, org):
    standard = setup["a"]
    survey = make_survey(
        org,
        [
            {
                "questions": [
                    _rating("p", standard, ""),
                    _rating("e", standard, "expectation"),
                ]
            }
        ],
        code="blank",
        kind=Survey.Kind.CUSTOMER,
    )
    response = record_response(
        survey=survey,
        source="customer",
        raw_answers={"p": 2, "e": 4},
        wave=setup["wave"],
        location=setup["loc"],
    )
    assert _pairs() == {(response.pk, "e"): -50.0}
    Answer.objects.update(pair_diff_100=None)
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL)
    assert _pairs() == {(response.pk, "e"): -50.0}


def test_one_aspect_alone_makes_no_pair_and_self_assessments_none(setup):
    _record(setup, "cust", {"a_p": 4, "b_e1": 5})
    _record(setup, "own", {"s_p": 5, "s_e": 4})
    assert _pairs() == {}


def test_mark_pairs_skips_answers_without_a_value_and_other_sources(setup):
    response = _record(setup, "cust", {"a_p": 2, "a_e": 4, "b_p1": 5})
    answers = list(Answer.objects.filter(response=response).select_related("question"))
    assert [a.question.code for a in answers if a.pair_diff_100 is not None] == ["a_e"]
    # An answer without a 0-100 value (N/A, text) counts for neither side.
    for answer in answers:
        if answer.question.code == "a_e":
            answer.value_100 = None
    mark_pairs(answers)
    assert all(a.pair_diff_100 is None for a in answers)
    for answer in answers:
        answer.value_100 = 50.0
        answer.source = "shopper"
    mark_pairs(answers)
    assert all(a.pair_diff_100 is None for a in answers)


def test_csv_import_stores_pairs(setup):
    from django.core.files.base import ContentFile

    from surveys.imports.services import create_import, run_import

    where = f"{setup['loc'].code},{setup['wave'].name}"
    text = (
        "source,location,wave,submitted_at,a_p,a_e,b_p1,b_e1\n"
        f"customer,{where},2026-08-01T10:00:00Z,4,5,2,2\n"
        f"customer,{where},2026-08-01T11:00:00Z,5,5,,3\n"
    )
    imp = create_import(
        organization=setup["org"],
        survey_code="cust",
        uploaded_by=None,
        file=ContentFile(text.encode(), name="r.csv"),
        enqueue=False,
    )
    assert run_import(import_id=imp.pk).status == "succeeded"
    assert sorted((code, diff) for (_, code), diff in _pairs().items()) == [
        ("a_e", -25.0),
        ("a_e", 0.0),
        ("b_e1", 0.0),
    ]


def _stored_pairs(org):
    return sorted(
        (a.pk, round(a.pair_diff_100, 9))
        for a in Answer.objects.for_org(org).filter(pair_diff_100__isnull=False)
    )


def test_migration_backfill_matches_what_submission_stores():
    """The demo seed stores pairs through the bulk path; the migration's SQL, run over the
    same answers, puts exactly those pairs on exactly those answers."""
    org, _ = accounts_demo.seed()
    journeys_demo.seed_demo(org)
    seed_demo(org)
    stored = _stored_pairs(org)
    assert len(stored) > 100
    Answer.objects.update(pair_diff_100=None)
    with connection.cursor() as cursor:
        cursor.execute(BACKFILL)
    assert _stored_pairs(org) == stored
