"""Bulk re-scoring: the stored scores of a whole survey (or wave) recomputed after a rule change.

It stores exactly what the reference path (``services.rescore_responses``, one response at a
time through ``scoring.score_response``) stores, but reads no answer into Python:

1. Each scored question becomes one row of a small parameter relation (its section, possible
   points, what N/A counts for, and a lookup of the points each answer earns), computed in
   Python by the very functions the reference path uses (``scoring.score_item``).
2. One SQL statement per batch of responses joins the answers to that relation and sums the
   counted points per response and section, and flags failed knock-out questions.
3. Python turns those section totals into the response score with ``scoring.total_response``
   (the second half of ``score_response``), and one UPDATE writes the batch back.

Exactness: the reference sums items with ``math.fsum`` (the correctly rounded exact sum), so
the points are summed here as ``numeric`` built from the exact decimal expansion of each item's
float, and rounded once to float8 at the end (PostgreSQL's numeric to float8 cast is correctly
rounded): the sums are bit-for-bit those of the reference. Scales, numbers and durations are
read from ``value_num`` and yes/no from ``value_num`` too; the form engine writes it from the
same cleaned value as ``value`` (``question_types.native``), and answers never change.

Skip logic: submission never stores answers to hidden questions, so usually nothing is hidden
among the stored answers. When a survey has conditions, the answers they look at are read
(only those), visibility is evaluated with ``scoring.visible_codes``, and any response that
does store an answer to a hidden question is scored by the reference path instead.

Each batch commits on its own, so a crash leaves every response either fully old or fully new;
re-running recomputes from the answers (idempotent) and rewrites only rows whose score differs.
A session advisory lock per survey serialises concurrent re-scores of one survey, so the last
rule change always wins.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import connection, transaction
from psycopg import sql

from cxaudit.journeys.models import Wave

from .cleaning import clean_answer
from .models import Response, Survey
from .question_types import (
    COMPARATORS,
    NA,
    Kind,
    QuestionSpec,
    QuestionType,
    max_points,
    scale_bounds,
)
from .scoring import (
    SectionSpec,
    SectionTotal,
    SurveyScoringRules,
    score_item,
    total_response,
    visible_codes,
)
from .services import Structure, explain_response, load_structure, stored_score

BATCH_SIZE = 10_000
_LOCK_NAMESPACE = 0x5C0E  # advisory lock key: (namespace, survey id)

# Earned points by kind of question: how the SQL finds them (see _ITEM_SQL).
K_BOOLEAN, K_SCALE, K_MEASURE, K_SINGLE, K_MULTI_SUM, K_MULTI_LOOKUP = 1, 2, 3, 4, 5, 6
_COMPARATOR_CODES = {"<": 1, "<=": 2, "=": 3, ">=": 4, ">": 5}
assert set(_COMPARATOR_CODES) == set(COMPARATORS)


def _exact(x: float) -> str:
    """The exact decimal expansion of a float, as a numeric literal's text."""
    return format(Decimal(x), "f")


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
       sum(x.earned)::float8, sum(x.possible)::float8, bool_or(x.failed)
