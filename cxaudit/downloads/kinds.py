"""What can be exported: each kind names who may export it, the filters it takes and how to
build its table (a header and a stream of rows read with a bounded number of queries, whatever
the number of rows).

A table is read in one of two ways: `rows()` yields plain Python rows for the writers of
cxaudit/exports.py, which neutralise every formula. Rows are read through server-side cursors
(`QuerySet.iterator`, or `connection.chunked_cursor` for the responses pivot), so memory stays
bounded and the number of queries does not grow with the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import connection
from django.utils import timezone

from cxaudit.accounts.capabilities import Cap
from cxaudit.accounts.scope import LocationScope
from cxaudit.errors import DomainError
from cxaudit.journeys.models import Wave
from shoppers.models import Assignment, AssignmentStatus
from surveys.models import Answer, Campaign, Contact, Invitation, Question, Response, Survey

Row = list[Any]


@dataclass
class Table:
    """One export's content: its file stem, sheet title, header and rows (read lazily)."""

    stem: str
    sheet: str
    header: list[str]
    # count() is the number of rows; count(limit) stops counting at `limit` (the request that
    # decides between now and later does not count a large export to the end).
    count: Callable[..., int]
    rows: Callable[[], Iterator[Row]]
    # Built by a query or two whatever its size (the gap report): always downloaded at once.
    small: bool = False


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    # Every capability listed is needed (Cap.EXPORT_DATA and, e.g., Cap.MANAGE_PAYOUTS).
    capabilities: tuple[Cap, ...]
    build: Callable[..., Table]
    filters: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    help: str = ""

    def allowed(self, capabilities) -> bool:
        return all(c in capabilities for c in self.capabilities)


@dataclass(frozen=True)
class Request:
    """The resolved filters of one export (objects of the scope's organisation)."""

    scope: LocationScope
    xlsx: bool = False
    survey_code: str = ""
    wave: Wave | None = None
    location_id: int | None = None
    campaign: Campaign | None = None
    extra: dict = field(default_factory=dict)

    @property
    def org(self):
        return self.scope.organization

    def when(self, value: datetime | None) -> Any:
        """A moment as the format wants it: a local datetime in XLSX, ISO 8601 text in CSV."""
        if value is None:
            return None
        local = timezone.localtime(value)
        return local if self.xlsx else local.isoformat(timespec="seconds")


def _stem(req: Request, *parts: str) -> str:
    bits = [req.org.slug, *parts]
    if req.wave is not None:
        bits.append(req.wave.name)
    bits.append(timezone.localdate().isoformat())
    return "-".join(_slug(b) for b in bits if b)


def _slug(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text) or "export"


def _located(req: Request, qs, field_name: str = "location", *, org_wide: bool = False):
    qs = req.scope.filter(qs, field_name, org_wide=org_wide)
    if req.location_id is not None:
        qs = qs.filter(**{f"{field_name}_id": req.location_id})
    if req.wave is not None:
        qs = qs.filter(wave=req.wave)
    return qs


def _counter(qs) -> Callable[..., int]:
    def count(limit: int | None = None) -> int:
        return qs.count() if limit is None else qs.order_by()[:limit].count()

    return count


def _stream(
    qs, fields: tuple[str, ...], convert: dict[str, Callable[[Any], Any]], chunk: int = 2000
) -> Callable[[], Iterator[Row]]:
    """The rows of `fields` read through a server-side cursor, each field named in `convert`
    passed through its function (a moment as the format wants it, a status by its label)."""
    steps = [(fields.index(name), fn) for name, fn in convert.items()]

    def rows() -> Iterator[Row]:
        for record in qs.values_list(*fields).iterator(chunk_size=chunk):
            row = list(record)
            for index, fn in steps:
                row[index] = fn(row[index])
            yield row

    return rows


def _moments(req: Request, *names: str) -> dict[str, Callable[[Any], Any]]:
    return dict.fromkeys(names, req.when)


def _label(choices) -> Callable[[Any], Any]:
    labels = dict(choices)
    return lambda value: labels.get(value, value)


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
    return _located(req, qs)


# The pivot in PostgreSQL: each response with its answers' question ids and values (as text:
# a list answer comes as its JSON, joined in Python) as two arrays, gathered through the
# index on the answers' response.
_PIVOT_SQL = """
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


def _pivot_rows_postgresql(req: Request, cmap: ColumnMap, qs) -> Iterator[tuple]:
    """(context…, section details, question ids, values) per response, from one server-side
    cursor (one query whatever the number of responses)."""
    inner, params = qs.order_by().values("pk").query.sql_with_params()
    cursor = connection.chunked_cursor()
    try:
        cursor.execute(_PIVOT_SQL % inner, params)
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk
    finally:
        cursor.close()


def _text(value: Any) -> Any:
    """An answer's JSON value as the pivot query renders it."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _pivot_rows_portable(req: Request, cmap: ColumnMap, qs) -> Iterator[tuple]:
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
                vals.append(_text(pending[2]))
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
    return _text(items) if isinstance(items, list) else value


