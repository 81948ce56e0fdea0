"""Question types: definitions, answer cleaning and the common 0-100 scale."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.cleaning import clean_answer
from surveys.question_types import (
    COMPARATORS,
    NA,
    REGISTRY,
    UNANSWERED,
    AnswerError,
    CleanValue,
    Option,
    QuestionSpec,
    QuestionType,
    agrees,
    max_points,
    native,
    normalise,
    spec_errors,
    target_met,
)

T = QuestionType
ABC = (Option("a", "Apple", 2), Option("b", "Banana", 1), Option("c", "Cherry", 0))


def q(qtype: QuestionType, code: str = "Q1", **kwargs: Any) -> QuestionSpec:
    return QuestionSpec(code=code, type=qtype, **kwargs)


# One valid definition of every type, reused by the table-driven tests.
VALID: dict[QuestionType, QuestionSpec] = {
    T.YES_NO: q(T.YES_NO),
    T.YES_NO_NA: q(T.YES_NO_NA),
    T.RATING: q(T.RATING, scale_min=1, scale_max=5, min_label="Poor", max_label="Great"),
    T.NPS: q(T.NPS),
    T.CSAT: q(T.CSAT),
    T.CES: q(T.CES),
    T.SINGLE_CHOICE: q(T.SINGLE_CHOICE, options=ABC),
    T.MULTI_CHOICE: q(T.MULTI_CHOICE, options=ABC),
    T.NUMBER: q(T.NUMBER, unit="min", target_value=5, target_comparator="<="),
    T.DURATION: q(T.DURATION, target_value=60, target_comparator="<="),
    T.DATETIME: q(T.DATETIME),
    T.SHORT_TEXT: q(T.SHORT_TEXT),
    T.LONG_TEXT: q(T.LONG_TEXT),
    T.FILE: q(T.FILE),
}


def test_every_question_type_has_a_registry_entry_and_a_valid_example() -> None:
    assert set(REGISTRY) == set(QuestionType) == set(VALID)
    assert {str(t) for t in QuestionType} == {
        "yes_no", "yes_no_na", "rating", "nps", "csat", "ces", "single_choice", "multi_choice",
        "number", "duration", "datetime", "short_text", "long_text", "file",
    }  # fmt: skip


@pytest.mark.parametrize("qtype", list(QuestionType))
def test_valid_definitions_have_no_errors(qtype: QuestionType) -> None:
    assert spec_errors(VALID[qtype]) == []


def test_question_type_may_be_given_as_its_string_value() -> None:
    assert spec_errors(q("rating", scale_min=1, scale_max=7)) == []
    assert clean_answer(q("rating", scale_min=1, scale_max=7), "7") == CleanValue(7)


# -- spec_errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (q(T.RATING, scale_min=5, scale_max=5), "scale_min: must be less than scale_max (5 >= 5)"),
        (q(T.RATING, scale_min=7, scale_max=1), "scale_min: must be less than scale_max (7 >= 1)"),
        (q(T.RATING, scale_min=1.5, scale_max=5), "scale_min: must be a whole number"),
        (q(T.NPS, scale_min=1, scale_max=10), "scale_min: nps is always 0\u201310"),
        (q(T.CES, scale_max=5), "scale_max: ces is always 1\u20137"),
        (q(T.NUMBER, scale_max=5), "scale_max: only rating, nps, csat and ces"),
        (q(T.YES_NO, min_label="No"), "min_label: only rating, nps, csat and ces"),
        (q(T.SINGLE_CHOICE), "options: a single_choice question needs at least one option"),
        (q(T.MULTI_CHOICE), "options: a multi_choice question needs at least one option"),
        (
            q(T.SINGLE_CHOICE, options=(Option("a", "A"), Option("A", "Other A"))),
            "options[1].value: duplicate option value 'A'",
        ),
        (q(T.MULTI_CHOICE, options=(Option("a;b", "A"),)), "options[0].value: no surrounding"),
        (q(T.SINGLE_CHOICE, options=(Option("", "A"),)), "options[0].value: required"),
        (q(T.SINGLE_CHOICE, options=(Option("a", " "),)), "options[0].label: required"),
        (q(T.SINGLE_CHOICE, options=(Option("NA", "N/A"),)), "options[0].value: 'NA' is reserved"),
        (q(T.SINGLE_CHOICE, options=(Option("a", "A", -1),)), "options[0].points: must be"),
        (q(T.YES_NO, options=ABC), "options: only single_choice and multi_choice"),
        (
            q(T.NUMBER, unit="s", target_value=5, target_comparator="=="),
            "target_comparator: unknown comparator '==' (use <, <=, =, >=, >)",
        ),
        (
            q(T.NUMBER, target_value=5, target_comparator="<"),
            "unit: a number question with a target needs a unit",
        ),
        (q(T.NUMBER, unit="s", target_value=5), "target_comparator: required when target_value"),
        (q(T.DURATION, target_comparator="<"), "target_value: required when target_comparator"),
        (
            q(T.DURATION, target_value=-1, target_comparator=">"),
            "target_value: a duration cannot be negative",
        ),
        (q(T.RATING, target_value=4, target_comparator=">="), "target_value: only number and"),
        (q(T.DURATION, unit="min"), "unit: only number questions have a unit"),
        (q(T.YES_NO, points=-1), "points: must be a number >= 0"),
        (q(T.YES_NO, points=float("nan")), "points: must be a number >= 0"),
        (q("stars"), "type: unknown question type 'stars'"),
        (q(T.YES_NO, code=""), "code: must be 1-64 letters"),
        (q(T.YES_NO, code="has space"), "code: must be 1-64 letters"),
        (
            q(T.YES_NO, bonus=True, critical=True),
            "critical: a bonus question cannot be a knock-out",
        ),
        (q(T.SHORT_TEXT, critical=True), "critical: the question scores no points (short_text"),
        (q(T.NUMBER, unit="s", bonus=True), "bonus: the question scores no points (no target)"),
        (q(T.RATING, points=0, critical=True), "critical: the question scores no points (points"),
        (
            q(T.SINGLE_CHOICE, options=(Option("a", "A"),), critical=True),
            "critical: the question scores no points (no option carries points)",
        ),
    ],
)
def test_spec_errors_name_the_field_and_the_reason(spec: QuestionSpec, expected: str) -> None:
    errors = spec_errors(spec)
    assert any(e.startswith(expected) for e in errors), errors


def test_spec_errors_reports_every_problem_at_once() -> None:
    spec = q(T.NUMBER, unit="", target_value=5, target_comparator="~", options=ABC)
    fields = {e.split(":")[0] for e in spec_errors(spec)}
    assert fields == {"options", "target_comparator", "unit"}


def test_rating_scale_defaults_to_one_to_five() -> None:
    spec = q(T.RATING)
    assert spec_errors(spec) == []
    assert clean_answer(spec, "5") == CleanValue(5)
    with pytest.raises(AnswerError, match="out of range 1\u20135"):
        clean_answer(spec, "6")


# -- clean_answer: accepted input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("qtype", "raw", "value"),
    [
        (T.YES_NO, "yes", True),
        (T.YES_NO, "No", False),
        (T.YES_NO, " TRUE ", True),
        (T.YES_NO, "false", False),
        (T.YES_NO, "y", True),
        (T.YES_NO, "N", False),
        (T.YES_NO, "1", True),
        (T.YES_NO, "0", False),
        (T.YES_NO, 1, True),
        (T.YES_NO, 0, False),
        (T.YES_NO, True, True),
        (T.YES_NO, False, False),
        (T.YES_NO, ["yes"], True),  # request.POST.getlist()
        (T.YES_NO_NA, "no", False),
        (T.RATING, "4", 4),
        (T.RATING, 4, 4),
        (T.RATING, 4.0, 4),
        (T.RATING, "4.0", 4),
        (T.NPS, "0", 0),
        (T.NPS, 10, 10),
        (T.CSAT, "5", 5),
        (T.CES, "7", 7),
        (T.SINGLE_CHOICE, "b", "b"),
        (T.SINGLE_CHOICE, "B", "b"),
        (T.SINGLE_CHOICE, "banana", "b"),  # label, as other tools export it
        (T.SINGLE_CHOICE, ["c"], "c"),
        (T.MULTI_CHOICE, ["c", "a"], ("a", "c")),
        (T.MULTI_CHOICE, "c;a", ("a", "c")),
        (T.MULTI_CHOICE, "c | a | a", ("a", "c")),
        (T.MULTI_CHOICE, "b", ("b",)),
        (T.MULTI_CHOICE, "a;;", ("a",)),
        (T.NUMBER, "3.5", 3.5),
        (T.NUMBER, "-2", -2.0),
        (T.NUMBER, 7, 7.0),
        (T.NUMBER, "1e3", 1000.0),
        (T.DURATION, "45", 45.0),
        (T.DURATION, 45.5, 45.5),
        (T.DURATION, "1:30", 90.0),
        (T.DURATION, "01:02:03", 3723.0),
        (T.DURATION, "90:00", 5400.0),
        (T.DATETIME, "2026-03-01T10:30:00", datetime(2026, 3, 1, 10, 30)),
        (T.DATETIME, "2026-03-01T10:30Z", datetime(2026, 3, 1, 10, 30, tzinfo=UTC)),
        (T.DATETIME, "2026-03-01", datetime(2026, 3, 1)),
        (T.DATETIME, date(2026, 3, 1), datetime(2026, 3, 1)),
        (T.SHORT_TEXT, "  friendly staff  ", "friendly staff"),
        (T.SHORT_TEXT, "x" * 255, "x" * 255),
        (T.SHORT_TEXT, 42, "42"),
        (T.SHORT_TEXT, "NA", "NA"),  # free text saying NA is text, not N/A
        (T.LONG_TEXT, "line 1\r\nline 2", "line 1\nline 2"),
        (T.LONG_TEXT, "x" * 5000, "x" * 5000),
        (T.FILE, "evidence/2026/receipt.jpg", "evidence/2026/receipt.jpg"),
    ],
)
def test_clean_answer_accepts_and_canonicalises(qtype: QuestionType, raw: Any, value: Any) -> None:
    cleaned = clean_answer(VALID[qtype], raw)
    assert cleaned == CleanValue(value)
    assert cleaned.answered and not cleaned.is_na


@pytest.mark.parametrize("raw", ["", "   ", None, [], [""], "; |"])
@pytest.mark.parametrize("qtype", list(QuestionType))
def test_empty_input_is_unanswered(qtype: QuestionType, raw: Any) -> None:
    if raw == "; |" and qtype != T.MULTI_CHOICE:
        return  # only multi_choice splits on separators
    assert clean_answer(VALID[qtype], raw) == UNANSWERED


@pytest.mark.parametrize("qtype", list(QuestionType))
def test_missing_answer_to_required_question_is_rejected(qtype: QuestionType) -> None:
    spec = replace(VALID[qtype], required=True)
    with pytest.raises(AnswerError, match="required") as exc:
        clean_answer(spec, "")
    assert exc.value.reason == "required"
    assert exc.value.code == "Q1"


def test_drafts_may_leave_a_required_question_unanswered() -> None:
    spec = q(T.YES_NO, required=True)
    assert clean_answer(spec, None, enforce_required=False) == UNANSWERED


@pytest.mark.parametrize("raw", ["NA", "na", " N/A ", ["NA"]])
def test_na_is_accepted_by_yes_no_na(raw: Any) -> None:
    assert clean_answer(VALID[T.YES_NO_NA], raw) == NA


@pytest.mark.parametrize("qtype", [t for t in QuestionType if t != T.YES_NO_NA])
def test_na_is_accepted_when_the_question_allows_it(qtype: QuestionType) -> None:
    spec = replace(VALID[qtype], allow_na=True)
    assert clean_answer(spec, "NA") == NA


@pytest.mark.parametrize(
    "qtype", [t for t in QuestionType if t not in (T.YES_NO_NA, T.SHORT_TEXT, T.LONG_TEXT)]
)
def test_na_is_rejected_where_not_allowed(qtype: QuestionType) -> None:
    with pytest.raises(AnswerError, match="N/A is not allowed for this question") as exc:
        clean_answer(VALID[qtype], "na")
    assert exc.value.reason == "na"


def test_na_answers_a_required_question() -> None:
    assert clean_answer(q(T.YES_NO_NA, required=True), "NA") == NA


# -- clean_answer: rejected input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("qtype", "raw", "reason", "message"),
    [
        (T.YES_NO, "maybe", "invalid_choice", "not yes or no ('maybe')"),
        (T.YES_NO, 2, "invalid_choice", "not yes or no ('2')"),
        (T.YES_NO, ["yes", "no"], "invalid", "expected one answer, got 2 values"),
        (T.YES_NO_NA, "perhaps", "invalid_choice", "not yes or no or N/A ('perhaps')"),
        (T.RATING, "6", "out_of_range", "out of range 1\u20135 ('6')"),
        (T.RATING, 0, "out_of_range", "out of range 1\u20135 ('0')"),
        (T.RATING, "four", "not_a_number", "not a number ('four')"),
        (T.RATING, "3.5", "not_a_number", "not a whole number ('3.5')"),
        (T.RATING, True, "not_a_number", "not a number ('True')"),
        (T.NPS, "11", "out_of_range", "out of range 0\u201310 ('11')"),
        (T.NPS, "-1", "out_of_range", "out of range 0\u201310 ('-1')"),
        (T.CSAT, 0, "out_of_range", "out of range 1\u20135 ('0')"),
        (T.CES, 8, "out_of_range", "out of range 1\u20137 ('8')"),
        (T.SINGLE_CHOICE, "x", "unknown_option", "unknown option 'x' (expected one of a, b, c)"),
        (T.SINGLE_CHOICE, ["a", "b"], "invalid", "choose one option, not 2"),
        (T.SINGLE_CHOICE, True, "unknown_option", "unknown option 'True'"),
        (T.MULTI_CHOICE, "a;x", "unknown_option", "unknown option 'x'"),
        (T.MULTI_CHOICE, ["a", "NA"], "na", "N/A cannot be ticked together with options"),
        (T.NUMBER, "abc", "not_a_number", "not a number ('abc')"),
        (T.NUMBER, "1,5", "not_a_number", "use '.' as the decimal separator"),
        (T.NUMBER, "nan", "not_a_number", "not a number ('nan')"),
        (T.NUMBER, float("inf"), "not_a_number", "not a finite number ('inf')"),
        (T.NUMBER, "1e400", "not_a_number", "not a finite number ('1e400')"),
        (T.NUMBER, 10**400, "not_a_number", "not a finite number"),
        (T.NUMBER, {"v": 1}, "invalid", "unsupported value of type dict"),
        (T.DURATION, "-5", "out_of_range", "a duration cannot be negative"),
        (T.DURATION, "1:75", "not_a_number", "not a duration ('1:75'); use seconds, mm:ss"),
        (T.DURATION, "1:2:3:4", "not_a_number", "not a duration"),
        (T.DATETIME, "yesterday", "invalid", "not an ISO 8601 date/time ('yesterday')"),
        (T.DATETIME, "2026-02-30", "invalid", "not an ISO 8601 date/time"),
        (T.DATETIME, 1700000000, "invalid", "not an ISO 8601 date/time"),
        (T.SHORT_TEXT, "x" * 256, "too_long", "too long (max 255 characters, got 256)"),
        (T.SHORT_TEXT, True, "invalid", "not text ('True')"),
        (T.SHORT_TEXT, "a\x00b", "invalid", "contains a NUL character"),
        (T.LONG_TEXT, "x" * 5001, "too_long", "too long (max 5000 characters, got 5001)"),
        (T.FILE, "../settings.py", "invalid", "not a stored file name"),
        (T.FILE, "/etc/passwd", "invalid", "not a stored file name"),
        (T.FILE, "a\\b.jpg", "invalid", "not a stored file name"),
        (T.FILE, "x" * 256, "too_long", "too long (max 255 characters"),
        (T.FILE, 5, "invalid", "not a file name ('5')"),
    ],
)
def test_clean_answer_rejects_with_a_clear_message(
    qtype: QuestionType, raw: Any, reason: str, message: str
) -> None:
    with pytest.raises(AnswerError) as exc:
        clean_answer(VALID[qtype], raw)
    assert message in exc.value.message
    assert exc.value.reason == reason
    assert str(exc.value).startswith("Q1: ")  # says which question


def test_rejected_answer_messages_shorten_long_input() -> None:
    with pytest.raises(AnswerError) as exc:
        clean_answer(VALID[T.NUMBER], "z" * 500)
    assert len(exc.value.message) < 80


def test_rating_with_custom_range_checks_its_own_bounds() -> None:
    spec = q(T.RATING, scale_min=0, scale_max=7)
    assert clean_answer(spec, "0") == CleanValue(0)
    with pytest.raises(AnswerError, match="out of range 0\u20137"):
        clean_answer(spec, "8")


# -- CleanValue --------------------------------------------------------------------------------


def test_clean_value_rejects_contradictions() -> None:
    with pytest.raises(ValueError, match="N/A"):
        CleanValue(True, is_na=True)
    with pytest.raises(ValueError, match="unanswered"):
        CleanValue(3, answered=False)


@pytest.mark.parametrize(
    ("qtype", "raw"),
    [
        (T.YES_NO, "yes"),
        (T.YES_NO_NA, "NA"),
        (T.RATING, "3"),
        (T.MULTI_CHOICE, "c;a"),
        (T.DURATION, "1:30"),
        (T.DATETIME, "2026-03-01T10:30:00+02:00"),
        (T.SHORT_TEXT, "ok"),
        (T.NUMBER, ""),
    ],
)
def test_to_json_reads_back_to_the_same_clean_value(qtype: QuestionType, raw: str) -> None:
    cleaned = clean_answer(VALID[qtype], raw)
    assert clean_answer(VALID[qtype], cleaned.to_json()) == cleaned


# -- normalise, native, agrees -----------------------------------------------------------------


def answer(qtype: QuestionType, raw: Any, **kwargs: Any) -> tuple[QuestionSpec, CleanValue]:
    spec = replace(VALID[qtype], **kwargs)
    return spec, clean_answer(spec, raw)


@pytest.mark.parametrize(
    ("qtype", "raw", "kwargs", "expected"),
    [
        (T.YES_NO, "yes", {}, 100.0),
        (T.YES_NO, "no", {}, 0.0),
        (T.YES_NO_NA, "yes", {}, 100.0),
        (T.RATING, 4, {}, 75.0),  # (4 - 1) / (5 - 1)
        (T.RATING, 1, {}, 0.0),
        (T.RATING, 5, {"scale_min": 1, "scale_max": 7}, 200 / 3),  # (5 - 1) / 6
        (T.RATING, 7, {"scale_min": 1, "scale_max": 7}, 100.0),
        (T.NPS, 7, {}, 70.0),
        (T.NPS, 0, {}, 0.0),
        (T.CSAT, 4, {}, 75.0),
        (T.CES, 4, {}, 50.0),
        (T.SINGLE_CHOICE, "b", {}, 50.0),  # 1 of the best option's 2 points
        (T.SINGLE_CHOICE, "a", {}, 100.0),
        (T.SINGLE_CHOICE, "a", {"options": (Option("a", "A"), Option("b", "B"))}, None),
        (T.MULTI_CHOICE, "b", {}, 100 / 3),  # 1 of 2 + 1 possible points
        (T.MULTI_CHOICE, "a;b;c", {}, 100.0),
        (T.MULTI_CHOICE, "c", {}, 0.0),
        (T.NUMBER, "4", {}, 100.0),  # target <= 5 min met
        (T.NUMBER, "6", {}, 0.0),
        (T.NUMBER, "6", {"target_value": None, "target_comparator": None}, None),
        (T.DURATION, "1:00", {}, 100.0),  # target <= 60 s met
        (T.DURATION, "61", {}, 0.0),
        (T.DATETIME, "2026-03-01", {}, None),
        (T.SHORT_TEXT, "great", {}, None),
        (T.LONG_TEXT, "great", {}, None),
        (T.FILE, "a.jpg", {}, None),
        (T.YES_NO_NA, "NA", {}, None),
        (T.RATING, "", {}, None),
    ],
)
def test_normalise_maps_each_type_to_0_100(
    qtype: QuestionType, raw: Any, kwargs: dict[str, Any], expected: float | None
) -> None:
    spec, value = answer(qtype, raw, **kwargs)
    result = normalise(spec, value)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("qtype", "raw", "expected"),
    [
        (T.YES_NO, "yes", 1.0),
        (T.YES_NO, "no", 0.0),
        (T.RATING, 4, 4.0),
        (T.NPS, 9, 9.0),
        (T.CSAT, 2, 2.0),
        (T.CES, 6, 6.0),
        (T.NUMBER, "3.5", 3.5),
        (T.DURATION, "1:30", 90.0),
        (T.SINGLE_CHOICE, "a", None),
        (T.MULTI_CHOICE, "a", None),
        (T.SHORT_TEXT, "x", None),
        (T.DATETIME, "2026-03-01", None),
        (T.YES_NO_NA, "NA", None),
        (T.NPS, None, None),
    ],
)
def test_native_gives_the_value_on_the_questions_own_scale(
    qtype: QuestionType, raw: Any, expected: float | None
) -> None:
    assert native(*answer(qtype, raw)) == expected


@pytest.mark.parametrize(
    ("qtype", "raw", "kwargs", "expected"),
    [
        (T.YES_NO, "yes", {}, True),
        (T.YES_NO, "no", {}, False),
        (T.RATING, 4, {}, True),  # top two of 1-5
        (T.RATING, 3, {}, False),
        (T.RATING, 6, {"scale_min": 1, "scale_max": 7}, True),
        (T.RATING, 5, {"scale_min": 1, "scale_max": 7}, False),
        (T.NPS, 9, {}, True),
        (T.NPS, 8, {}, False),
        (T.CSAT, 4, {}, True),
        (T.CSAT, 3, {}, False),
        (T.CES, 5, {}, True),  # CES agrees on 5-7
        (T.CES, 4, {}, False),
        (T.SINGLE_CHOICE, "a", {}, None),
        (T.NUMBER, "1", {}, None),
        (T.YES_NO_NA, "NA", {}, None),
        (T.CSAT, "", {}, None),
    ],
)
def test_agrees_is_top_box(
    qtype: QuestionType, raw: Any, kwargs: dict[str, Any], expected: bool | None
) -> None:
    assert agrees(*answer(qtype, raw, **kwargs)) is expected


@pytest.mark.parametrize(
    ("comparator", "results"),
    # results for 59, 60, 61 against a target of 60
    [
        ("<", (True, False, False)),
        ("<=", (True, True, False)),
        ("=", (False, True, False)),
        (">=", (False, True, True)),
        (">", (False, False, True)),
    ],
)
def test_target_comparators(comparator: str, results: tuple[bool, bool, bool]) -> None:
    spec = q(T.DURATION, target_value=60, target_comparator=comparator)
    assert tuple(target_met(spec, v) for v in (59, 60, 61)) == results
    assert set(COMPARATORS) == {"<", "<=", "=", ">=", ">"}


def test_equal_target_tolerates_float_representation() -> None:
    spec = q(T.NUMBER, unit="kg", target_value=0.3, target_comparator="=")
    assert target_met(spec, 0.1 + 0.2) is True


def test_max_points_is_the_highest_option_value() -> None:
    assert max_points(q(T.YES_NO, points=3)) == 3
    assert max_points(VALID[T.SINGLE_CHOICE]) == 2
    assert max_points(VALID[T.MULTI_CHOICE]) == 3
    assert max_points(q(T.NUMBER, unit="s")) == 0  # no target: unscored
    assert max_points(VALID[T.FILE]) == 0


# -- properties --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    qtype=st.sampled_from(list(QuestionType)),
    allow_na=st.booleans(),
    required=st.booleans(),
    raw=st.text() | json_values,
)
def test_clean_answer_raises_only_answer_error(
    qtype: QuestionType, allow_na: bool, required: bool, raw: Any
) -> None:
    spec = replace(VALID[qtype], allow_na=allow_na, required=required)
    try:
        cleaned = clean_answer(spec, raw)
    except AnswerError:
        return
    assert isinstance(cleaned, CleanValue)
    assert clean_answer(spec, cleaned.to_json()) == cleaned


@st.composite
def specs_with_answers(draw: st.DrawFn) -> tuple[QuestionSpec, CleanValue]:
    qtype = draw(st.sampled_from(list(QuestionType)))
    kwargs: dict[str, Any] = {}
    if qtype == T.RATING:
        kwargs["scale_min"] = draw(st.integers(-5, 5))
        kwargs["scale_max"] = kwargs["scale_min"] + draw(st.integers(1, 10))
    if qtype in (T.SINGLE_CHOICE, T.MULTI_CHOICE):
        points = draw(st.lists(st.sampled_from([0, 0.5, 1, 2, 5]), min_size=1, max_size=5))
        kwargs["options"] = tuple(Option(f"o{i}", f"Option {i}", p) for i, p in enumerate(points))
    if qtype in (T.NUMBER, T.DURATION) and draw(st.booleans()):
        kwargs["target_value"] = draw(st.floats(0, 1000))
        kwargs["target_comparator"] = draw(st.sampled_from(sorted(COMPARATORS)))
        kwargs["unit"] = "min" if qtype == T.NUMBER else ""
    spec = q(qtype, allow_na=draw(st.booleans()), **kwargs)
    assert spec_errors(spec) == []
    raws: dict[QuestionType, st.SearchStrategy[Any]] = {
        T.YES_NO: st.booleans(),
        T.YES_NO_NA: st.booleans(),
        T.RATING: st.integers(kwargs.get("scale_min", 1), kwargs.get("scale_max", 5)),
        T.NPS: st.integers(0, 10),
        T.CSAT: st.integers(1, 5),
        T.CES: st.integers(1, 7),
        T.SINGLE_CHOICE: st.sampled_from([o.value for o in spec.options] or ["x"]),
        T.MULTI_CHOICE: st.lists(st.sampled_from([o.value for o in spec.options] or ["x"])),
        T.NUMBER: st.floats(-1e6, 1e6),
        T.DURATION: st.floats(0, 1e6),
        T.DATETIME: st.datetimes().map(datetime.isoformat),
        # Text as cxaudit.textinput takes it: no control character but tab and line breaks.
        T.SHORT_TEXT: st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=255),
        T.LONG_TEXT: st.text(
            st.characters(exclude_categories=["Cc", "Cs"], include_characters="\n\t"),
            max_size=300,
        ),
        T.FILE: st.from_regex(r"[a-z0-9_]{1,20}\.jpg", fullmatch=True),
    }
    raw = draw(st.just("NA") | raws[qtype] if spec.allow_na else raws[qtype])
    return spec, clean_answer(spec, raw)


@settings(max_examples=300, deadline=None)
@given(specs_with_answers())
def test_normalise_is_within_0_100_or_none(case: tuple[QuestionSpec, CleanValue]) -> None:
    spec, value = case
    result = normalise(spec, value)
    assert result is None or 0.0 <= result <= 100.0
    assert (agrees(spec, value) is None) or (native(spec, value) is not None)
