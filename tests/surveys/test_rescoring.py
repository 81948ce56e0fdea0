"""Bulk re-scoring stores exactly what the reference path (one response at a time) stores."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.models import Answer, Response, Survey
from surveys.question_types import COMPARATORS, QuestionType
from surveys.questionnaire import services as questionnaire
from surveys.questionnaire.structure import load_structure
from surveys.responses import rescoring, services
from tests.conftest import SentTask
from tests.factories import make_survey, make_wave

T = QuestionType
FIELDS = ["score_earned", "score_possible", "score_percent", "knocked_out", "score_detail"]


def stored(response: Response) -> dict[str, Any]:
    response.refresh_from_db()
    return {f: getattr(response, f) for f in FIELDS}


def expected(response: Response) -> dict[str, Any]:
    """What the reference path stores for this response under the survey's current rules."""
    structure = load_structure(Survey.objects.get(pk=response.survey_id))
    return services.stored_score(services.explain_response(response, structure))


def assert_bulk_matches_reference(survey: Survey, responses: list[Response]) -> None:
    assert rescoring.rescore(survey=survey) == len(responses)
    for r in responses:
        # Exact equality: the bulk path sums in exact arithmetic like math.fsum.
        assert stored(r) == expected(r), r.pk


def record(survey: Survey, answers: dict[str, Any], **extra: Any) -> Response:
    return services.record_response(survey=survey, source="shopper", raw_answers=answers, **extra)


def set_rules(survey: Survey, **rules: Any) -> None:
    Survey.objects.filter(pk=survey.pk).update(**rules)
    survey.refresh_from_db()


# -- a survey that exercises every rule ---------------------------------------------------------

OPTIONS = [
    {"value": "a", "label": "A", "points": 1},
    {"value": "b", "label": "B", "points": 2},
    {"value": "c", "label": "C", "points": 0},
]
TENTHS = [
    {"value": "x", "label": "X", "points": 0.1},
    {"value": "y", "label": "Y", "points": 0.2},
    {"value": "z", "label": "Z", "points": 0.7},
]


@pytest.fixture
def survey(org):
    return make_survey(
        org,
        [
            {
                "title": "Arrival",
                "weight": 2,
                "questions": [
                    {"code": "greet", "type": "yes_no_na", "points": 1},
                    {"code": "polite", "type": "yes_no", "points": 2, "critical": True},
                    {"code": "smile", "type": "yes_no", "points": 1, "bonus": True},
                    {"code": "called", "type": "yes_no", "points": 0},
                    {"code": "note", "type": "short_text", "points": 0},
                ],
            },
            {
                "title": "Service",
                "questions": [
                    {"code": "nps", "type": "nps", "points": 1},
                    {"code": "ces", "type": "ces", "points": 3, "config": {"allow_na": True}},
                    {
                        "code": "best",
                        "type": "single_choice",
                        "points": 0,
                        "config": {"options": OPTIONS},
                    },
                    {
                        "code": "checks",
                        "type": "multi_choice",
                        "points": 0,
                        "config": {"options": OPTIONS, "allow_na": True},
                    },
                    {
                        "code": "tenths",
                        "type": "multi_choice",
                        "points": 0,
                        "config": {"options": TENTHS},
                    },
                ],
            },
            {
                "title": "Phone",
                "show_if": {"question": "called", "operator": "equals", "value": True},
                "questions": [
                    {
                        "code": "wait",
                        "type": "duration",
                        "points": 2,
                        "critical": True,
                        "config": {"target_value": 60, "target_comparator": "<="},
                    },
                    {
                        "code": "rings",
                        "type": "number",
                        "points": 1,
                        "config": {"unit": "rings", "target_value": 3, "target_comparator": "<"},
                    },
                    {
                        "code": "rate",
                        "type": "rating",
                        "points": 1,
                        "config": {"scale_min": 1, "scale_max": 7},
                        "show_if": {"question": "rings", "operator": "gt", "value": 1},
                    },
                ],
            },
        ],
    )


ANSWERS = [
    # everything answered, phone section shown, targets met
    {
        "greet": "yes",
        "polite": "yes",
        "smile": "yes",
        "called": "yes",
        "note": "fine",
        "nps": 9,
        "ces": 6,
        "best": "b",
        "checks": ["a", "b"],
        "tenths": ["x", "y"],
        "wait": "0:45",
        "rings": 2,
        "rate": 5,
    },
    # N/A answers, phone hidden (its answers are discarded), knock-out failed
    {
        "greet": "NA",
        "polite": "no",
        "called": "no",
        "nps": 3,
        "ces": "NA",
        "checks": "NA",
        "tenths": ["z"],
        "wait": "30",
        "rings": 9,
    },
    # targets not met, critical duration fails, unanswered optionals, cascade hides `rate`
    {"polite": "yes", "called": "yes", "wait": "2:00", "rings": 1, "best": "c"},
    # bonus only, nothing else
    {"smile": "yes", "called": "no"},
    # nothing at all
    {},
]


