"""The gap engine's SQL: a fixed number of GROUP BY queries whatever the number of answers.

Two aggregates over the answer table do all the counting:

* ``fetch_cells``: one row per (question, standard, source, aspect, wave, location) with COUNT,
  SUM and SUM of squares of the 0-100 and native values and the agreeing counts. Every roll-up
  (standard, touchpoint, stage, dimension, location, wave, organisation) adds these sums up in
  Python: sums are additive, so combining a few thousand grouped rows is not per-answer work.
* ``fetch_pairs``: customers' perception minus expectation per response and standard (SERVQUAL
  gap 5 measured on the same respondent), summed per (standard, wave, location).

The result size depends on the number of questions, waves and locations, never on answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from cxaudit.accounts.models import Location, Organization
from cxaudit.journeys.models import Standard, Wave
from surveys.models import Answer, Aspect, Question, Source
from surveys.question_types import REGISTRY, Kind, QuestionSpec, QuestionType, scale_bounds

# NPS detractors answer 0-6 (Reichheld 2003); counted for every group, read for NPS items only.
NPS_DETRACTOR_MAX = 6


@dataclass(frozen=True, slots=True)
class GapFilters:
    """What a gap analysis covers. The organisation is required; the rest narrow it down."""

    organization: Organization
    wave: Wave | None = None
    location: Location | None = None
    # A client manager limited to some locations sees only those (None: no restriction).
    location_ids: tuple[int, ...] | None = None
    stage_id: int | None = None
    channel: str | None = None
    dimension: str | None = None

    def answers(self) -> QuerySet[Answer]:
        """Submitted answers in scope (wave and location are filtered in SQL)."""
        qs = Answer.objects.filter(organization=self.organization)
        if self.wave is not None:
            qs = qs.filter(wave=self.wave)
        if self.location is not None:
            qs = qs.filter(location=self.location)
        if self.location_ids is not None:
            qs = qs.filter(location_id__in=self.location_ids)
        return qs

    def standards(self) -> QuerySet[Standard]:
        """The organisation's standards that pass the stage, channel and dimension filters."""
        qs = Standard.objects.for_org(self.organization).select_related("touchpoint__stage")
        if self.stage_id is not None:
            qs = qs.filter(touchpoint__stage_id=self.stage_id)
        if self.channel:
            qs = qs.filter(touchpoint__channel=self.channel)
        if self.dimension:
            qs = qs.filter(dimension=self.dimension)
        return qs.order_by("touchpoint__stage__position", "touchpoint__position", "position", "pk")


@dataclass(slots=True)
class Sums:
    """Additive summary of a set of answers: what one GROUP BY row holds, and what adding rows
    of the same roll-up gives. ``scales`` is the set of native scales met (None = no native
    value); the native mean is reported only when there is exactly one."""

    n100: int = 0
    s100: float = 0.0
    q100: float = 0.0
    nnum: int = 0
    snum: float = 0.0
    qnum: float = 0.0
    n_agree: int = 0
    k_agree: int = 0
    n_low: int = 0
    scales: set[str | None] = field(default_factory=set)

    def add(self, other: Sums) -> None:
        self.n100 += other.n100
        self.s100 += other.s100
        self.q100 += other.q100
        self.nnum += other.nnum
        self.snum += other.snum
        self.qnum += other.qnum
        self.n_agree += other.n_agree
        self.k_agree += other.k_agree
        self.n_low += other.n_low
        self.scales |= other.scales

    @property
    def shared_scale(self) -> str | None:
        """The one native scale every answer is on, or None when they differ or have none."""
        if len(self.scales) == 1:
            return next(iter(self.scales))
        return None


@dataclass(slots=True)
class PairSums:
    """Additive summary of per-response differences perception - expectation."""

    n: int = 0
    s100: float = 0.0
    q100: float = 0.0
    nnum: int = 0
    snum: float = 0.0
    qnum: float = 0.0

    def add(self, other: PairSums) -> None:
        self.n += other.n
        self.s100 += other.s100
        self.q100 += other.q100
        self.nnum += other.nnum
        self.snum += other.snum
        self.qnum += other.qnum


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """What the engine needs to know about a question: its type and native scale."""

    type: str
    scale: str | None  # e.g. "1-5", "yes_no", "number:s"; None when it has no native value
    measure: bool  # number/duration: "agreeing" means meeting the target (value_100 = 100)


