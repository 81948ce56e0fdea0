"""Bulk re-scoring: the stored scores of a whole survey (or wave) recomputed after a rule change.

It stores exactly what the reference path (``services.rescore_responses``, one response at a
time through ``scoring.score_response``) stores, but reads no answer into Python:

1. Each scored question becomes one row of a small parameter relation (its section, possible
   points, what N/A counts for, and a lookup of the points each answer earns), computed in
   Python by the very functions the reference path uses (``scoring.score_item``).
2. One SQL statement per batch of responses joins the answers to that relation and sums the
   counted points per response and section, and flags failed knock-out questions.
3. Python turns those section totals into the stored fields by the rules of
   ``scoring.total_response`` (the second half of ``score_response``), unrolled for speed in
   ``rescoring.combine``, and one UPDATE writes the batch back. While it does, two reader
   connections already sum the next batches.

Exactness: the reference sums items with ``math.fsum`` (the correctly rounded exact sum), so
the points are summed here exactly, as integers (each float times a common power of two, in
int8) or, when those would not fit, as ``numeric`` (each float's exact decimal expansion), and
rounded once to float8 at the end (PostgreSQL's numeric to float8 cast is correctly rounded):
the sums are bit-for-bit those of the reference. Yes/no, scales, numbers and durations are
read from ``value_num``, which the form engine writes from the same cleaned value as ``value``
(``question_types.native``); answers never change once submitted.

Skip logic: submission never stores answers to hidden questions, so usually nothing is hidden
among the stored answers. When a survey has conditions, the answers they look at are read
(only those), visibility is evaluated with ``scoring.visible_codes``, and any response that
does store an answer to a hidden question is scored by the reference path instead.

Each batch commits on its own, so a crash leaves every response either fully old or fully new;
re-running recomputes from the answers (idempotent) and rewrites only rows whose score differs.
A session advisory lock per survey serialises concurrent re-scores of one survey, so the last
rule change always wins.

All of this is PostgreSQL. On the embedded SQLite default (``make run`` without a database
server) the same batches go through the reference path, one response at a time.
"""

from __future__ import annotations

import json
import queue
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from cxaudit.journeys.models import Wave

from ...cleaning import clean_answer
from ...questionnaire.models import Survey
from ...questionnaire.structure import Structure, load_structure
from ...scoring import visible_codes
from ..models import Answer, Response
from ..services import explain_response, stored_score
from .plan import Plan, make_plan

BATCH_SIZE = 5_000
REFERENCE_BATCH_SIZE = 200  # without PostgreSQL (see _run_reference)
READERS = 2  # connections summing batches ahead of the writer
_LOCK_NAMESPACE = 0x5C0E  # advisory lock key: (namespace, survey id)


