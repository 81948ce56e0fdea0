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
the points are summed here exactly, as integers (each float times a common power of two, in
int8) or, when those would not fit, as ``numeric`` (each float's exact decimal expansion), and
rounded once to float8 at the end (PostgreSQL's numeric to float8 cast is correctly rounded):
the sums are bit-for-bit those of the reference. Scales, numbers and durations are
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
import math
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import psycopg
from django.db import connection, connections, transaction
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
    CriticalScope,
    SectionSpec,
    SurveyScoringRules,
    score_item,
    visible_codes,
)
from .services import Structure, explain_response, load_structure, stored_score

BATCH_SIZE = 10_000
_LOCK_NAMESPACE = 0x5C0E  # advisory lock key: (namespace, survey id)

# Earned points by kind of question: how the SQL finds them (see _ITEM_SQL).
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
    FROM surveys_answer a
    JOIN ({params}) AS q (question_id, section, kind, possible, top, na_earned,
                          na_possible, critical, lo, vals, keys, target, comparator)
      ON q.question_id = a.question_id
    CROSS JOIN LATERAL (SELECT {earned} AS earned) e
    WHERE a.response_id = ANY(%s) AND a.value IS NOT NULL
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
class _Plan:
    structure: Structure
    aggregate_sql: str
    # Skip logic: the questions the conditions read, and those that may be hidden.
    referenced: dict[int, QuestionSpec]
    conditional: set[int]
    reduced_sections: tuple[SectionSpec, ...]
    combine: _Combiner


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
        bits = _scale_bits(params)
        if bits is None:
            total = "sum(x.{})::float8"
        else:
            # Exact integer sum, rounded once to float8, then scaled back exactly (a power of 2).
            total = f"sum(x.{{}})::float8 * {2.0**-bits!r}::float8"
        aggregate = _AGGREGATE_SQL.format(
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
    return _Plan(
        structure=structure,
        aggregate_sql=aggregate,
        referenced={by_code[c].pk: by_code[c].spec() for c in sorted(referenced_codes)},
        conditional={by_code[c].pk for c in conditional_codes},
        reduced_sections=reduced,
        combine=_Combiner(structure),
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
FROM unnest(%b::bigint[], %b::float8[], %b::float8[], %b::float8[], %b::bool[], %b::text[])
     AS t (id, earned, possible, percent, knocked_out, detail)
WHERE r.id = t.id
  AND (r.score_earned IS DISTINCT FROM t.earned OR r.score_possible IS DISTINCT FROM t.possible
       OR r.score_percent IS DISTINCT FROM t.percent OR r.knocked_out IS DISTINCT FROM t.knocked_out
       OR r.score_detail IS DISTINCT FROM t.detail::jsonb OR r.scored_at IS NULL)
"""


def _raw_cursor() -> psycopg.Cursor:
    """A psycopg cursor binding parameters on the server: Django's client-side binding quotes
    big arrays in Python (seconds per batch), the protocol sends them as they are."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


class _Combiner:
    """``scoring.total_response`` followed by ``services.stored_score`` and the JSON encoding,
    unrolled for one survey: at 100,000 responses the generic path (dataclasses, dicts,
    json.dumps) costs more than the SQL. The property tests hold it to the reference."""

    def __init__(self, structure: Structure) -> None:
        rules = structure.rules
        self.cap = rules.bonus_cap
        self.section_scope = rules.critical_scope is CriticalScope.SECTION
        self.keys = [json.dumps(s.key) for s in structure.sections]
        self.weighted = any(s.weight is not None for s in structure.sections)
        self.weights: list[float | None] = [None] * len(self.keys)
        if self.weighted:
            self.weights = [
                1.0 if s.weight is None else float(s.weight) for s in structure.sections
            ]
            if any(not math.isfinite(w) or w < 0 for w in self.weights):
                raise ValueError("section weights must be >= 0")
        self.method = '"weighted"' if self.weighted else '"pooled"'

    def __call__(self, totals: list[tuple[float, float, bool]]) -> tuple[Any, ...]:
        cap, section_scope = self.cap, self.section_scope
        form_knocked_out = any_knocked_out = False
        earned_all, possible_all, parts, terms = [], [], [], []
        for key, weight, (earned, possible, failed) in zip(
            self.keys, self.weights, totals, strict=True
        ):
            knocked_out = failed and section_scope
            if failed and not knocked_out:
                form_knocked_out = True
            if knocked_out:
                earned, any_knocked_out = 0.0, True
            if possible > 0:
                percent: float | None = earned / possible * 100
                if cap and percent > 100.0:  # type: ignore[operator]
                    percent = 100.0
                if weight is not None:
                    terms.append((weight, percent))
            else:
                percent = None
            earned_all.append(earned)
            possible_all.append(possible)
            parts.append(
                f'{{"key": {key}, "earned": {earned!r}, "possible": {possible!r}, '
                f'"percent": {_json_number(percent)}, "weight": {_json_number(weight)}, '
                f'"knocked_out": {"true" if knocked_out else "false"}}}'
            )
        earned = math.fsum(earned_all)
        possible = math.fsum(possible_all)
        if self.weighted:
            total_weight = math.fsum(w for w, _ in terms)
            if total_weight <= 0:
                percent = None
            else:
                mean = math.fsum(w * p for w, p in terms) / total_weight  # type: ignore[operator]
                shares = [p for w, p in terms if w > 0]
                percent = min(max(mean, min(shares)), max(shares))  # type: ignore[type-var]
        elif possible > 0:
            percent = earned / possible * 100
            if cap and percent > 100.0:
                percent = 100.0
        else:
            percent = None
        if form_knocked_out:
            earned, percent = 0.0, 0.0
        detail = (
            f'{{"method": {self.method}, "knocked_out": {"true" if form_knocked_out else "false"}'
            f', "sections": [{", ".join(parts)}]}}'
        )
        return earned, possible, percent, form_knocked_out or any_knocked_out, detail


def _json_number(x: float | None) -> str:
    return "null" if x is None else repr(x)


Totals = dict[int, list[tuple[float, float, bool]]]


def _aggregate(plan: _Plan, ids: list[int]) -> Totals:
    """Section totals (earned, possible, knock-out failed) of each response of a batch."""
    empty = (0.0, 0.0, False)
    totals: Totals = {pk: [empty] * len(plan.structure.sections) for pk in ids}
    if not plan.aggregate_sql:
        return totals
    with transaction.atomic(), _raw_cursor() as cursor:
        # JIT compiling the big expression costs more than it saves at this size.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(plan.aggregate_sql, [ids], binary=True)
        for response_id, section, earned, possible, failed in cursor.fetchall():
            totals[response_id][section] = (earned, possible, failed)
    return totals


def _aggregate_in_thread(plan: _Plan, ids: list[int]) -> Totals:
    try:
        return _aggregate(plan, ids)
    finally:
        connections.close_all()  # this thread's own connection


def _store_batch(plan: _Plan, ids: list[int], totals: Totals) -> int:
    """Write one batch in one transaction; returns how many rows changed."""
    structure = plan.structure
    with transaction.atomic(), _raw_cursor() as cursor:
        suspects = _hidden_answered(plan, ids)
        rows = []
        for pk in ids:
            if pk in suspects:
                score = explain_response(Response(pk=pk, survey=structure.survey), structure)
                fields = stored_score(score)
                rows.append(
                    (
                        fields["score_earned"],
                        fields["score_possible"],
                        fields["score_percent"],
                        fields["knocked_out"],
                        json.dumps(fields["score_detail"]),
                    )
                )
            else:
                rows.append(plan.combine(totals[pk]))
        earned, possible, percent, knocked_out, detail = (list(c) for c in zip(*rows, strict=True))
        cursor.execute(_UPDATE_SQL, [ids, earned, possible, percent, knocked_out, detail])
        return cursor.rowcount


def _run(plan: _Plan, batches: list[list[int]], progress: Callable[[int, int], None] | None) -> int:
    total = sum(len(batch) for batch in batches)
    done = 0

    def stored(batch: list[int], totals: Totals) -> None:
        nonlocal done
        _store_batch(plan, batch, totals)
        done += len(batch)
        if progress is not None:
            progress(done, total)

    if connection.in_atomic_block or len(batches) < 2:
        # Inside a caller's transaction another connection would not see its rows.
        for batch in batches:
            stored(batch, _aggregate(plan, batch))
        return done
    # Pipelined: PostgreSQL sums the next batch (on a second connection; answers never
    # change) while this thread combines and writes the current one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(_aggregate_in_thread, plan, batches[0])
        for i, batch in enumerate(batches):
            totals = upcoming.result()
            if i + 1 < len(batches):
                upcoming = pool.submit(_aggregate_in_thread, plan, batches[i + 1])
            stored(batch, totals)
    return done


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
        batches = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
        return _run(plan, batches, progress)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, survey.pk])
