"""The gap engine's SQL: a fixed number of GROUP BY queries whatever the number of answers.

``fetch_cells`` does all the counting in one pass over the answers: one row per (question,
source, wave, location) with COUNT, SUM and SUM of squares of the 0-100 values, the agreeing
counts and the customers' perception - expectation pairs (SERVQUAL gap 5 on the same
respondent, stored on the answers as ``pair_diff_100``), plus a small second aggregate for the
native values of numbers, durations and NPS. Every roll-up (standard, touchpoint, stage,
dimension, location, wave, organisation) adds these sums up in Python: sums are additive, so
combining a few thousand grouped rows is not per-answer work.

The result size depends on the number of questions, waves and locations, never on answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum, Value

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
        """Counted answers in scope (wave and location are filtered in SQL); a mystery shop's
        answers count only once the shop is approved."""
        qs = Answer.objects.filter(organization=self.organization).counted()
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
    """Additive summary of per-response differences perception - expectation (0-100)."""

    n: int = 0
    s100: float = 0.0
    q100: float = 0.0

    def add(self, other: PairSums) -> None:
        self.n += other.n
        self.s100 += other.s100
        self.q100 += other.q100


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """What the engine needs to know about a question: its type, standard and native scale."""

    type: str
    standard_id: int | None
    aspect: str
    scale: str | None  # e.g. "1-5", "yes_no", "number:s"; None when it has no native value
    # (lo, width) when the native value is lo + width * value_100 / 100 (yes/no and scales), so
    # native sums follow from the 0-100 sums; None for numbers and durations.
    linear: tuple[float, float] | None
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
    pairs: PairSums = field(default_factory=PairSums)

    @property
    def perspective(self) -> str | None:
        aspect = self.aspect or Aspect.PERCEPTION
        return PERSPECTIVE_OF.get((self.source, aspect))


def question_info(question: Question) -> QuestionInfo:
    """Type, standard, native scale and agreement rule of one question (pure; no query)."""
    spec: QuestionSpec = question.spec()
    kind = REGISTRY[QuestionType(question.type)].kind
    scale: str | None = None
    linear: tuple[float, float] | None = None
    if kind is Kind.BOOLEAN:
        scale, linear = "yes_no", (0.0, 1.0)
    elif kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (0, 0)
        scale, linear = f"{lo}-{hi}", (float(lo), float(hi - lo))
    elif question.type == QuestionType.DURATION:
        scale = "seconds"
    elif question.type == QuestionType.NUMBER:
        scale = f"number:{spec.unit}"
    return QuestionInfo(
        type=question.type,
        standard_id=question.standard_id,
        aspect=question.aspect,
        scale=scale,
        linear=linear,
        measure=kind is Kind.MEASURE,
    )


def load_question_info(organization: Organization) -> dict[int, QuestionInfo]:
    """One query: every question of the organisation's surveys (all versions)."""
    questions = Question.objects.filter(survey__organization=organization)
    return {q.pk: question_info(q) for q in questions}


def _linear_native(sums: Sums, lo: float, width: float) -> None:
    """Native sums of answers whose native value is lo + width * x / 100 (x on 0-100)."""
    n, s, q = sums.n100, sums.s100, sums.q100
    k = width / 100
    sums.nnum = n
    sums.snum = n * lo + k * s
    sums.qnum = n * lo * lo + 2 * lo * k * s + k * k * q


def fetch_cells(filters: GapFilters) -> list[Cell]:
    """Three queries: the questions, the grouped 0-100 sums (and gap-5 pair sums) of every
    answer in scope, and the native sums of the few questions whose native value is not a
    rescale of the 0-100 one (numbers, durations) or whose distribution matters (NPS
    detractors).

    The main aggregate is deliberately lean (seven aggregates over four keys, the text key
    last): it is the one pass over every answer, and its cost is what the benchmark compares
    with the floor.
    """
    infos = load_question_info(filters.organization)
    # The text column last: grouping compares it only when the integer keys are equal.
    keys = ("question_id", "wave_id", "location_id", "source")
    agree = Q(agrees=True) | Q(value_100__gte=100)
    rows = (
        filters.answers()
        .values(*keys)
        .order_by()
        .annotate(
            n100=Count("value_100"),
            s100=Sum("value_100"),
            q100=Sum(F("value_100") * F("value_100")),
            k_agree=Count(Value(1), filter=agree),
            n_pair=Count("pair_diff_100"),
            s_pair=Sum("pair_diff_100"),
            q_pair=Sum(F("pair_diff_100") * F("pair_diff_100")),
        )
    )
    special = [pk for pk, i in infos.items() if i.measure or i.type == QuestionType.NPS]
    native: dict[tuple, dict[str, Any]] = {}
    if special:
        native_rows = (
            filters.answers()
            .filter(question_id__in=special)
            .values(*keys)
            .order_by()
            .annotate(
                nnum=Count("value_num"),
                snum=Sum("value_num"),
                qnum=Sum(F("value_num") * F("value_num")),
                n_low=Count("pk", filter=Q(value_num__lte=NPS_DETRACTOR_MAX)),
            )
        )
        native = {tuple(r[k] for k in keys): r for r in native_rows}
    cells = []
    for r in rows:
        info = infos.get(r["question_id"])
        if info is None:
            continue
        nat = native.get(tuple(r[k] for k in keys))
        if not r["n100"] and not (nat and nat["nnum"]):
            continue  # text, dates, files: nothing to average
        sums = Sums(
            n100=r["n100"],
            s100=float(r["s100"] or 0.0),
            q100=float(r["q100"] or 0.0),
            # Agreeing: yes, top box(es) of a scale, or a number/duration meeting its target;
            # choice questions have no agreement.
            n_agree=r["n100"] if info.linear or info.measure else 0,
            k_agree=r["k_agree"] if info.linear or info.measure else 0,
        )
        if info.linear is not None:
            _linear_native(sums, *info.linear)
        if nat is not None:
            sums.nnum = nat["nnum"]
            sums.snum = float(nat["snum"] or 0.0)
            sums.qnum = float(nat["qnum"] or 0.0)
            sums.n_low = nat["n_low"]
        if sums.nnum and info.scale is not None:
            sums.scales = {info.scale}
        cells.append(
            Cell(
                question_id=r["question_id"],
                question_type=info.type,
                standard_id=info.standard_id,
                source=r["source"],
                aspect=info.aspect,
                wave_id=r["wave_id"],
                location_id=r["location_id"],
                sums=sums,
                pairs=PairSums(
                    n=r["n_pair"],
                    s100=float(r["s_pair"] or 0.0),
                    q100=float(r["q_pair"] or 0.0),
                ),
            )
        )
    return cells