def _hidden_answered(plan: Plan, ids: list[int]) -> set[int]:
    """Responses of the batch that store an answer to a question their skip logic hides."""
    if not plan.conditional:
        return set()
    watched = sorted(set(plan.referenced) | plan.conditional)
    by_pk = {q.pk: q for q in plan.structure.questions.values()}
    stored: dict[int, dict[int, Any]] = {}
    answers = connection.ops.quote_name(Answer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT response_id, question_id, value FROM {answers} "  # noqa: S608 (our table)
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


# {responses}: the quoted table of Response.
_UPDATE_SQL = """
UPDATE {responses} r
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


Totals = dict[int, list[tuple[float, float, bool]]]


def _aggregate(plan: Plan, ids: list[int], conn: psycopg.Connection | None = None) -> Totals:
    """Section totals (earned, possible, knock-out failed) of each response of a batch, read on
    Django's connection, or on `conn` (a reader thread's own)."""
    empty = (0.0, 0.0, False)
    totals: Totals = {pk: [empty] * len(plan.structure.sections) for pk in ids}
    if not plan.aggregate_sql or not ids:
        return totals
    if conn is None:
        with transaction.atomic(), _raw_cursor() as cursor:
            rows = _aggregate_rows(cursor, plan, ids)
    else:
        with conn.transaction(), psycopg.Cursor(conn) as cursor:
            rows = _aggregate_rows(cursor, plan, ids)
    for response_id, section, earned, possible, failed in rows:
        totals[response_id][section] = (earned, possible, failed)
    return totals


def _aggregate_rows(cursor: psycopg.Cursor, plan: Plan, ids: list[int]) -> list[tuple]:
    # JIT compiling the big expression costs more than it saves at this size.
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    # Integers only: the literal is built from ints, never from text.
    literal = "'{" + ",".join(str(int(pk)) for pk in ids) + "}'::bigint[]"
    query = plan.aggregate_sql.replace("/*ids*/", literal)
    cursor.execute(query, [min(ids), max(ids)], binary=True)
    return cursor.fetchall()


def _store_batch(plan: Plan, ids: list[int], totals: Totals) -> int:
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
        update = _UPDATE_SQL.format(responses=connection.ops.quote_name(Response._meta.db_table))
        cursor.execute(update, [ids, earned, possible, percent, knocked_out, detail])
        return cursor.rowcount


def _run(plan: Plan, batches: list[list[int]], progress: Callable[[int, int], None] | None) -> int:
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
    # Pipelined: PostgreSQL sums the next batches (on other connections; answers never
    # change) while this thread combines and writes the current one.
    readers = [
        connection.get_new_connection(connection.get_connection_params())
        for _ in range(min(READERS, len(batches)))
    ]
    idle: queue.SimpleQueue[psycopg.Connection] = queue.SimpleQueue()
    for conn in readers:
        idle.put(conn)

    def read(batch: list[int]) -> Totals:
        conn = idle.get()
        try:
            return _aggregate(plan, batch, conn)
        finally:
            idle.put(conn)

    try:
        with ThreadPoolExecutor(max_workers=len(readers)) as pool:
            upcoming = deque(pool.submit(read, batch) for batch in batches[: len(readers)])
            for i, batch in enumerate(batches):
                totals = upcoming.popleft().result()
                if i + len(readers) < len(batches):
                    upcoming.append(pool.submit(read, batches[i + len(readers)]))
                stored(batch, totals)
    finally:
        for conn in readers:
            conn.close()
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
    if not bulk_supported():
        survey.refresh_from_db()
        # One response at a time is slow: smaller batches hold SQLite's write lock briefly.
        batches = _batches(queryset, min(batch_size, REFERENCE_BATCH_SIZE))
        return _run_reference(load_structure(survey), batches, progress)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, survey.pk])
    try:
        # Rules read under the lock: a re-score queued by a later change waits and wins.
        survey.refresh_from_db()
        # Ids first: the plan may list the answers given so far (multi-choice lookups), and
        # must know every answer of these responses.
        batches = _batches(queryset, batch_size)
        return _run(make_plan(survey), batches, progress)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, survey.pk])


def _batches(queryset, size: int) -> list[list[int]]:
    """The responses' ids in order, cut into batches of `size`."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def bulk_supported() -> bool:
    """The bulk path is PostgreSQL SQL (arrays, advisory locks, server-side binding)."""
    return connection.vendor == "postgresql"


def _run_reference(
    structure: Structure, batches: list[list[int]], progress: Callable[[int, int], None] | None
) -> int:
    """The embedded SQLite default: each response by the reference functions, in the same
    batches of one transaction each, writing only scores that change. SQLite has no advisory
    locks; instead each batch reads the rules again inside its transaction (which holds the
    write lock from its start, settings.DATABASES) and continues under newer ones, so a
    re-score overlapping a later rule change never writes the older rules after it."""
    total = sum(len(batch) for batch in batches)
    done = 0
    survey = structure.survey
    rules = _rules_of(survey)
    for batch in batches:
        with transaction.atomic():
            latest = Survey.objects.get(pk=survey.pk)
            if _rules_of(latest) != rules:
                structure, rules = load_structure(latest), _rules_of(latest)
            for response in Response.objects.filter(pk__in=batch).order_by("pk"):
                fields = stored_score(explain_response(response, structure))
                stale = response.scored_at is None or any(
                    getattr(response, name) != value for name, value in fields.items()
                )
                if stale:
                    now = timezone.now()  # updated_at too: API clients sync by it
                    Response.objects.filter(pk=response.pk).update(
                        **fields, scored_at=now, updated_at=now
                    )
        done += len(batch)
        if progress is not None:
            progress(done, total)
    return done


def _rules_of(survey: Survey) -> tuple[Any, ...]:
    return (survey.na_policy, survey.bonus_cap, survey.critical_scope)
