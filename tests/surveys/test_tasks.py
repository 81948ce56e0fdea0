"""The re-scoring task: called directly, twice, and on a real worker."""

import pytest

from surveys.models import Response
from surveys.questionnaire import services as questionnaire
from surveys.questionnaire.structure import load_structure
from surveys.responses import services
from surveys.responses.tasks import rescore_survey
from tests.conftest import wait_for
from tests.factories import make_survey, make_wave

FIELDS = ["score_earned", "score_possible", "score_percent", "knocked_out", "score_detail"]


def build(org):
    survey = make_survey(
        org,
        [
            {
                "title": "Visit",
                "questions": [
                    {"code": "greet", "type": "yes_no_na", "points": 1},
                    {"code": "polite", "type": "yes_no", "points": 2, "critical": True},
                    {"code": "nps", "type": "nps", "points": 1},
                ],
            }
        ],
    )
    answers = [
        {"greet": "NA", "polite": "no", "nps": 7},
        {"greet": "yes", "polite": "yes", "nps": 3},
        {"greet": "no", "polite": "yes"},
    ]
    responses = [
        services.record_response(survey=survey, source="shopper", raw_answers=a) for a in answers
    ]
    return survey, responses


def snapshot(responses):
    rows = Response.objects.filter(pk__in=[r.pk for r in responses]).order_by("pk")
    return [({f: getattr(r, f) for f in FIELDS}, r.scored_at) for r in rows]


def reference(survey, responses):
    structure = load_structure(survey)
    return [services.stored_score(services.explain_response(r, structure)) for r in responses]


@pytest.mark.django_db
def test_task_rescores_under_the_current_rules_and_twice_changes_nothing(org):
    survey, responses = build(org)
    survey.na_policy, survey.critical_scope = "count_as_fail", "form"
    survey.save()
    assert rescore_survey.apply(args=[survey.pk]).get() == 3
    first = snapshot(responses)
    assert [fields for fields, _ in first] == reference(survey, responses)
    assert rescore_survey.apply(args=[survey.pk]).get() == 3
    assert snapshot(responses) == first  # same scores, and scored_at untouched


@pytest.mark.django_db
def test_task_for_a_missing_survey_or_wave_does_nothing(org, other_org):
    survey, _ = build(org)
    assert rescore_survey.apply(args=[10**9]).get() == 0
    foreign_wave = make_wave(other_org)
    assert rescore_survey.apply(args=[survey.pk, foreign_wave.pk]).get() == 0


@pytest.mark.worker
def test_rule_change_is_rescored_by_a_real_worker(celery_worker, org, program_admin):
    survey, responses = build(org)
    before = snapshot(responses)
    request = questionnaire.change_scoring_rules(
        survey=survey, actor=program_admin, na_policy="count_as_pass", critical_scope="form"
    )
    assert request.changed == ("na_policy", "critical_scope")
    expected = reference(survey, responses)
    assert [fields for fields, _ in before] != expected
    wait_for(lambda: [fields for fields, _ in snapshot(responses)] == expected, timeout=30)
