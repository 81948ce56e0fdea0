"""The parameter relation and the aggregate SQL of a bulk re-score (see
surveys.responses.rescoring)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection
from psycopg import sql

from ...cleaning import clean_answer
from ...question_types import (
    COMPARATORS,
    NA,
    Kind,
    QuestionSpec,
    QuestionType,
    max_points,
    scale_bounds,
)
from ...questionnaire.models import Survey
from ...questionnaire.structure import Structure, load_structure
from ...scoring import SectionSpec, SurveyScoringRules, score_item
from ..models import Answer
from .combine import Combiner

# Earned points by kind of question: how the SQL finds them (see _earned_sql).
K_BOOLEAN, K_SCALE, K_MEASURE, K_SINGLE, K_MULTI_SUM, K_MULTI_LOOKUP = 1, 2, 3, 4, 5, 6
_COMPARATOR_CODES = {"<": 1, "<=": 2, "=": 3, ">=": 4, ">": 5}
assert set(_COMPARATOR_CODES) == set(COMPARATORS)


def _exact(x: float, scale_bits: int | None) -> str:
    """A float as the text of an exact literal: its decimal expansion (numeric), or the
    integer x * 2**scale_bits (int8)."""
    if scale_bits is None:
        return format(Decimal(x), "f")
    scaled = Fraction(x) * 2**scale_bits
    assert scaled.denominator == 1
    return str(scaled.numerator)


def _scale_bits(params: list[_QuestionParams]) -> int | None:
    """The power of two that turns every point value of the survey into an integer small
    enough for int8 arithmetic, or None (then the SQL sums numeric, slower but as exact).

    Floats are dyadic rationals, so such a power always exists; int8 sums (accumulated in
    128 bits by PostgreSQL) are markedly faster than numeric ones."""
    values = [
        Fraction(v) for p in params for v in (p.possible, p.full, *(p.na or ()), *p.values) if v
    ]
    if not values:
        return 0
    bits = max(f.denominator.bit_length() - 1 for f in values)
    if max(abs(f) for f in values) * 2**bits >= 2**58:  # headroom for in-row option sums
        return None
    return bits


@dataclass
class _QuestionParams:
    """One row of the parameter relation: everything the SQL needs about one scored question."""

    question_id: int
    section: int  # index in the survey's sections
    kind: int
    possible: float  # the question's possible points when answered (0 for a bonus)
    full: float  # max_points: the threshold under which a knock-out fails
    na: tuple[float, float] | None  # (earned, possible) of an N/A answer; None = not counted
    critical: bool
    lo: int = 0  # scale minimum (the first element of `values`)
    values: list[float] = field(default_factory=list)  # earned by scale step / option
    keys: list[str] = field(default_factory=list)  # option values (or answer texts)
    target: float = 0.0
    comparator: int = 0


def _item(spec: QuestionSpec, rules: SurveyScoringRules, value: Any) -> tuple[float, float, bool]:
    """(earned, possible, knock-out failed) of one answer, by the reference function."""
    item = score_item(spec, clean_answer(spec, value, enforce_required=False), rules)
    if not item.counted:
        return 0.0, 0.0, False
    return item.earned, item.possible, item.knock_out


def _subset_sums_exact(points: Iterable[float]) -> bool:
    """Whether every sum of a subset of these floats is itself exactly a float, so that the
    reference's fsum over ticked options equals their exact sum in numeric."""
    fractions = [Fraction(p) for p in points if p > 0]
    if not fractions:
        return True
    scale = max(f.denominator for f in fractions)  # a power of two: floats are dyadic
    return sum(f * scale for f in fractions) < 2**53


