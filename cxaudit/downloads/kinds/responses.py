"""The responses export: one row per response, one column per question code, read in one
query on PostgreSQL (a pivot of each response's answers) or two merged cursors elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection

from cxaudit.errors import DomainError
from surveys.models import Answer, Question, Response, Survey

from .base import Request, Row, Table, counter, located, stem_for

# --- responses: one row per response, one column per question code ---------------------------

CONTEXT_COLUMNS = [
    "response_id",
    "survey",
    "version",
    "source",
    "location",
    "location_name",
    "wave",
    "submitted_at",
    "respondent",
    "counted",
    "score_percent",
    "score_earned",
    "score_possible",
    "knocked_out",
]
NUMERIC_TYPES = {"rating", "nps", "csat", "ces", "number", "duration"}
LIST_TYPES = {"multi_choice"}


@dataclass(frozen=True)
class ColumnMap:
    """Where each answer and section score goes in a response row, decided once per export."""

    question_codes: list[str]
    section_titles: list[str]
    column_of_question: dict[int, int]  # question id -> index among the question columns
    column_of_section: dict[str, int]  # section key (its id) -> index among section columns
    numeric: frozenset[int]  # question columns holding numbers
    listed: frozenset[int]  # question columns holding lists (multiple choice)
    surveys: dict[int, tuple[str, int]]  # survey id -> (code, version)

    @property
    def header(self) -> list[str]:
        sections = [f"section: {title}" for title in self.section_titles]
        return [*CONTEXT_COLUMNS, *sections, *self.question_codes]


def column_map(org, survey_code: str) -> ColumnMap:
    """The columns of every version of the survey `survey_code`: the newest version's order
    first, then codes only older versions asked (two queries)."""
    surveys = {
        s.pk: (s.code, s.version)
        for s in Survey.objects.for_org(org).filter(code=survey_code).order_by("-version")
    }
    if not surveys:
        raise DomainError(f"No survey with code {survey_code!r}.", field="survey")
    questions = (
        Question.objects.filter(survey_id__in=surveys)
        .select_related("section")
        .order_by("-survey__version", "section__position", "section_id", "position", "pk")
    )
    codes: dict[str, int] = {}
    titles: dict[str, int] = {}
    by_question: dict[int, int] = {}
    by_section: dict[str, int] = {}
    numeric: set[int] = set()
    listed: set[int] = set()
    for q in questions:
        index = codes.setdefault(q.code, len(codes))
        by_question[q.pk] = index
        if q.type in NUMERIC_TYPES:
            numeric.add(index)
        elif q.type in LIST_TYPES:
            listed.add(index)
        title = q.section.title or f"Section {q.section.position + 1}"
        by_section[str(q.section_id)] = titles.setdefault(title, len(titles))
    return ColumnMap(
        question_codes=list(codes),
        section_titles=list(titles),
        column_of_question=by_question,
        column_of_section=by_section,
        numeric=frozenset(numeric),
        listed=frozenset(listed),
        surveys=surveys,
    )


def _responses_qs(req: Request, survey_ids):
    qs = Response.objects.for_org(req.org).submitted().filter(survey_id__in=list(survey_ids))
    return located(req, qs)


# The pivot in PostgreSQL: each response with its answers' question ids and values (as text:
# a list answer comes as its JSON, joined in Python) as two arrays, gathered through the
# index on the answers' response.
PIVOT_SQL = """
SELECT r.id, r.survey_id, r.source, l.code, l.name, w.name, r.submitted_at,
       COALESCE(NULLIF(r.respondent_ref, ''), u.email, ''), r.counted, r.score_percent,
       r.score_earned, r.score_possible, r.knocked_out, r.score_detail -> 'sections',
       ans.qids, ans.vals