def response_rows(req: Request, cmap: ColumnMap, qs) -> Iterator[Row]:
    reader = _pivot_rows_postgresql if connection.vendor == "postgresql" else _pivot_rows_portable
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
        stem=_stem(req, "responses", req.survey_code),
        sheet="Responses",
        header=cmap.header,
        count=_counter(qs),
        rows=lambda: response_rows(req, cmap, qs),
    )


# --- answers: one row per answer ---------------------------------------------------------------

ANSWER_COLUMNS = [
    "response_id",
    "survey",
    "version",
    "source",
    "location",
    "wave",
    "submitted_at",
    "section",
    "question",
    "type",
    "standard",
    "aspect",
    "value",
    "value_100",
    "counted",
]


def build_answers(req: Request) -> Table:
    qs = Answer.objects.for_org(req.org).filter(response__status=Response.Status.SUBMITTED)
    if req.survey_code:
        if not Survey.objects.for_org(req.org).filter(code=req.survey_code).exists():
            raise DomainError(f"No survey with code {req.survey_code!r}.", field="survey")
        qs = qs.filter(question__survey__code=req.survey_code)
    qs = _located(req, qs)
    fields = (
        "response_id",
        "question__survey__code",
        "question__survey__version",
        "source",
        "location__code",
        "wave__name",
        "submitted_at",
        "question__section__title",
        "question__code",
        "question__type",
        "standard__code",
        "aspect",
        "value",
        "value_100",
        "counted",
    )

    rows = _stream(
        qs.order_by("response_id", "pk"),
        fields,
        {**_moments(req, "submitted_at"), "value": _text},
        chunk=5000,
    )

    return Table(
        stem=_stem(req, "answers", req.survey_code),
        sheet="Answers",
        header=ANSWER_COLUMNS,
        count=_counter(qs),
        rows=rows,
    )


# --- mystery shops with scores and review state ------------------------------------------------

SHOP_COLUMNS = [
    "shop",
    "scenario",
    "location",
    "location_name",
    "wave",
    "status",
    "shopper",
    "visited_at",
    "submitted_at",
    "decided_at",
    "returns",
    "score_percent",
    "knocked_out",
    "integrity_score",
    "fee",
]


def build_shops(req: Request) -> Table:
    qs = _located(req, Assignment.objects.for_org(req.org))
    fields = (
        "pk",
        "scenario__title",
        "location__code",
        "location__name",
        "wave__name",
        "status",
        "shopper__email",
        "visited_at",
        "submitted_at",
        "decided_at",
        "returns",
        "response__score_percent",
        "response__knocked_out",
        "integrity_score",
        "fee",
    )

    convert = {"status": _label(AssignmentStatus.choices)}
    convert.update(_moments(req, "visited_at", "submitted_at", "decided_at"))
    rows = _stream(qs.order_by("pk"), fields, convert)

    return Table(_stem(req, "shops"), "Shops", SHOP_COLUMNS, _counter(qs), rows)


# --- payouts: approved shops, paid or owed ----------------------------------------------------

PAYOUT_COLUMNS = [
    "shop",
    "shopper",
    "email",
    "scenario",
    "location",
    "wave",
    "approved_at",
    "fee",
    "expense",
    "amount",
    "batch",
    "batch_status",
    "paid_at",
]


def build_payouts(req: Request) -> Table:
    qs = _located(req, Assignment.objects.for_org(req.org).filter(status=AssignmentStatus.APPROVED))
    fields = (
        "pk",
        "shopper__full_name",
        "shopper__email",
        "scenario__title",
        "location__code",
        "wave__name",
        "decided_at",
        "fee",
        "expense_approved",
        "payout_batch__reference",
        "payout_batch__status",
        "payout_batch__paid_at",
    )

    def rows() -> Iterator[Row]:
        ordered = qs.order_by("shopper__email", "decided_at", "pk").values_list(*fields)
        for a in ordered.iterator(chunk_size=2000):
            fee, expense = a[7], a[8] or 0
            yield [
                *a[:6],
                req.when(a[6]),
                fee,
                expense,
                fee + expense,
                a[9] or "",
                a[10] or "owed",
                req.when(a[11]),
            ]

    return Table(_stem(req, "payouts"), "Payouts", PAYOUT_COLUMNS, _counter(qs), rows)


# --- contacts ------------------------------------------------------------------------------------

PERSON_COLUMNS = ["email", "first_name", "last_name", "location", "language"]
CONTACT_COLUMNS = [
    *PERSON_COLUMNS,
    "unsubscribed_at",
    "suppressed_at",
    "suppressed_reason",
    "last_invited_at",
    "created_at",
]