def _question_params(
    spec: QuestionSpec,
    question_id: int,
    section: int,
    rules: SurveyScoringRules,
    answer_texts: Callable[[int], list[str]],
) -> _QuestionParams | None:
    full = max_points(spec)
    if full <= 0:
        return None  # never counted: its answers are left out of the SQL entirely
    kind = spec.info.kind
    # What an answer counts for, from the reference: possible does not depend on the value.
    if kind is Kind.BOOLEAN:
        probe: Any = True
    elif kind is Kind.SCALE:
        probe = (scale_bounds(spec) or (0, 0))[1]
    elif kind is Kind.MEASURE:
        probe = float(spec.target_value)  # type: ignore[arg-type]
    elif spec.type == QuestionType.SINGLE_CHOICE:
        probe = spec.options[0].value
    else:
        probe = [spec.options[0].value]
    _, possible, _ = _item(spec, rules, probe)
    na = score_item(spec, NA, rules)
    params = _QuestionParams(
        question_id=question_id,
        section=section,
        kind=0,
        possible=possible,
        full=full,
        na=(na.earned, na.possible) if na.counted else None,
        critical=spec.critical and not spec.bonus,
    )
    if kind is Kind.BOOLEAN:
        params.kind = K_BOOLEAN
        params.values = [_item(spec, rules, False)[0], _item(spec, rules, True)[0]]
    elif kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (0, 0)
        params.kind, params.lo = K_SCALE, lo
        params.values = [_item(spec, rules, v)[0] for v in range(lo, hi + 1)]
    elif kind is Kind.MEASURE:
        params.kind = K_MEASURE
        params.target = float(spec.target_value)  # type: ignore[arg-type]
        params.comparator = _COMPARATOR_CODES[str(spec.target_comparator)]
        # Not met earns 0 and met earns the points (scoring._answer_text), bonus or not.
        params.values = [0.0, full]
    elif spec.type == QuestionType.SINGLE_CHOICE:
        params.kind = K_SINGLE
        params.keys = [o.value for o in spec.options]
        params.values = [_item(spec, rules, o.value)[0] for o in spec.options]
    elif all(o.points >= 0 for o in spec.options) and _subset_sums_exact(
        o.points for o in spec.options
    ):
        params.kind = K_MULTI_SUM
        params.keys = [o.value for o in spec.options]
        params.values = [float(o.points) for o in spec.options]
    else:
        # Rounding could differ between fsum and numeric: look the answers up one by one.
        params.kind = K_MULTI_LOOKUP
        params.keys = answer_texts(question_id)
        params.values = [_item(spec, rules, json.loads(text))[0] for text in params.keys]
    return params


# The earned points of a non-N/A answer `a` to question `q` (a row of the parameter relation).
# A multi-choice sum covers up to {width} options; unused slots hold NULL, and `?` NULL is NULL.
_CLOSE = (
    "(abs(a.value_num - q.target) <= greatest(1e-9::float8 * greatest(abs(a.value_num), "
    "abs(q.target)), 1e-9::float8))"
)
_MET = (
    f"CASE q.comparator WHEN 1 THEN a.value_num < q.target AND NOT {_CLOSE} "
    f"WHEN 2 THEN a.value_num < q.target OR {_CLOSE} WHEN 3 THEN {_CLOSE} "
    f"WHEN 4 THEN a.value_num > q.target OR {_CLOSE} "
    f"ELSE a.value_num > q.target AND NOT {_CLOSE} END"
)


def _earned_sql(multi_width: int) -> str:
    ticked = " + ".join(
        f"CASE WHEN a.value ? q.keys[{i}] THEN q.vals[{i}] ELSE 0 END"
        for i in range(1, multi_width + 1)
    )
    return (
        "CASE q.kind "
        f"WHEN {K_BOOLEAN} THEN q.vals[CASE WHEN a.value_num > 0 THEN 2 ELSE 1 END] "
        f"WHEN {K_SCALE} THEN q.vals[a.value_num::int - q.lo + 1] "
        f"WHEN {K_MEASURE} THEN q.vals[CASE WHEN {_MET} THEN 2 ELSE 1 END] "
        f"WHEN {K_SINGLE} THEN coalesce(q.vals[array_position(q.keys, a.value #>> '{{}}')], 0) "
        f"WHEN {K_MULTI_SUM} THEN least(q.top, {ticked or '0'}) "
        f"ELSE coalesce(q.vals[array_position(q.keys, a.value::text)], 0) END"
    )


_AGGREGATE_SQL = """
SELECT x.response_id, x.section,
       {total_earned}, {total_possible}, bool_or(x.failed)
FROM (
    SELECT a.response_id, q.section,
           CASE WHEN a.is_na THEN q.na_earned ELSE e.earned END AS earned,
           CASE WHEN a.is_na THEN q.na_possible ELSE q.possible END AS possible,
           q.critical AND NOT a.is_na AND e.earned < q.top AS failed
    FROM {answers} a
    JOIN ({params}) AS q (question_id, section, kind, possible, top, na_earned,
                          na_possible, critical, lo, vals, keys, target, comparator)
      ON q.question_id = a.question_id
    CROSS JOIN LATERAL (SELECT {earned} AS earned) e
    -- The batch's id range drives a bitmap scan of the response_id index (one index range);
    -- the ids themselves, inlined as a constant, are a hashed filter (`+ 0` keeps them out of
    -- the index condition). With `= ANY(array)` alone the planner reads the whole table for
    -- every batch, and a bound array parameter is searched linearly, not hashed.
    WHERE a.response_id BETWEEN %s::bigint AND %s::bigint
      AND a.response_id + 0 = ANY(/*ids*/) AND a.value IS NOT NULL
    OFFSET 0  -- computes the points before grouping, so only narrow rows are grouped
) x
GROUP BY x.response_id, x.section
"""