RULES = [
    {"na_policy": "omit", "bonus_cap": True, "critical_scope": "section"},
    {"na_policy": "count_as_fail", "bonus_cap": False, "critical_scope": "form"},
    {"na_policy": "count_as_pass", "bonus_cap": True, "critical_scope": "form"},
    {"na_policy": "count_as_pass", "bonus_cap": False, "critical_scope": "section"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("rules", RULES, ids=lambda r: "-".join(str(v) for v in r.values()))
@pytest.mark.parametrize("weighted", [True, False], ids=["weighted", "pooled"])
def test_bulk_rescore_matches_reference_for_every_rule(survey, rules, weighted):
    if not weighted:
        survey.sections.update(weight=None)
    responses = [record(survey, answers) for answers in ANSWERS]
    set_rules(survey, **rules)
    assert_bulk_matches_reference(survey, responses)


@pytest.mark.django_db
def test_rule_change_is_applied_and_stored(survey):
    r = record(survey, ANSWERS[1])  # greet N/A, polite failed (critical)
    assert r.knocked_out and r.score_detail["knocked_out"] is False
    set_rules(survey, critical_scope="form")
    rescoring.rescore(survey=survey)
    r.refresh_from_db()
    assert r.knocked_out and r.score_detail["knocked_out"] is True
    assert (r.score_earned, r.score_percent) == (0.0, 0.0)


@pytest.mark.django_db
def test_answer_to_a_hidden_question_is_ignored_like_the_reference(survey):
    r = record(survey, ANSWERS[3])  # called = no: the phone section is hidden
    wait = survey.questions.get(code="wait")
    template = Answer.objects.filter(response=r).first()
    # Data written by something other than the form engine (an old import, say).
    Answer.objects.create(
        response=r,
        question=wait,
        organization_id=r.organization_id,
        source=r.source,
        submitted_at=r.submitted_at,
        value=500.0,
        value_num=500.0,
        value_100=0.0,
    )
    assert template is not None
    set_rules(survey, critical_scope="form")
    assert_bulk_matches_reference(survey, [r])
    assert r.knocked_out is False  # the failed knock-out is hidden, so it does not count


@pytest.mark.django_db
def test_only_the_wave_or_the_given_responses_are_rescored(org, survey):
    q3, q4 = make_wave(org, "Q3"), make_wave(org, "Q4")
    in_q3 = record(survey, ANSWERS[1], wave=q3)
    in_q4 = record(survey, ANSWERS[1], wave=q4)
    before = stored(in_q4)
    set_rules(survey, critical_scope="form")
    assert rescoring.rescore(survey=survey, wave=q3) == 1
    assert stored(in_q3) == expected(in_q3)
    assert stored(in_q4) == before != expected(in_q4)
    assert rescoring.rescore(survey=survey, responses=[in_q4.pk]) == 1
    assert stored(in_q4) == expected(in_q4)


@pytest.mark.django_db
def test_drafts_are_not_rescored(survey):
    draft = Response.objects.create(
        organization=survey.organization, survey=survey, source="shopper"
    )
    assert rescoring.rescore(survey=survey) == 0
    draft.refresh_from_db()
    assert draft.scored_at is None


@pytest.mark.django_db
def test_rescoring_twice_writes_nothing_the_second_time(survey):
    responses = [record(survey, answers) for answers in ANSWERS]
    set_rules(survey, na_policy="count_as_fail")
    rescoring.rescore(survey=survey, batch_size=2)
    first = {r.pk: (stored(r), r.scored_at) for r in responses}
    rescoring.rescore(survey=survey, batch_size=3)
    assert {r.pk: (stored(r), r.scored_at) for r in responses} == first


@pytest.mark.django_db
def test_batches_report_progress(survey):
    for answers in ANSWERS:
        record(survey, answers)
    seen: list[tuple[int, int]] = []
    rescoring.rescore(survey=survey, batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


# -- property: random surveys and answers ----------------------------------------------------

POINTS = [0, 0.1, 0.5, 1, 2, 3, 0.3, 10]
OPTION_POINTS = [0, 0.1, 0.5, 1, 2, 0.7, 5]
SCORED = [T.YES_NO, T.YES_NO_NA, T.RATING, T.NPS, T.CSAT, T.CES, T.SINGLE_CHOICE]
SCORED += [T.MULTI_CHOICE, T.NUMBER, T.DURATION, T.SHORT_TEXT]


@st.composite
def question(draw: st.DrawFn, code: str, earlier_yes_no: list[str]) -> dict[str, Any]:
    qtype = draw(st.sampled_from(SCORED))
    q: dict[str, Any] = {"code": code, "type": qtype, "points": draw(st.sampled_from(POINTS))}
    config: dict[str, Any] = {"allow_na": draw(st.booleans())}
    if qtype == T.RATING:
        config["scale_min"] = draw(st.integers(-3, 3))
        config["scale_max"] = config["scale_min"] + draw(st.integers(1, 9))
    if qtype in (T.SINGLE_CHOICE, T.MULTI_CHOICE):
        points = draw(st.lists(st.sampled_from(OPTION_POINTS), min_size=1, max_size=4))
        config["options"] = [
            {"value": f"o{i}", "label": f"O{i}", "points": p} for i, p in enumerate(points)
        ]
    if qtype in (T.NUMBER, T.DURATION) and draw(st.booleans()):
        config["target_value"] = draw(st.sampled_from([0, 3, 2.5, 60, 0.1]))
        config["target_comparator"] = draw(st.sampled_from(sorted(COMPARATORS)))
    if qtype == T.NUMBER:
        config["unit"] = "min"
    q["config"] = config
    if earlier_yes_no and draw(st.integers(0, 3)) == 0:
        q["show_if"] = {
            "question": draw(st.sampled_from(earlier_yes_no)),
            "operator": "equals",
            "value": draw(st.booleans()),
        }
    return q


def scored(q: dict[str, Any]) -> bool:
    from surveys.models import Question

    spec = Question(code=q["code"], type=q["type"], points=q["points"], config=q["config"]).spec()
    from surveys.question_types import max_points

    return max_points(spec) > 0


def raw_answer(q: dict[str, Any]) -> st.SearchStrategy[Any]:
    config = q["config"]
    values = [o["value"] for o in config.get("options", [])]
    by_type = {
        T.YES_NO: st.booleans(),
        T.YES_NO_NA: st.booleans() | st.just("NA"),
        T.RATING: st.integers(config.get("scale_min", 1), config.get("scale_max", 5)),
        T.NPS: st.integers(0, 10),
        T.CSAT: st.integers(1, 5),
        T.CES: st.integers(1, 7),
        T.SINGLE_CHOICE: st.sampled_from(values or ["-"]),
        T.MULTI_CHOICE: st.lists(st.sampled_from(values or ["-"]), max_size=4),
        T.NUMBER: st.sampled_from([-1, 0, 2.5, 3, 2.9999999999, 60, 0.1, 0.30000000000000004]),
        T.DURATION: st.sampled_from([0, 3, 59, 60, 61, 0.1]),
        T.SHORT_TEXT: st.text("abc", max_size=5),
    }
    strategy = by_type[q["type"]] | st.none()
    return strategy | st.just("NA") if config["allow_na"] else strategy


@st.composite
def surveys_with_answers(draw: st.DrawFn) -> tuple[list[dict], list[dict], dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    yes_no: list[str] = []
    n = 0
    weighted = draw(st.booleans())
    for _ in range(draw(st.integers(1, 4))):
        before = list(yes_no)  # a section's condition looks at earlier sections only
        questions = []
        for _ in range(draw(st.integers(0, 5))):
            q = draw(question(f"q{n}", yes_no))
            n += 1
            if scored(q):
                flag = draw(st.sampled_from(["bonus", "critical", None, None]))
                if flag:
                    q[flag] = True
            if q["type"] in (T.YES_NO, T.YES_NO_NA):
                yes_no.append(q["code"])
            questions.append(q)
        section: dict[str, Any] = {"questions": questions}
        if weighted:
            section["weight"] = draw(st.none() | st.sampled_from([0, 0.5, 1, 3]))
        if before and draw(st.integers(0, 4)) == 0:
            section["show_if"] = {"question": before[0], "operator": "equals", "value": True}
        sections.append(section)
    all_questions = [q for s in sections for q in s["questions"]]
    answers = draw(
        st.lists(
            st.fixed_dictionaries({q["code"]: raw_answer(q) for q in all_questions}),
            min_size=1,
            max_size=4,
        )
    )
    rules = draw(
        st.fixed_dictionaries(
            {
                "na_policy": st.sampled_from(["omit", "count_as_fail", "count_as_pass"]),
                "bonus_cap": st.booleans(),
                "critical_scope": st.sampled_from(["section", "form"]),
            }
        )
    )
    return sections, answers, rules


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=surveys_with_answers())
def test_bulk_rescore_equals_reference_on_random_surveys(org, case):
    sections, answers, rules = case
    with transaction.atomic():
        survey = make_survey(org, sections)
        responses = [record(survey, a) for a in answers]
        set_rules(survey, **rules)
        assert_bulk_matches_reference(survey, responses)
        transaction.set_rollback(True)


# -- changing a rule -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_change_scoring_rules_saves_the_rule_and_queues_a_rescore_after_commit(
    survey, program_admin, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = questionnaire.change_scoring_rules(
            survey=survey, actor=program_admin, na_policy="count_as_fail", bonus_cap=True
        )
    assert request.changed == ("na_policy",) and request.survey_id == survey.pk
    assert len(callbacks) == 1  # the task is sent only once the change is committed
    assert sent_tasks == []
    callbacks[0]()
    assert sent_tasks == [SentTask("surveys.rescore_survey", [survey.pk, None], {})]
    survey.refresh_from_db()
    assert survey.na_policy == "count_as_fail"


@pytest.mark.django_db
def test_unchanged_rules_queue_nothing(
    survey, program_admin, django_capture_on_commit_callbacks, sent_tasks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        request = questionnaire.change_scoring_rules(
            survey=survey, actor=program_admin, na_policy=survey.na_policy
        )
    assert request.changed == () and callbacks == [] and sent_tasks == []


@pytest.mark.django_db
def test_invalid_rules_are_refused(survey, program_admin):
    from cxaudit.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        questionnaire.change_scoring_rules(
            survey=survey, actor=program_admin, na_policy="maybe", critical_scope="shop"
        )
    assert [field for field, _ in exc.value.errors] == ["na_policy", "critical_scope"]
    survey.refresh_from_db()
    assert survey.na_policy == "omit"


@pytest.mark.django_db(transaction=True)
def test_pipelined_batches_outside_a_transaction_match_the_reference(survey):
    # Outside a transaction the next batch is summed on a second connection meanwhile.
    responses = [record(survey, answers) for answers in ANSWERS * 2]
    set_rules(survey, na_policy="count_as_pass", critical_scope="form")
    assert rescoring.rescore(survey=survey, batch_size=3) == len(responses)
    for r in responses:
        assert stored(r) == expected(r)


@pytest.mark.django_db
def test_rescore_command_prints_progress(survey, org):
    from io import StringIO

    from django.core.management import call_command

    wave = make_wave(org, "2026 Q3")
    for answers in ANSWERS:
        record(survey, answers, wave=wave)
    out = StringIO()
    call_command("rescore", survey=survey.pk, wave="2026 Q3", batch_size=4, stdout=out)
    assert out.getvalue().splitlines() == [
        "4/5 responses re-scored",
        "5/5 responses re-scored",
        f"Re-scored 5 response(s) of {survey}.",
    ]


@pytest.mark.django_db
def test_without_postgresql_the_reference_path_rescores_in_batches(survey, monkeypatch):
    """The embedded SQLite default has none of the bulk SQL: the same batches go through the
    reference functions (forced here, since the suite runs on PostgreSQL)."""
    responses = [record(survey, answers) for answers in ANSWERS]
    set_rules(survey, na_policy="count_as_fail", critical_scope="form")
    monkeypatch.setattr(rescoring, "bulk_supported", lambda: False)
    calls = []
    n = rescoring.rescore(survey=survey, batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert n == len(responses)
    assert calls[-1] == (len(responses), len(responses)) and len(calls) == -(-n // 2)
    for r in responses:
        assert stored(r) == expected(r)
    # Nothing changed since: a second pass rewrites nothing.
    before = dict(Response.objects.filter(survey=survey).values_list("pk", "scored_at"))
    rescoring.rescore(survey=survey)
    assert dict(Response.objects.filter(survey=survey).values_list("pk", "scored_at")) == before


@pytest.mark.django_db
def test_reference_path_continues_under_rules_changed_while_it_runs(survey, monkeypatch):
    """No advisory lock without PostgreSQL: each batch reads the rules again, so a re-score
    overlapping a later change never writes the older rules after it."""
    responses = [record(survey, answers) for answers in ANSWERS]
    monkeypatch.setattr(rescoring, "bulk_supported", lambda: False)

    def change_after_first_batch(done, total):
        if done == 2:
            set_rules(survey, na_policy="count_as_pass", critical_scope="form")

    rescoring.rescore(survey=survey, batch_size=2, progress=change_after_first_batch)
    for r in responses[2:]:
        assert stored(r) == expected(r)  # expected() reads the rules now in force