def build_contacts(req: Request) -> Table:
    qs = req.scope.filter(Contact.objects.for_org(req.org))
    if req.location_id is not None:
        qs = qs.filter(location_id=req.location_id)
    fields = (
        "email",
        "first_name",
        "last_name",
        "location__code",
        "language",
        "unsubscribed_at",
        "suppressed_at",
        "suppressed_reason",
        "last_invited_at",
        "created_at",
    )

    moments = ("unsubscribed_at", "suppressed_at", "last_invited_at", "created_at")
    rows = _stream(qs.order_by("email", "pk"), fields, _moments(req, *moments), chunk=5000)

    return Table(_stem(req, "contacts"), "Contacts", CONTACT_COLUMNS, _counter(qs), rows)


# --- a campaign's results: one row per invitation -------------------------------------------------

CAMPAIGN_COLUMNS = [
    *PERSON_COLUMNS,
    "delivery",
    "status",
    "reminders",
    "opened_at",
    "completed_at",
    "response_id",
    "score_percent",
]


def build_campaign(req: Request) -> Table:
    if req.campaign is None:
        raise DomainError("Choose a campaign.", field="campaign")
    qs = req.scope.filter(Invitation.objects.filter(campaign=req.campaign))
    if req.location_id is not None:
        qs = qs.filter(location_id=req.location_id)
    fields = (
        "contact__email",
        "contact__first_name",
        "contact__last_name",
        "location__code",
        "language",
        "message__state",
        "status",
        "reminders_sent",
        "opened_at",
        "completed_at",
        "response_id",
        "response__score_percent",
    )

    convert = {"status": _label(Invitation.Status.choices)}
    convert.update(_moments(req, "opened_at", "completed_at"))
    rows = _stream(qs.order_by("pk"), fields, convert, chunk=5000)

    stem = _stem(req, "campaign", str(req.campaign.pk), req.campaign.name)
    return Table(stem, "Campaign", CAMPAIGN_COLUMNS, _counter(qs), rows)


# --- action plans and gap reports (built by insights) ---------------------------------------------


def build_actions(req: Request) -> Table:
    from cxaudit.insights.actions.models import ActionItem
    from cxaudit.insights.actions.views import EXPORT_HEADER, export_rows

    qs = req.scope.filter(ActionItem.objects.for_org(req.org), org_wide=True)
    if req.location_id is not None:
        qs = qs.filter(location_id=req.location_id)
    if req.wave is not None:
        qs = qs.filter(wave=req.wave)
    qs = qs.select_related(
        "standard__touchpoint", "touchpoint", "location", "wave", "owner", "evaluated_wave"
    ).order_by("pk")
    return Table(
        _stem(req, "actions"),
        "Actions",
        list(EXPORT_HEADER),
        _counter(qs),
        lambda: export_rows(qs.iterator(chunk_size=500)),
    )


def build_gaps(req: Request) -> Table:
    from cxaudit.insights.gaps.analysis import analyse_gaps
    from cxaudit.insights.gaps.report import CSV_COLUMNS, gap_csv_rows

    location = None
    if req.location_id is not None:
        location = req.scope.locations().filter(pk=req.location_id).first()

    def rows() -> Iterator[Row]:
        analysis = analyse_gaps(
            organization=req.org,
            wave=req.wave,
            location=location,
            only_locations=req.scope.only_locations,
        )
        for row in gap_csv_rows(analysis):
            yield [row.get(c) for c in CSV_COLUMNS]

    return Table(
        _stem(req, "gap-report", location.code if location else ""),
        "Gap report",
        list(CSV_COLUMNS),
        lambda limit=None: 0,
        rows,
        small=True,
    )


_EXPORT = (Cap.EXPORT_DATA,)
KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "responses",
            "Responses (one row per response)",
            _EXPORT,
            build_responses,
            filters=("survey", "wave", "location"),
            required=("survey",),
            help="One column per question code, with the score and section scores.",
        ),
        Kind(
            "answers",
            "Answers (one row per answer)",
            _EXPORT,
            build_answers,
            filters=("survey", "wave", "location"),
        ),
        Kind(
            "shops",
            "Mystery shops with scores and review state",
            _EXPORT,
            build_shops,
            filters=("wave", "location"),
        ),
        Kind("gaps", "Gap report", _EXPORT, build_gaps, filters=("wave", "location")),
        Kind("actions", "Action plan", _EXPORT, build_actions, filters=("wave", "location")),
        Kind(
            "payouts",
            "Payouts (approved shops, paid or owed)",
            (*_EXPORT, Cap.MANAGE_PAYOUTS),
            build_payouts,
            filters=("wave", "location"),
        ),
        Kind(
            "contacts",
            "Contacts",
            (*_EXPORT, Cap.MANAGE_CAMPAIGNS),
            build_contacts,
            filters=("location",),
        ),
        Kind(
            "campaign",
            "Campaign results (one row per invitation)",
            (*_EXPORT, Cap.VIEW_CAMPAIGNS),
            build_campaign,
            filters=("campaign", "location"),
            required=("campaign",),
        ),
    )
}


def kinds_for(capabilities) -> list[Kind]:
    """The kinds a role may export, in the order of KINDS."""
    return [k for k in KINDS.values() if k.allowed(capabilities)]