# Perspectives by (source, aspect). A blank aspect is a perception ("how it was").
PERSPECTIVE_OF: dict[tuple[str, str], str] = {
    (Source.SELF, Aspect.PERCEPTION): "self",
    (Source.SELF, Aspect.EXPECTATION): "management_expected",
    (Source.SHOPPER, Aspect.PERCEPTION): "observed",
    (Source.CUSTOMER, Aspect.PERCEPTION): "perceived",
    (Source.CUSTOMER, Aspect.EXPECTATION): "expected",
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One aggregate row of ``fetch_cells``."""

    question_id: int
    question_type: str
    standard_id: int | None
    source: str
    aspect: str
    wave_id: int | None
    location_id: int | None
    sums: Sums

    @property
    def perspective(self) -> str | None:
        aspect = self.aspect or Aspect.PERCEPTION
        return PERSPECTIVE_OF.get((self.source, aspect))


def question_info(question: Question) -> QuestionInfo:
    """Type, native scale and agreement rule of one question (pure; no query)."""
    spec: QuestionSpec = question.spec()
    kind = REGISTRY[QuestionType(question.type)].kind
    scale: str | None = None
    if kind is Kind.BOOLEAN:
        scale = "yes_no"
    elif kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (0, 0)
        scale = f"{lo}-{hi}"
    elif question.type == QuestionType.DURATION:
        scale = "seconds"
    elif question.type == QuestionType.NUMBER:
        scale = f"number:{spec.unit}"
    return QuestionInfo(type=question.type, scale=scale, measure=kind is Kind.MEASURE)


def fetch_cells(filters: GapFilters) -> list[Cell]:
    """Two queries: the grouped sums of every answer in scope, and the questions behind them."""
    is_agree = Q(agrees=True)
    rows = list(
        filters.answers()
        .filter(Q(value_100__isnull=False) | Q(value_num__isnull=False))
        .values("question_id", "standard_id", "source", "aspect", "wave_id", "location_id")
        .order_by()
        .annotate(
            n100=Count("value_100"),
            s100=Sum("value_100"),
            q100=Sum(F("value_100") * F("value_100")),
            nnum=Count("value_num"),
            snum=Sum("value_num"),
            qnum=Sum(F("value_num") * F("value_num")),
            n_bool=Count("agrees"),
            k_bool=Count("pk", filter=is_agree),
            k_full=Count("pk", filter=Q(value_100__gte=100)),
            n_low=Count("pk", filter=Q(value_num__lte=NPS_DETRACTOR_MAX)),
        )
    )
    infos = load_question_info(r["question_id"] for r in rows)
    cells = []
    for r in rows:
        info = infos[r["question_id"]]
        # Agreeing: yes, top box(es) of a scale; for a number or duration, meeting its target.
        n_agree, k_agree = (r["n100"], r["k_full"]) if info.measure else (r["n_bool"], r["k_bool"])
        sums = Sums(
            n100=r["n100"],
            s100=float(r["s100"] or 0.0),
            q100=float(r["q100"] or 0.0),
            nnum=r["nnum"],
            snum=float(r["snum"] or 0.0),
            qnum=float(r["qnum"] or 0.0),
            n_agree=n_agree,
            k_agree=k_agree,
            n_low=r["n_low"],
            scales={info.scale} if r["nnum"] else set(),
        )
        cells.append(
            Cell(
                question_id=r["question_id"],
                question_type=info.type,
                standard_id=r["standard_id"],
                source=r["source"],
                aspect=r["aspect"],
                wave_id=r["wave_id"],
                location_id=r["location_id"],
                sums=sums,
            )
        )
    return cells


def load_question_info(ids: Iterable[int]) -> dict[int, QuestionInfo]:
    """One query: type and scale of the given questions."""
    wanted = set(ids)
    if not wanted:
        return {}
    questions = Question.objects.filter(pk__in=wanted)
    return {q.pk: question_info(q) for q in questions}


@dataclass(frozen=True, slots=True)
class PairCell:
    standard_id: int
    wave_id: int | None
    location_id: int | None
    sums: PairSums


def fetch_pairs(filters: GapFilters) -> list[PairCell]:
    """One query: per response and standard, the customer's mean perception minus mean
    expectation (0-100 and native), then COUNT / SUM / SUM of squares of those differences
    per standard, wave and location. Responses without both aspects drop out."""
    perception = Q(aspect=Aspect.PERCEPTION) | Q(aspect="")
    expectation = Q(aspect=Aspect.EXPECTATION)
    inner = (
        filters.answers()
        .filter(source=Source.CUSTOMER, standard__isnull=False, value_100__isnull=False)
        .values("response_id", "standard_id", "wave_id", "location_id")
        .order_by()
        .annotate(
            p100=_avg("value_100", perception),
            e100=_avg("value_100", expectation),
            pnum=_avg("value_num", perception),
            enum=_avg("value_num", expectation),
        )
    )
    sql, params = inner.query.sql_with_params()
    outer = f"""
        SELECT standard_id, wave_id, location_id,
               COUNT(*), SUM(p100 - e100), SUM((p100 - e100) * (p100 - e100)),
               COUNT(pnum - enum), SUM(pnum - enum), SUM((pnum - enum) * (pnum - enum))
        FROM ({sql}) AS per_response
        WHERE p100 IS NOT NULL AND e100 IS NOT NULL
        GROUP BY standard_id, wave_id, location_id
    """  # noqa: S608 - the inner SQL is Django's own, with its parameters kept separate
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return [
        PairCell(
            standard_id=std,
            wave_id=wave,
            location_id=loc,
            sums=PairSums(
                n=n,
                s100=float(s100 or 0.0),
                q100=float(q100 or 0.0),
                nnum=nnum,
                snum=float(snum or 0.0),
                qnum=float(qnum or 0.0),
            ),
        )
        for std, wave, loc, n, s100, q100, nnum, snum, qnum in rows
    ]


def _avg(column: str, condition: Q):
    from django.db.models import Avg

    return Avg(column, filter=condition)