def _params_sql(params: list[_QuestionParams], bits: int | None) -> str:
    width = max((len(p.keys) for p in params if p.kind == K_MULTI_SUM), default=0)
    rows = []
    for p in params:
        na_earned, na_possible = p.na or (0.0, 0.0)
        keys = p.keys + [None] * (width - len(p.keys)) if p.kind == K_MULTI_SUM else p.keys
        rows.append(
            sql.SQL(
                "({id}::bigint, {sec}::int, {kind}::int, {possible}::{t}, {full}::{t}, "
                "{na_e}::{t}, {na_p}::{t}, {critical}::bool, {lo}::int, "
                "{vals}::{t}[], {keys}::text[], {target}::float8, {cmp}::int)"
            ).format(
                id=sql.Literal(p.question_id),
                sec=sql.Literal(p.section),
                kind=sql.Literal(p.kind),
                possible=sql.Literal(_exact(p.possible, bits)),
                full=sql.Literal(_exact(p.full, bits)),
                na_e=sql.Literal(_exact(na_earned, bits)),
                na_p=sql.Literal(_exact(na_possible, bits)),
                critical=sql.Literal(p.critical),
                lo=sql.Literal(p.lo),
                vals=sql.Literal("{" + ",".join(_exact(v, bits) for v in p.values) + "}"),
                t=sql.SQL("numeric" if bits is None else "int8"),
                keys=sql.Literal(keys),
                target=sql.Literal(repr(p.target)),
                cmp=sql.Literal(p.comparator),
            )
        )
    values = sql.SQL("VALUES ") + sql.SQL(", ").join(rows)
    connection.ensure_connection()
    return values.as_string(connection.connection)


@dataclass
class Plan:
    structure: Structure
    aggregate_sql: str
    # Skip logic: the questions the conditions read, and those that may be hidden.
    referenced: dict[int, QuestionSpec]
    conditional: set[int]
    reduced_sections: tuple[SectionSpec, ...]
    combine: Combiner


def make_plan(survey: Survey) -> Plan:
    structure = load_structure(survey)
    by_code = structure.questions
    section_index = {s.key: i for i, s in enumerate(structure.sections)}

    answers = connection.ops.quote_name(Answer._meta.db_table)

    def answer_texts(question_id: int) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT value::text FROM {answers} "  # noqa: S608 (our table)
                "WHERE question_id = %s AND NOT is_na AND value IS NOT NULL",
                [question_id],
            )
            return [row[0] for row in cursor.fetchall()]

    params = [
        p
        for section in structure.sections
        for spec in section.questions
        if (
            p := _question_params(
                spec,
                by_code[spec.code].pk,
                section_index[section.key],
                structure.rules,
                answer_texts,
            )
        )
        is not None
    ]
    if params:
        width = max((len(p.keys) for p in params if p.kind == K_MULTI_SUM), default=0)
        bits = _scale_bits(params)
        if bits is None:
            total = "sum(x.{})::float8"
        else:
            # Exact integer sum, rounded once to float8, then scaled back exactly (a power of 2).
            total = f"sum(x.{{}})::float8 * {2.0**-bits!r}::float8"
        aggregate = _AGGREGATE_SQL.format(
            answers=answers,
            params=_params_sql(params, bits).replace("%", "%%"),
            earned=_earned_sql(width),
            total_earned=total.format("earned"),
            total_possible=total.format("possible"),
        )
    else:
        aggregate = ""

    referenced_codes = {
        cond.question_code
        for s in structure.sections
        for cond in [s.show_if, *(q.show_if for q in s.questions)]
        if cond is not None
    }
    conditional_codes = {
        q.code
        for s in structure.sections
        for q in s.questions
        if s.show_if is not None or q.show_if is not None
    }
    keep = referenced_codes | conditional_codes
    reduced = tuple(
        SectionSpec(
            key=s.key,
            questions=tuple(q for q in s.questions if q.code in keep),
            weight=s.weight,
            show_if=s.show_if,
        )
        for s in structure.sections
    )
    return Plan(
        structure=structure,
        aggregate_sql=aggregate,
        referenced={by_code[c].pk: by_code[c].spec() for c in sorted(referenced_codes)},
        conditional={by_code[c].pk for c in conditional_codes},
        reduced_sections=reduced,
        combine=Combiner(structure),
    )
