"""Scoring of a response (mystery-shop convention) and skip logic, with hand-computed examples."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.cleaning import clean_answer
from surveys.question_types import (
    COMPARATORS,
    NA,
    UNANSWERED,
    CleanValue,
    Option,
    QuestionSpec,
    QuestionType,
    ShowIf,
    max_points,
    spec_errors,
)
from surveys.scoring import (
    ItemScore,
    ResponseScore,
    SectionSpec,
    SurveyScoringRules,
    condition_met,
    display_percent,
    score_item,
    score_response,
    survey_errors,
    visible_codes,
)

T = QuestionType
RULES = SurveyScoringRules()


def yn(code: str, **kwargs: Any) -> QuestionSpec:
    return QuestionSpec(code=code, type=T.YES_NO_NA, **kwargs)


def section(key: str, *questions: QuestionSpec, **kwargs: Any) -> SectionSpec:
    return SectionSpec(key=key, questions=questions, **kwargs)


def cleaned(sections: list[SectionSpec], raw: dict[str, Any]) -> dict[str, CleanValue]:
    specs = {q.code: q for s in sections for q in s.questions}
    return {code: clean_answer(specs[code], value) for code, value in raw.items()}


def score(
    sections: list[SectionSpec],
    raw: dict[str, Any],
    rules: SurveyScoringRules = RULES,
    visible: set[str] | None = None,
) -> ResponseScore:
    return score_response(rules, sections, cleaned(sections, raw), visible)


# -- possible points of each question type -----------------------------------------------------


def test_yes_earns_the_points_and_no_earns_nothing() -> None:
    sections = [section("s", yn("q1", points=2), yn("q2", points=3))]
    result = score(sections, {"q1": "yes", "q2": "no"})
    assert (result.earned, result.possible) == (2, 5)
    assert result.percent == pytest.approx(40.0)
    items = result.items()
    assert items["q1"] == ItemScore("q1", 2, 2, True, "yes")
    assert items["q2"] == ItemScore("q2", 0, 3, True, "no")


def test_single_choice_possible_is_the_best_option_and_earned_the_chosen_one() -> None:
    spec = QuestionSpec(
        "greet",
        T.SINGLE_CHOICE,
        options=(
            Option("warm", "Warm", 3),
            Option("neutral", "Neutral", 1),
            Option("none", "No", 0),
        ),
    )
    result = score([section("s", spec)], {"greet": "neutral"})
    assert (result.earned, result.possible) == (1, 3)
    assert result.items()["greet"].reason == "chose neutral"


def test_multi_check_scores_ticked_points_over_possible_points() -> None:
    # Possible = 2 + 1 + 1 (the zero-point option adds nothing); ticked name + offer = 2 + 1.
    spec = QuestionSpec(
        "close",
        T.MULTI_CHOICE,
        options=(
            Option("name", "Used my name", 2),
            Option("offer", "Offered more help", 1),
            Option("thank", "Thanked me", 1),
            Option("other", "Something else", 0),
        ),
    )
    result = score([section("s", spec)], {"close": "offer;name;other"})
    item = result.items()["close"]
    assert (item.earned, item.possible) == (3, 4)
    assert item.reason == "ticked name, offer, other"
    assert result.percent == pytest.approx(75.0)


@pytest.mark.parametrize(
    ("spec", "raw", "earned"),
    [
        # points x (v - min) / (max - min)
        (QuestionSpec("r", T.RATING, points=4, scale_min=1, scale_max=5), 4, 3.0),
        (QuestionSpec("r", T.RATING, points=6, scale_min=1, scale_max=7), 7, 6.0),
        (QuestionSpec("r", T.NPS, points=10), 7, 7.0),
        (QuestionSpec("r", T.CSAT, points=2), 3, 1.0),
        (QuestionSpec("r", T.CES, points=3), 3, 1.0),
    ],
)
def test_scales_earn_points_in_proportion_to_the_answer(
    spec: QuestionSpec, raw: int, earned: float
) -> None:
    item = score([section("s", spec)], {"r": raw}).items()["r"]
    assert item.earned == pytest.approx(earned)
    assert item.possible == spec.points


def test_scale_with_zero_points_is_not_scored() -> None:
    spec = QuestionSpec("r", T.CSAT, points=0)
    result = score([section("s", spec)], {"r": 5})
    assert result.items()["r"] == ItemScore("r", 0, 0, False, "not scored")
    assert result.percent is None


def test_duration_target_met_earns_the_points() -> None:
    spec = QuestionSpec("wait", T.DURATION, points=2, target_value=60, target_comparator="<=")
    item = score([section("s", spec)], {"wait": "45"}).items()["wait"]
    assert item == ItemScore("wait", 2, 2, True, "target met: 45 s <= 60 s")


def test_duration_target_not_met_earns_nothing() -> None:
    spec = QuestionSpec("wait", T.DURATION, points=2, target_value=60, target_comparator="<=")
    item = score([section("s", spec)], {"wait": "1:15"}).items()["wait"]
    assert item == ItemScore("wait", 0, 2, True, "target not met: 75 s, target <= 60 s")


@pytest.mark.parametrize(
    ("raw", "earned", "reason"),
    [
        ("3", 1.0, "target met: 3 items >= 2.5 items"),
        ("2.5", 1.0, "target met: 2.5 items >= 2.5 items"),
        ("2", 0.0, "target not met: 2 items, target >= 2.5 items"),
    ],
)
def test_number_target_with_unit(raw: str, earned: float, reason: str) -> None:
    spec = QuestionSpec("stock", T.NUMBER, unit="items", target_value=2.5, target_comparator=">=")
    item = score([section("s", spec)], {"stock": raw}).items()["stock"]
    assert item == ItemScore("stock", earned, 1, True, reason)


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (QuestionSpec("x", T.NUMBER, unit="items"), "3"),
        (QuestionSpec("x", T.SHORT_TEXT), "nice"),
        (QuestionSpec("x", T.LONG_TEXT), "nice"),
        (QuestionSpec("x", T.DATETIME), "2026-03-01T10:00"),
        (QuestionSpec("x", T.FILE), "receipt.jpg"),
    ],
)
def test_questions_without_points_are_not_scored(spec: QuestionSpec, raw: str) -> None:
    result = score([section("s", spec, yn("q", points=1))], {"x": raw, "q": "yes"})
    assert result.items()["x"] == ItemScore("x", 0, 0, False, "not scored")
    assert (result.earned, result.possible) == (1, 1)


# -- N/A -------------------------------------------------------------------------------------


def na_survey() -> list[SectionSpec]:
    return [section("s", yn("q1", points=2), yn("q2", points=3))]


def test_na_is_omitted_from_possible_points_by_default() -> None:
    result = score(na_survey(), {"q1": "yes", "q2": "NA"})
    assert (result.earned, result.possible, result.percent) == (2, 2, 100.0)
    assert result.items()["q2"] == ItemScore("q2", 0, 0, False, "N/A omitted")


def test_na_counted_as_fail_keeps_possible_and_earns_nothing() -> None:
    rules = SurveyScoringRules(na_policy="count_as_fail")
    result = score(na_survey(), {"q1": "yes", "q2": "NA"}, rules)
    assert (result.earned, result.possible, result.percent) == (2, 5, 40.0)
    assert result.items()["q2"] == ItemScore("q2", 0, 3, True, "N/A counted as fail")


def test_na_counted_as_pass_earns_the_possible_points() -> None:
    rules = SurveyScoringRules(na_policy="count_as_pass")
    result = score(na_survey(), {"q1": "no", "q2": "NA"}, rules)
    assert (result.earned, result.possible, result.percent) == (3, 5, 60.0)
    assert result.items()["q2"] == ItemScore("q2", 3, 3, True, "N/A counted as pass")


@pytest.mark.parametrize("policy", ["omit", "count_as_fail", "count_as_pass"])
def test_na_on_a_bonus_question_is_always_omitted(policy: str) -> None:
    sections = [section("s", yn("q1", points=2), yn("extra", bonus=True))]
    result = score(sections, {"q1": "yes", "extra": "NA"}, SurveyScoringRules(na_policy=policy))
    assert (result.earned, result.possible) == (2, 2)


def test_na_on_an_allow_na_rating_is_omitted() -> None:
    spec = QuestionSpec("r", T.RATING, points=4, allow_na=True)
    result = score([section("s", spec, yn("q"))], {"r": "NA", "q": "yes"})
    assert (result.earned, result.possible) == (1, 1)


def test_unknown_na_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="count_as_zero"):
        SurveyScoringRules(na_policy="count_as_zero")
    with pytest.raises(ValueError, match="shop"):
        SurveyScoringRules(critical_scope="shop")


# -- bonus -----------------------------------------------------------------------------------


def bonus_survey() -> list[SectionSpec]:
    # 9 of 10 regular points, plus a 2-point bonus: 11 / 10.
    return [section("s", yn("q1", points=9), yn("q2", points=1), yn("wow", points=2, bonus=True))]


def test_bonus_adds_earned_points_but_never_possible_points() -> None:
    result = score(bonus_survey(), {"q1": "yes", "q2": "no", "wow": "yes"})
    assert (result.earned, result.possible) == (11, 10)
    assert result.items()["wow"] == ItemScore("wow", 2, 0, True, "bonus: yes")


def test_bonus_percentage_is_capped_at_100_by_default() -> None:
    result = score(bonus_survey(), {"q1": "yes", "q2": "no", "wow": "yes"})
    assert result.percent == 100.0
    assert result.sections[0].percent == 100.0
    assert result.sections[0].earned == 11  # the points themselves stay uncapped


def test_bonus_may_lift_the_percentage_above_100_without_the_cap() -> None:
    rules = SurveyScoringRules(bonus_cap=False)
    result = score(bonus_survey(), {"q1": "yes", "q2": "no", "wow": "yes"}, rules)
    assert result.percent == pytest.approx(110.0)
    assert result.sections[0].percent == pytest.approx(110.0)


def test_bonus_not_earned_costs_nothing() -> None:
    result = score(bonus_survey(), {"q1": "yes", "q2": "no", "wow": "no"})
    assert (result.earned, result.possible, result.percent) == (9, 10, 90.0)


# -- unanswered and hidden ---------------------------------------------------------------------


def test_unanswered_optional_question_is_not_penalised() -> None:
    result = score(na_survey(), {"q1": "yes"})
    assert (result.earned, result.possible) == (2, 2)
    assert result.items()["q2"] == ItemScore("q2", 0, 0, False, "unanswered optional")


def test_unanswered_required_question_is_omitted_and_says_so() -> None:
    sections = [section("s", yn("q1"), yn("q2", required=True))]
    result = score_response(RULES, sections, {"q1": CleanValue(True)})
    assert result.possible == 1
    assert result.items()["q2"].reason == "unanswered (required)"


def test_question_hidden_by_skip_logic_is_omitted_even_if_answered() -> None:
    # The shopper answered q2, then changed q1, which hides q2: the stale answer must not count.
    result = score(na_survey(), {"q1": "yes", "q2": "no"}, visible={"q1"})
    assert (result.earned, result.possible) == (2, 2)
    assert result.items()["q2"] == ItemScore("q2", 0, 0, False, "hidden by skip logic")


# -- knock-out ---------------------------------------------------------------------------------


def knock_out_survey() -> list[SectionSpec]:
    return [
        section("welcome", yn("w1", points=2), yn("w2", points=2)),
        section("safety", yn("id_check", points=1, critical=True), yn("s2", points=3)),
    ]


def test_failed_knock_out_zeroes_its_section() -> None:
    result = score(knock_out_survey(), {"w1": "yes", "w2": "no", "id_check": "no", "s2": "yes"})
    welcome, safety = result.sections
    assert (welcome.earned, welcome.possible, welcome.percent) == (2, 4, 50.0)
    assert (safety.earned, safety.possible, safety.percent) == (0, 4, 0.0)
    assert safety.knocked_out and not welcome.knocked_out
    # Pooled: 2 + 0 of 4 + 4.
    assert (result.earned, result.possible, result.percent) == (2, 8, 25.0)
    assert not result.knocked_out
    # The items still show what was observed.
    assert result.items()["s2"] == ItemScore("s2", 3, 3, True, "yes")
    assert result.items()["id_check"] == ItemScore(
        "id_check", 0, 1, True, "knock-out failed: no", knock_out=True
    )


def test_failed_knock_out_with_form_scope_zeroes_the_whole_form() -> None:
    rules = SurveyScoringRules(critical_scope="form")
    result = score(
        knock_out_survey(), {"w1": "yes", "w2": "yes", "id_check": "no", "s2": "yes"}, rules
    )
    assert (result.earned, result.possible, result.percent) == (0, 8, 0.0)
    assert result.knocked_out
    # Section scores stay as observed, so the report card still shows where it went wrong.
    assert [s.percent for s in result.sections] == [100.0, 75.0]
    assert not any(s.knocked_out for s in result.sections)


def test_passed_knock_out_changes_nothing() -> None:
    result = score(knock_out_survey(), {"w1": "yes", "w2": "no", "id_check": "yes", "s2": "yes"})
    assert (result.earned, result.possible, result.percent) == (6, 8, 75.0)
    assert not any(s.knocked_out for s in result.sections)


@pytest.mark.parametrize("policy", ["omit", "count_as_fail", "count_as_pass"])
def test_na_never_fails_a_knock_out(policy: str) -> None:
    rules = SurveyScoringRules(na_policy=policy)
    result = score(knock_out_survey(), {"id_check": "NA", "s2": "yes"}, rules)
    safety = result.sections[1]
    assert not safety.knocked_out
    # count_as_pass gives the N/A its point: 3 + 1 of 4; otherwise the section keeps its 3.
    assert safety.earned == (4 if policy == "count_as_pass" else 3)


def test_unanswered_or_hidden_knock_out_does_not_fail() -> None:
    answers = {"w1": "yes", "s2": "yes"}
    assert not score(knock_out_survey(), answers).sections[1].knocked_out
    hidden = score(knock_out_survey(), {**answers, "id_check": "no"}, visible={"w1", "s2"})
    assert not hidden.sections[1].knocked_out


def test_knock_out_rating_fails_below_the_top_of_the_scale() -> None:
    spec = QuestionSpec("clean", T.RATING, points=4, critical=True)
    assert score([section("s", spec)], {"clean": 4}).sections[0].knocked_out
    assert not score([section("s", spec)], {"clean": 5}).sections[0].knocked_out


def test_knock_out_zeroes_bonus_points_of_its_section_too() -> None:
    sections = [section("s", yn("k", critical=True), yn("q"), yn("b", bonus=True))]
    result = score(sections, {"k": "no", "q": "yes", "b": "yes"})
    assert (result.earned, result.possible, result.percent) == (0, 2, 0.0)


# -- overall: pooled and weighted --------------------------------------------------------------


def two_sections(weight_a: float | None, weight_b: float | None) -> list[SectionSpec]:
    # Section a: 4 one-point questions; section b: 10 one-point questions.
    return [
        section("a", *(yn(f"a{i}") for i in range(4)), weight=weight_a),
        section("b", *(yn(f"b{i}") for i in range(10)), weight=weight_b),
    ]


def two_section_answers() -> dict[str, str]:
    # a: 2 of 4 (50%); b: 9 of 10 (90%).
    answers = {f"a{i}": ("yes" if i < 2 else "no") for i in range(4)}
    answers |= {f"b{i}": ("yes" if i < 9 else "no") for i in range(10)}
    return answers


def test_overall_pools_points_across_sections_without_weights() -> None:
    # (2 + 9) / (4 + 10) = 11 / 14 = 78.571...%, not the 70% mean of 50% and 90%.
    result = score(two_sections(None, None), two_section_answers())
    assert (result.earned, result.possible) == (11, 14)
    assert result.percent == pytest.approx(100 * 11 / 14)
    assert result.method == "pooled"
    assert [s.weight for s in result.sections] == [None, None]


def test_section_weights_make_the_overall_a_weighted_mean_of_section_percentages() -> None:
    # a: 2/4 = 50% with weight 3; b: 9/10 = 90% with weight 1.
    # (3 x 50 + 1 x 90) / (3 + 1) = 240 / 4 = 60%.
    result = score(two_sections(3, 1), two_section_answers())
    assert result.percent == pytest.approx(60.0)
    assert result.method == "weighted"
    assert (result.earned, result.possible) == (11, 14)  # the points still add up


def test_a_section_without_weight_counts_with_weight_1_once_any_section_has_one() -> None:
    # a: 50% with weight 2; b: 90%, no weight -> 1. (2 x 50 + 90) / 3 = 63.33...%.
    result = score(two_sections(2, None), two_section_answers())
    assert result.percent == pytest.approx(190 / 3)
    assert [s.weight for s in result.sections] == [2.0, 1.0]


def test_weights_are_renormalised_over_sections_that_measured_something() -> None:
    # Section c has nothing answered (possible 0), so only a (50%, w1) and b (90%, w3) count:
    # (50 + 3 x 90) / 4 = 80%.
    sections = [*two_sections(1, 3), section("c", yn("c1"), weight=6)]
    result = score(sections, two_section_answers())
    assert result.sections[2].percent is None
    assert result.percent == pytest.approx(80.0)


def test_weighted_overall_uses_the_knocked_out_section_as_zero() -> None:
    # welcome 2/4 = 50% (w1); safety knocked out = 0% (w1): (50 + 0) / 2 = 25%.
    sections = [
        section("welcome", yn("w1", points=2), yn("w2", points=2), weight=1),
        section("safety", yn("id_check", critical=True), yn("s2", points=3), weight=1),
    ]
    result = score(sections, {"w1": "yes", "w2": "no", "id_check": "no", "s2": "yes"})
    assert result.percent == pytest.approx(25.0)


def test_all_zero_weights_give_no_overall_percentage() -> None:
    result = score(two_sections(0, 0), two_section_answers())
    assert result.percent is None


def test_negative_weight_is_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        score(two_sections(-1, 1), two_section_answers())


def test_nothing_to_score_gives_no_percentage_rather_than_0_or_100() -> None:
    sections = [section("a", yn("q1")), section("b", QuestionSpec("t", T.SHORT_TEXT))]
    result = score(sections, {"q1": "NA", "t": "hello"})
    assert (result.earned, result.possible, result.percent) == (0, 0, None)
    assert [s.percent for s in result.sections] == [None, None]


def test_bonus_only_section_has_no_percentage_but_its_points_pool() -> None:
    sections = [section("a", yn("q1"), yn("q2")), section("extra", yn("b", bonus=True))]
    result = score(sections, {"q1": "yes", "q2": "no", "b": "yes"})
    assert result.sections[1].percent is None
    assert (result.earned, result.possible, result.percent) == (2, 2, 100.0)


def test_percentages_are_stored_unrounded() -> None:
    result = score([section("s", yn("a"), yn("b"), yn("c"))], {"a": "yes", "b": "no", "c": "no"})
    assert result.percent == pytest.approx(100 / 3, rel=1e-12)
    assert result.percent != round(result.percent, 2)
    assert display_percent(result.percent) == "33%"
    assert display_percent(result.percent, 1) == "33.3%"
    assert display_percent(None) == "\u2013"


def test_score_round_trips_through_json() -> None:
    result = score(knock_out_survey(), {"w1": "yes", "w2": "NA", "id_check": "no", "s2": "yes"})
    stored = json.loads(json.dumps(result.to_dict()))
    assert stored["sections"][1]["items"][0]["reason"] == "knock-out failed: no"
    assert ResponseScore.from_dict(stored) == result


def test_score_item_explains_a_single_question() -> None:
    item = score_item(yn("q", points=2), NA, SurveyScoringRules(na_policy="count_as_fail"))
    assert item == ItemScore("q", 0, 2, True, "N/A counted as fail")
    assert score_item(yn("q"), UNANSWERED, RULES, shown=False).reason == "hidden by skip logic"


# -- skip logic --------------------------------------------------------------------------------

CHANNELS = (Option("phone", "Phone", 1), Option("chat", "Chat", 1), Option("email", "Email", 1))


def skip_survey() -> list[SectionSpec]:
    return [
        section(
            "visit",
            yn("queue"),
            QuestionSpec("wait", T.DURATION, show_if=ShowIf("queue", "equals", "yes")),
            QuestionSpec("wait_ok", T.YES_NO, show_if=ShowIf("wait", "gt", 300)),
            QuestionSpec("rate", T.RATING, scale_min=1, scale_max=5),
            QuestionSpec("why_low", T.LONG_TEXT, show_if=ShowIf("rate", "lt", 3)),
            QuestionSpec("channels", T.MULTI_CHOICE, options=CHANNELS),
            yn("phone_ok", show_if=ShowIf("channels", "equals", "phone")),
            yn("written_ok", show_if=ShowIf("channels", "in", ["chat", "email"])),
            yn("not_rate_5", show_if=ShowIf("rate", "not_equals", 5)),
            yn("any_comment", show_if=ShowIf("why_low", "answered")),
        ),
        section("complaint", yn("c1"), show_if=ShowIf("queue", "equals", "no")),
    ]


def shown(raw: dict[str, Any]) -> set[str]:
    sections = skip_survey()
    return visible_codes(sections, cleaned(sections, raw))


ALWAYS = {"queue", "rate", "channels"}


def test_questions_without_conditions_are_always_shown() -> None:
    assert shown({}) == ALWAYS


def test_equals_shows_a_question_when_the_earlier_answer_matches() -> None:
    assert "wait" in shown({"queue": "yes"})
    assert "wait" not in shown({"queue": "no"})


def test_gt_and_lt_compare_numbers() -> None:
    assert "wait_ok" in shown({"queue": "yes", "wait": "5:01"})
    assert "wait_ok" not in shown({"queue": "yes", "wait": "5:00"})
    assert "why_low" in shown({"rate": 2})
    assert "why_low" not in shown({"rate": 3})


def test_hiding_cascades_to_dependent_questions() -> None:
    # wait_ok depends on wait, which depends on queue: a stale long wait must not show wait_ok.
    assert "wait_ok" not in shown({"queue": "no", "wait": "10:00"})


def test_multi_choice_equals_means_ticked_and_in_means_any_ticked() -> None:
    assert {"phone_ok", "written_ok"} <= shown({"channels": "phone;email"})
    assert "phone_ok" not in shown({"channels": "chat"})
    assert "written_ok" in shown({"channels": "chat"})
    assert "written_ok" not in shown({"channels": "phone"})


def test_not_equals_and_answered() -> None:
    assert "not_rate_5" in shown({"rate": 4})
    assert "not_rate_5" not in shown({"rate": 5})
    assert "any_comment" in shown({"rate": 1, "why_low": "rude"})
    assert "any_comment" not in shown({"rate": 1})


def test_a_condition_on_an_unanswered_question_is_never_met() -> None:
    # Even not_equals: there is no answer to differ from.
    assert "not_rate_5" not in shown({})


def test_sections_have_conditions_too() -> None:
    assert {"c1"} <= shown({"queue": "no"})
    assert "c1" not in shown({"queue": "yes"})


def test_na_matches_only_an_na_condition() -> None:
    ref = yn("q")
    assert condition_met(ShowIf("q", "equals", "NA"), ref, NA)
    assert not condition_met(ShowIf("q", "equals", "yes"), ref, NA)
    assert condition_met(ShowIf("q", "not_equals", "yes"), ref, NA)
    assert condition_met(ShowIf("q", "in", ["no", "NA"]), ref, NA)
    assert not condition_met(ShowIf("q", "answered"), ref, NA)


def test_condition_on_a_later_question_is_refused() -> None:
    sections = [section("s", yn("a", show_if=ShowIf("b", "equals", "yes")), yn("b"))]
    with pytest.raises(ValueError, match="not an earlier question"):
        visible_codes(sections, {})
    assert survey_errors(sections) == [
        "section 's', question 'a': show_if.question_code: 'b' is not an earlier question"
    ]


def test_skip_logic_feeds_scoring() -> None:
    sections = [section("s", yn("queue"), yn("apology", show_if=ShowIf("queue", "equals", "yes")))]
    answers = cleaned(sections, {"queue": "no", "apology": "no"})
    result = score_response(RULES, sections, answers, visible_codes(sections, answers))
    assert (result.earned, result.possible) == (0, 1)
    assert result.items()["apology"].reason == "hidden by skip logic"


# -- survey validation -------------------------------------------------------------------------


def test_valid_survey_has_no_errors() -> None:
    assert survey_errors(skip_survey()) == []


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (
            [section("s", yn("a")), section("t", yn("A"))],
            "section 't', question 'A': code: duplicate question code (codes ignore case)",
        ),
        ([section("s", yn("a")), section("s", yn("b"))], "section 's': key: duplicate"),
        ([section("s", yn("a"), weight=-2)], "section 's': weight: must be a number >= 0"),
        (
            [section("s", yn("a"), yn("b", show_if=ShowIf("a", "gt", 1)))],
            "section 's', question 'b': show_if.operator: gt needs a numeric question",
        ),
        (
            [section("s", yn("a"), yn("b", show_if=ShowIf("a", "equals", "maybe")))],
            "section 's', question 'b': show_if.value: not yes or no or N/A ('maybe')",
        ),
        (
            [section("s", yn("a"), yn("b", show_if=ShowIf("a", "in", "yes")))],
            "section 's', question 'b': show_if.value: 'in' needs a non-empty list",
        ),
        (
            [section("s", yn("a"), yn("b", show_if=ShowIf("a", "is", "yes")))],
            "section 's', question 'b': show_if.operator: unknown operator 'is'",
        ),
        (
            [section("s", yn("a"), show_if=ShowIf("a", "equals", "yes"))],
            "section 's': show_if.question_code: 'a' is not an earlier question",
        ),
        (
            [section("s", QuestionSpec("r", T.RATING, scale_min=3, scale_max=1))],
            "section 's', question 'r': scale_min: must be less than scale_max (3 >= 1)",
        ),
    ],
)
def test_survey_errors_say_where_and_why(sections: list[SectionSpec], expected: str) -> None:
    errors = survey_errors(sections)
    assert any(e.startswith(expected) for e in errors), errors


# -- properties --------------------------------------------------------------------------------

SCORED_TYPES = [t for t in QuestionType if t not in (T.DATETIME, T.LONG_TEXT, T.FILE)]


@st.composite
def questions(draw: st.DrawFn, code: str, allow_bonus: bool) -> QuestionSpec:
    qtype = draw(st.sampled_from(SCORED_TYPES))
    kwargs: dict[str, Any] = {"points": draw(st.sampled_from([0, 0.5, 1, 2, 3, 10]))}
    if qtype == T.RATING:
        kwargs["scale_min"] = draw(st.integers(-3, 3))
        kwargs["scale_max"] = kwargs["scale_min"] + draw(st.integers(1, 9))
    if qtype in (T.SINGLE_CHOICE, T.MULTI_CHOICE):
        points = draw(st.lists(st.sampled_from([0, 0.5, 1, 2, 5]), min_size=1, max_size=4))
        kwargs["options"] = tuple(Option(f"o{i}", f"O{i}", p) for i, p in enumerate(points))
    if qtype in (T.NUMBER, T.DURATION) and draw(st.booleans()):
        kwargs["target_value"] = draw(st.integers(0, 100))
        kwargs["target_comparator"] = draw(st.sampled_from(sorted(COMPARATORS)))
    if qtype == T.NUMBER:
        kwargs["unit"] = "min"
    spec = QuestionSpec(code, qtype, allow_na=draw(st.booleans()), **kwargs)
    if max_points(spec) > 0:
        flag = draw(
            st.sampled_from(["bonus", "critical", None] if allow_bonus else ["critical", None])
        )
        if flag:
            spec = replace(spec, **{flag: True})
    assert spec_errors(spec) == []
    return spec


def raw_answers(spec: QuestionSpec) -> st.SearchStrategy[Any]:
    values = [o.value for o in spec.options]
    by_type: dict[QuestionType, st.SearchStrategy[Any]] = {
        T.YES_NO: st.booleans(),
        T.YES_NO_NA: st.booleans() | st.just("NA"),
        T.RATING: st.integers(spec.scale_min, spec.scale_max),  # always set by questions()
        T.NPS: st.integers(0, 10),
        T.CSAT: st.integers(1, 5),
        T.CES: st.integers(1, 7),
        T.SINGLE_CHOICE: st.sampled_from(values or ["-"]),
        T.MULTI_CHOICE: st.lists(st.sampled_from(values or ["-"]), max_size=4),
        T.NUMBER: st.integers(-10, 200),
        T.DURATION: st.integers(0, 200),
        T.SHORT_TEXT: st.text("abc ", max_size=10),
    }
    strategy = by_type[QuestionType(spec.type)] | st.none()
    return strategy | st.just("NA") if spec.allow_na else strategy


@st.composite
def responses(
    draw: st.DrawFn, allow_bonus: bool = True
) -> tuple[SurveyScoringRules, list[SectionSpec], dict[str, CleanValue], set[str] | None]:
    rules = SurveyScoringRules(
        na_policy=draw(st.sampled_from(["omit", "count_as_fail", "count_as_pass"])),
        bonus_cap=draw(st.booleans()) if allow_bonus else True,
        critical_scope=draw(st.sampled_from(["section", "form"])),
    )
    weighted = draw(st.booleans())
    sections: list[SectionSpec] = []
    answers: dict[str, CleanValue] = {}
    n = 0
    for key in range(draw(st.integers(1, 4))):
        specs = []
        for _ in range(draw(st.integers(0, 5))):
            spec = draw(questions(f"q{n}", allow_bonus))
            n += 1
            specs.append(spec)
            answers[spec.code] = clean_answer(spec, draw(raw_answers(spec)))
        weight = draw(st.none() | st.sampled_from([0, 0.5, 1, 3])) if weighted else None
        sections.append(SectionSpec(f"s{key}", tuple(specs), weight))
    codes = sorted(answers)
    visible = draw(st.none() | st.sets(st.sampled_from(codes)) if codes else st.none())
    return rules, sections, answers, visible


@settings(max_examples=300, deadline=None)
@given(responses())
def test_capped_percentages_are_between_0_and_100(case: Any) -> None:
    rules, sections, answers, visible = case
    result = score_response(rules, sections, answers, visible)
    percents = [result.percent, *(s.percent for s in result.sections)]
    if rules.bonus_cap:
        assert all(p is None or 0.0 <= p <= 100.0 for p in percents)
    else:
        assert all(p is None or p >= 0.0 for p in percents)
    for s in result.sections:
        assert (s.percent is None) == (s.possible == 0)


@settings(max_examples=300, deadline=None)
@given(responses(allow_bonus=False))
def test_earned_never_exceeds_possible_without_bonus(case: Any) -> None:
    rules, sections, answers, visible = case
    result = score_response(rules, sections, answers, visible)
    assert 0.0 <= result.earned <= result.possible
    for s in result.sections:
        assert 0.0 <= s.earned <= s.possible
        for item in s.items:
            assert 0.0 <= item.earned <= item.possible
            assert item.counted or (item.earned, item.possible) == (0, 0)


@settings(max_examples=200, deadline=None)
@given(responses(), st.randoms(use_true_random=False))
def test_score_does_not_depend_on_the_order_of_the_answers(case: Any, rnd: random.Random) -> None:
    rules, sections, answers, visible = case
    shuffled = list(answers.items())
    rnd.shuffle(shuffled)
    reordered = score_response(rules, sections, dict(shuffled), visible)
    assert reordered == score_response(rules, sections, answers, visible)


@settings(max_examples=200, deadline=None)
@given(responses())
def test_form_knock_out_means_zero_and_stored_scores_read_back(case: Any) -> None:
    rules, sections, answers, visible = case
    result = score_response(rules, sections, answers, visible)
    if result.knocked_out:
        assert (result.earned, result.percent) == (0.0, 0.0)
    assert ResponseScore.from_dict(json.loads(json.dumps(result.to_dict()))) == result