FROM (
    SELECT a.response_id, q.section,
           CASE WHEN a.is_na THEN q.na_earned ELSE e.earned END AS earned,
           CASE WHEN a.is_na THEN q.na_possible ELSE q.possible END AS possible,
           q.critical AND NOT a.is_na AND e.earned < q.top AS failed
    FROM surveys_answer a
    JOIN ({params}) AS q (question_id, section, kind, possible, top, na_earned,
                          na_possible, critical, lo, vals, keys, target, comparator)
      ON q.question_id = a.question_id
    CROSS JOIN LATERAL (SELECT {earned} AS earned) e
    WHERE a.response_id = ANY(%s) AND a.value IS NOT NULL
) x
GROUP BY x.response_id, x.section
"""


def _params_sql(params: list[_QuestionParams]) -> str:
    width = max((len(p.keys) for p in params if p.kind == K_MULTI_SUM), default=0)
    rows = []
    for p in params:
        na_earned, na_possible = p.na or (0.0, 0.0)
        keys = p.keys + [None] * (width - len(p.keys)) if p.kind == K_MULTI_SUM else p.keys
        rows.append(
            sql.SQL(
                "({id}::bigint, {sec}::int, {kind}::int, {possible}::numeric, {full}::numeric, "
                "{na_e}::numeric, {na_p}::numeric, {critical}::bool, {lo}::int, "
                "{vals}::numeric[], {keys}::text[], {target}::float8, {cmp}::int)"
            ).format(
                id=sql.Literal(p.question_id),
                sec=sql.Literal(p.section),
                kind=sql.Literal(p.kind),
                possible=sql.Literal(_exact(p.possible)),
                full=sql.Literal(_exact(p.full)),
                na_e=sql.Literal(_exact(na_earned)),
                na_p=sql.Literal(_exact(na_possible)),
                critical=sql.Literal(p.critical),
                lo=sql.Literal(p.lo),
                vals=sql.Literal("{" + ",".join(_exact(v) for v in p.values) + "}"),
                keys=sql.Literal(keys),
                target=sql.Literal(repr(p.target)),
                cmp=sql.Literal(p.comparator),
            )
        )
    values = sql.SQL("VALUES ") + sql.SQL(", ").join(rows)
    connection.ensure_connection()
    return values.as_string(connection.connection)


@dataclass
class _Plan:
    structure: Structure
    aggregate_sql: str
    # Skip logic: the questions the conditions read, and those that may be hidden.
    referenced: dict[int, QuestionSpec]
    conditional: set[int]
    reduced_sections: tuple[SectionSpec, ...]


def _plan(survey: Survey) -> _Plan:
    structure = load_structure(survey)
    by_code = structure.questions
    section_index = {s.key: i for i, s in enumerate(structure.sections)}

    def answer_texts(question_id: int) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT value::text FROM surveys_answer "
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
        aggregate = _AGGREGATE_SQL.format(
            params=_params_sql(params).replace("%", "%%"), earned=_earned_sql(width)
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
    return _Plan(
        structure=structure,
        aggregate_sql=aggregate,
        referenced={by_code[c].pk: by_code[c].spec() for c in sorted(referenced_codes)},
        conditional={by_code[c].pk for c in conditional_codes},
        reduced_sections=reduced,
    )


def _hidden_answered(plan: _Plan, ids: list[int]) -> set[int]:
    """Responses of the batch that store an answer to a question their skip logic hides."""
    if not plan.conditional:
        return set()
    watched = sorted(set(plan.referenced) | plan.conditional)
    by_pk = {q.pk: q for q in plan.structure.questions.values()}
    stored: dict[int, dict[int, Any]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT response_id, question_id, value FROM surveys_answer "
            "WHERE response_id = ANY(%s) AND question_id = ANY(%s)",
            [ids, watched],
        )
        for response_id, question_id, value in cursor.fetchall():
            # Django's backend hands jsonb over as text; it decodes JSON fields itself.
            stored.setdefault(response_id, {})[question_id] = json.loads(value)
    memo: dict[tuple[str, ...], set[str]] = {}
    suspects = set()
    for response_id, answers in stored.items():
        key = tuple(json.dumps(answers.get(pk), sort_keys=True) for pk in plan.referenced)
        visible = memo.get(key)
        if visible is None:
            values = {
                spec.code: clean_answer(spec, answers[pk], enforce_required=False)
                for pk, spec in plan.referenced.items()
                if pk in answers
            }
            visible = memo[key] = visible_codes(plan.reduced_sections, values)
        if any(pk in plan.conditional and by_pk[pk].code not in visible for pk in answers):
            suspects.add(response_id)
    return suspects


_UPDATE_SQL = """
UPDATE surveys_response r
SET score_earned = t.earned, score_possible = t.possible, score_percent = t.percent,
    knocked_out = t.knocked_out, score_detail = t.detail::jsonb, scored_at = now()
FROM unnest(%s::bigint[], %s::float8[], %s::float8[], %s::float8[], %s::bool[], %s::text[])
     AS t (id, earned, possible, percent, knocked_out, detail)
WHERE r.id = t.id
  AND (r.score_earned IS DISTINCT FROM t.earned OR r.score_possible IS DISTINCT FROM t.possible
       OR r.score_percent IS DISTINCT FROM t.percent OR r.knocked_out IS DISTINCT FROM t.knocked_out
       OR r.score_detail IS DISTINCT FROM t.detail::jsonb OR r.scored_at IS NULL)
"""


def _rescore_batch(plan: _Plan, ids: list[int]) -> int:
    """Re-score one batch in one transaction; returns how many rows changed."""
    structure = plan.structure
    sections = structure.sections
    empty = SectionTotal(0.0, 0.0, False)
    totals: dict[int, list[SectionTotal]] = {pk: [empty] * len(sections) for pk in ids}
    with transaction.atomic(), connection.cursor() as cursor:
        if plan.aggregate_sql:
            # A generic plan would not know the parameter relation is tiny; JIT compiling the
            # big expression costs more than it saves at this size.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(plan.aggregate_sql, [ids])
            for response_id, section, earned, possible, failed in cursor.fetchall():
                totals[response_id][section] = SectionTotal(earned, possible, failed)
        suspects = _hidden_answered(plan, ids)
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        for pk in ids:
            if pk in suspects:
                score = explain_response(Response(pk=pk, survey=structure.survey), structure)
            else:
                score = total_response(structure.rules, sections, totals[pk])
            fields = stored_score(score)
            for column, value in zip(
                columns,
                (
                    pk,
                    fields["score_earned"],
                    fields["score_possible"],
                    fields["score_percent"],
                    fields["knocked_out"],
                    json.dumps(fields["score_detail"]),
                ),
                strict=True,
            ):
                column.append(value)
        cursor.execute(_UPDATE_SQL, list(columns))
        return cursor.rowcount


def rescore(
    *,
    survey: Survey,
    wave: Wave | None = None,
    responses: Iterable[Response | int] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Re-score the submitted responses of a survey version (optionally of one wave, or only
    the given responses) from their stored answers, in batches of one transaction each; writes
    only scores that change. Returns how many responses were re-scored."""
    queryset = Response.objects.filter(survey=survey, status=Response.Status.SUBMITTED)
    if wave is not None:
        queryset = queryset.filter(wave=wave)
    if responses is not None:
        wanted = [r.pk if isinstance(r, Response) else int(r) for r in responses]
        queryset = queryset.filter(pk__in=wanted)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, survey.pk])
    try:
        # Rules read under the lock: a re-score queued by a later change waits and wins.
        survey.refresh_from_db()
        plan = _plan(survey)
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        done = 0
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            _rescore_batch(plan, batch)
            done += len(batch)
            if progress is not None:
                progress(done, len(ids))
        return done
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, survey.pk])