FROM surveys_response r
LEFT JOIN accounts_location l ON l.id = r.location_id
LEFT JOIN journeys_wave w ON w.id = r.wave_id
LEFT JOIN accounts_user u ON u.id = r.respondent_id
LEFT JOIN LATERAL (
    SELECT array_agg(a.question_id) AS qids, array_agg(a.value #>> '{}') AS vals
    FROM surveys_answer a WHERE a.response_id = r.id
) ans ON true
WHERE r.id IN (%s)
ORDER BY r.id
"""
CHUNK = 2000


def pivot_rows_postgresql(req: Request, cmap: ColumnMap, qs) -> Iterator[tuple]:
    """(context…, section details, question ids, values) per response, from one server-side
    cursor (one query whatever the number of responses)."""
    inner, params = qs.order_by().values("pk").query.sql_with_params()
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(PIVOT_SQL % inner, params)
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk
    finally:
        cursor.close()


def answer_text(value: Any) -> Any:
    """An answer's JSON value as the pivot query renders it."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def pivot_rows_portable(req: Request, cmap: ColumnMap, qs) -> Iterator[tuple]:
    """The same rows on any database: responses and their answers read as two streams sorted
    by response id and merged (two queries whatever the number of responses)."""
    responses = (
        qs.order_by("pk")
        .values_list(
            "pk",
            "survey_id",
            "source",
            "location__code",
            "location__name",
            "wave__name",
            "submitted_at",
            "respondent_ref",
            "respondent__email",
            "counted",
            "score_percent",
            "score_earned",
            "score_possible",
            "knocked_out",
            "score_detail",
        )
        .iterator(chunk_size=CHUNK)
    )
    answers = (
        Answer.objects.filter(response__in=qs.order_by().values("pk"))
        .order_by("response_id")
        .values_list("response_id", "question_id", "value")
        .iterator(chunk_size=CHUNK * 50)
    )
    pending = next(answers, None)
    for r in responses:
        qids, vals = [], []
        while pending is not None and pending[0] <= r[0]:
            if pending[0] == r[0]:
                qids.append(pending[1])
                vals.append(answer_text(pending[2]))
            pending = next(answers, None)
        detail = r[14] or {}
        yield (
            *r[:7],
            r[7] or r[8] or "",
            *r[9:14],
            detail.get("sections"),
            qids,
            vals,
        )


def _number(value: Any) -> Any:
    try:
        return float(value) if isinstance(value, str) and value != "NA" else value
    except ValueError:
        return value


@lru_cache(maxsize=4096)
def _joined(value: str) -> str:
    """A list answer's JSON text as the responses CSV import reads it: "tea; cake"."""
    try:
        items = json.loads(value)
    except ValueError:
        return value
    return answer_text(items) if isinstance(items, list) else value


def response_rows(req: Request, cmap: ColumnMap, qs) -> Iterator[Row]:
    reader = pivot_rows_postgresql if connection.vendor == "postgresql" else pivot_rows_portable
    n_sections, n_questions = len(cmap.section_titles), len(cmap.question_codes)
    of_question, of_section = cmap.column_of_question, cmap.column_of_section
    # Per question column, what its text needs (most need nothing): numbers for XLSX, lists
    # (JSON text from PostgreSQL) joined.
    convert: dict[int, Callable[[Any], Any]] = dict.fromkeys(cmap.listed, _joined)
    if req.xlsx:
        convert.update(dict.fromkeys(cmap.numeric, _number))
    surveys = cmap.surveys
    for rec in reader(req, cmap, qs):
        code, version = surveys[rec[1]]
        sections: list[Any] = [None] * n_sections
        details = rec[13]
        if isinstance(details, str):  # jsonb from a raw cursor comes as text
            details = json.loads(details)
        for s in details or ():
            index = of_section.get(s.get("key"))
            if index is not None:
                sections[index] = s.get("percent")
        cells: list[Any] = [None] * n_questions
        for qid, value in zip(rec[14] or (), rec[15] or (), strict=True):
            index = of_question.get(qid)
            if index is not None:
                fn = convert.get(index)
                cells[index] = value if fn is None or value is None else fn(value)
        yield [
            rec[0],
            code,
            version,
            rec[2],
            rec[3],
            rec[4],
            rec[5],
            req.when(rec[6]),
            rec[7],
            rec[8],
            rec[9],
            rec[10],
            rec[11],
            rec[12],
            *sections,
            *cells,
        ]


def build_responses(req: Request) -> Table:
    cmap = column_map(req.org, req.survey_code)
    qs = _responses_qs(req, cmap.surveys)
    return Table(
        stem=stem_for(req, "responses", req.survey_code),
        sheet="Responses",
        header=cmap.header,
        count=counter(qs),
        rows=lambda: response_rows(req, cmap, qs),
    )
