"""The gap analysis selectors: one call runs a fixed number of queries (six) and gives the
per-standard figures, every roll-up, per-wave series, per-location rows and the CX metrics.

    analysis = analyse_gaps(organization=org, wave=wave)
    analysis.rows("standard")                 # one GapRow per standard
    analysis.rows("dimension")                # touchpoint, stage, dimension, location, wave,
    analysis.rows("standard", "wave")         # organization, or any combination (trends)
    analysis.league("self_vs_perceived")      # locations ranked by a gap
    rank_gaps(analysis.rows("standard"))      # biggest gaps first, by size x importance x MtM
    analysis.metrics()                        # NPS, CSAT, CES overall, per wave and location
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cxaudit.accounts.models import Location, Organization
from cxaudit.insights import stats
from cxaudit.journeys.models import Dimension, Stage, Wave
from surveys.models import Source
from surveys.question_types import QuestionType

from .engine import GAPS, Bucket, GapSet, compute, delivery_target
from .queries import GapFilters, Sums, fetch_cells

LEVELS = ("standard", "touchpoint", "stage", "dimension", "location", "wave", "organization")
JOURNEY_LEVELS = ("standard", "touchpoint", "stage")  # ordered as on the journey map
METRIC_TYPES = (QuestionType.NPS, QuestionType.CSAT, QuestionType.CES)
# A moment that matters doubles a gap's priority in rank_gaps.
MOMENT_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class StandardInfo:
    """What the report shows about a standard, read once with its touchpoint and stage."""

    id: int
    code: str
    name: str
    dimension: str
    touchpoint_id: int
    touchpoint: str
    channel: str
    moment_that_matters: bool
    stage_id: int
    stage: str
    importance: int
    delivery_target: float
    has_promise: bool
    order: int


@dataclass(frozen=True, slots=True)
class GapRow:
    """The figures of one group: ``key`` maps each level to its value (standard code, wave
    name, location code, dimension value…); ``standard`` is set on standard-level rows."""

    key: dict[str, Any]
    result: GapSet
    standard: StandardInfo | None = None
    labels: dict[str, str] = field(default_factory=dict)  # names of touchpoints and stages

    @property
    def perspectives(self):
        return self.result.perspectives

    @property
    def gaps(self):
        return self.result.gaps

    def priority(self, gap: str = "self_vs_perceived") -> float:
        """|gap in 0-100 points| x importance (1-5) x 2 at a moment that matters; 0 if unknown."""
        diff = self.result.gaps[gap].diff_100
        if diff is None:
            return 0.0
        weight = 1.0
        if self.standard is not None:
            weight = self.standard.importance * (
                MOMENT_WEIGHT if self.standard.moment_that_matters else 1.0
            )
        return abs(diff) * weight


def rank_gaps(
    rows: list[GapRow], gap: str = "self_vs_perceived", *, significant_only: bool = False
) -> list[GapRow]:
    """Rows ordered by priority (biggest first), for the heatmap and the action plan."""
    if gap not in GAPS:
        raise ValueError(f"unknown gap {gap!r}")
    chosen = [r for r in rows if not significant_only or r.result.gaps[gap].significant]
    return sorted(chosen, key=lambda r: -r.priority(gap))


@dataclass(frozen=True, slots=True)
class MetricSet:
    """NPS, CSAT and CES estimates of one segment (None when no such question was answered)."""

    nps: stats.NpsEstimate | None
    csat: stats.CsatEstimate | None
    ces: stats.CesEstimate | None


@dataclass(frozen=True, slots=True)
class Metrics:
    overall: MetricSet
    by_wave: list[tuple[str, MetricSet]]
    by_location: list[tuple[str, MetricSet]]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("nps", "csat", "ces"):
            overall = getattr(self.overall, name)
            entry = overall.to_dict() if overall is not None else None
            out[name] = {
                "overall": entry,
                "by_wave": [
                    {"wave": w, **getattr(m, name).to_dict()}
                    for w, m in self.by_wave
                    if getattr(m, name) is not None
                ],
                "by_location": [
                    {"location": c, **getattr(m, name).to_dict()}
                    for c, m in self.by_location
                    if getattr(m, name) is not None
                ],
            }
        return out


def _as_int(x: float) -> int:
    # Scale answers are whole numbers, so their float sums are exact integers; integers make
    # Summary.from_sums exact.
    return round(x)


def metric_set(sums: dict[str, Sums], *, alpha: float, small_n: int) -> MetricSet:
    """NPS / CSAT / CES from the summed answers of each question type."""
    kw = {"alpha": alpha, "small_n": small_n}
    nps = csat = ces = None
    if (s := sums.get(QuestionType.NPS)) and s.nnum:
        nps = stats.nps(s.nnum, s.k_agree, s.n_low, **kw)
    if (s := sums.get(QuestionType.CSAT)) and s.nnum:
        csat = stats.csat(s.nnum, s.k_agree, _as_int(s.snum), _as_int(s.qnum), **kw)
    if (s := sums.get(QuestionType.CES)) and s.nnum:
        ces = stats.ces(s.nnum, s.k_agree, _as_int(s.snum), _as_int(s.qnum), **kw)
    return MetricSet(nps=nps, csat=csat, ces=ces)


@dataclass
class GapAnalysis:
    """Aggregated answers of one organisation (and filters), ready to be rolled up."""

    filters: GapFilters
    standards: dict[int, StandardInfo]
    waves: dict[int, Wave]
    locations: dict[int, Location]
    buckets: dict[tuple[int, int | None, int | None], Bucket]
    metric_sums: dict[tuple[str, int | None, int | None], Sums]
    alpha: float = stats.ALPHA
    small_n: int = stats.SMALL_SAMPLE_N
    _cache: dict[tuple[str, ...], list[GapRow]] = field(default_factory=dict)
    # Derived from `buckets`: not an init field, so dataclasses.replace() (slice_wave) starts
    # the copy without it.
    _standard_buckets: dict[tuple[int, None, None], Bucket] | None = field(
        default=None, init=False, repr=False
    )

    def _label(self, level: str, std: StandardInfo, wave_id, location_id) -> Any:
        if level == "standard":
            return std.code
        if level == "touchpoint":
            return std.touchpoint_id
        if level == "stage":
            return std.stage_id
        if level == "dimension":
            return std.dimension
        if level == "wave":
            return self.waves[wave_id].name if wave_id in self.waves else None
        if level == "location":
            return self.locations[location_id].code if location_id in self.locations else None
        return self.filters.organization.slug

    def _order(self, level: str, value: Any) -> Any:
        if level == "dimension":
            return Dimension.values.index(value) if value in Dimension.values else 99
        if level == "wave":
            wave = next((w for w in self.waves.values() if w.name == value), None)
            return (wave is None, wave.starts_on if wave else None, value or "")
        if level == "location":
            return (value is None, value or "")
        return 0

    def rows(self, *levels: str) -> list[GapRow]:
        """One row per group of the given levels (default: per standard), in report order."""
        levels = levels or ("standard",)
        unknown = set(levels) - set(LEVELS)
        if unknown:
            raise ValueError(f"unknown roll-up level(s): {sorted(unknown)}")
        if levels in self._cache:
            return self._cache[levels]
        groups: dict[tuple, Bucket] = {}
        first: dict[tuple, StandardInfo] = {}
        # Levels that ignore wave and location add up the standards' totals (one bucket per
        # standard) instead of every (standard, wave, location) bucket again.
        buckets = self.buckets if {"wave", "location"} & set(levels) else self._per_standard()
        for (std_id, wave_id, loc_id), bucket in buckets.items():
            std = self.standards[std_id]
            key = tuple(self._label(lv, std, wave_id, loc_id) for lv in levels)
            groups.setdefault(key, Bucket()).add(bucket)
            if key not in first or std.order < first[key].order:
                first[key] = std
        if "standard" in levels:
            # Standards without answers are shown too (as empty), so gaps are never hidden.
            for std in self.standards.values():
                if len(levels) == 1 and (std.code,) not in groups:
                    groups[(std.code,)] = _empty_bucket(std)
                    first[(std.code,)] = std

        def order(item):
            key = item[0]
            return tuple(
                first[key].order if lv in JOURNEY_LEVELS else self._order(lv, v)
                for lv, v in zip(levels, key, strict=True)
            )

        result = [
            GapRow(
                key=dict(zip(levels, key, strict=True)),
                result=compute(bucket, alpha=self.alpha, small_n=self.small_n),
                standard=first[key] if "standard" in levels else None,
                labels=_labels(levels, first[key]),
            )
            for key, bucket in sorted(groups.items(), key=order)
        ]
        self._cache[levels] = result
        return result

    def _per_standard(self) -> dict[tuple[int, None, None], Bucket]:
        """The buckets summed over waves and locations, one per standard (computed once)."""
        if self._standard_buckets is None:
            totals: dict[tuple[int, None, None], Bucket] = {}
            for (std_id, _, _), bucket in self.buckets.items():
                totals.setdefault((std_id, None, None), Bucket()).add(bucket)
            self._standard_buckets = totals
        return self._standard_buckets

    def league(self, gap: str = "self_vs_perceived") -> list[GapRow]:
        """Per-location rows, the largest gap (0-100 points) first; unknown gaps last."""
        rows = self.rows("location")
        return sorted(
            rows,
            key=lambda r: (r.gaps[gap].diff_100 is None, -abs(r.gaps[gap].diff_100 or 0.0)),
        )

    def metrics(self) -> Metrics:
        """NPS, CSAT and CES of customers, overall and per wave and location."""
        kw = {"alpha": self.alpha, "small_n": self.small_n}
        overall: dict[str, Sums] = defaultdict(Sums)
        by_wave: dict[int | None, dict[str, Sums]] = defaultdict(lambda: defaultdict(Sums))
        by_loc: dict[int | None, dict[str, Sums]] = defaultdict(lambda: defaultdict(Sums))
        for (qtype, wave_id, loc_id), sums in self.metric_sums.items():
            overall[qtype].add(sums)
            by_wave[wave_id][qtype].add(sums)
            by_loc[loc_id][qtype].add(sums)
        waves = sorted(
            (w for w in by_wave if w in self.waves), key=lambda w: self.waves[w].starts_on
        )
        locs = sorted(
            (c for c in by_loc if c in self.locations), key=lambda c: self.locations[c].code
        )
        return Metrics(
            overall=metric_set(overall, **kw),
            by_wave=[(self.waves[w].name, metric_set(by_wave[w], **kw)) for w in waves],
            by_location=[(self.locations[c].code, metric_set(by_loc[c], **kw)) for c in locs],
        )


def _labels(levels: tuple[str, ...], std: StandardInfo) -> dict[str, str]:
    names = {"standard": std.name, "touchpoint": std.touchpoint, "stage": std.stage}
    return {lv: names[lv] for lv in levels if lv in names}


def _empty_bucket(std: StandardInfo) -> Bucket:
    bucket = Bucket()
    bucket.has_promise = std.has_promise
    return bucket


def _standard_infos(filters: GapFilters) -> dict[int, StandardInfo]:
    infos = {}
    for order, s in enumerate(filters.standards()):
        tp = s.touchpoint
        infos[s.pk] = StandardInfo(
            id=s.pk,
            code=s.code,
            name=s.name,
            dimension=s.dimension,
            touchpoint_id=tp.pk,
            touchpoint=tp.name,
            channel=tp.channel,
            moment_that_matters=tp.is_moment_that_matters,
            stage_id=tp.stage_id,
            stage=tp.stage.name,
            importance=s.importance,
            delivery_target=delivery_target(s.target_value, s.target_unit, 1.0),
            has_promise=bool(s.promise.strip()),
            order=order,
        )
    return infos


def analyse_gaps(
    *,
    organization: Organization,
    wave: Wave | None = None,
    location: Location | None = None,
    only_locations: Iterable[Location] | None = None,
    stage: Stage | None = None,
    channel: str | None = None,
    dimension: str | None = None,
    alpha: float = stats.ALPHA,
    small_n: int = stats.SMALL_SAMPLE_N,
) -> GapAnalysis:
    """Run the gap queries for one organisation (six queries, whatever the data size).

    ``only_locations`` restricts every figure to those locations (a client manager limited to
    some locations); ``location`` picks one.
    """
    for obj, name in ((wave, "wave"), (location, "location")):
        if obj is not None and obj.organization_id != organization.pk:
            raise ValueError(f"the {name} belongs to another organisation")
    if stage is not None and stage.journey.organization_id != organization.pk:
        raise ValueError("the stage belongs to another organisation")
    filters = GapFilters(
        organization=organization,
        wave=wave,
        location=location,
        location_ids=(
            None if only_locations is None else tuple(sorted(x.pk for x in only_locations))
        ),
        stage_id=stage.pk if stage is not None else None,
        channel=channel or None,
        dimension=dimension or None,
    )
    standards = _standard_infos(filters)
    waves = {w.pk: w for w in Wave.objects.for_org(organization)}
    locations = {loc.pk: loc for loc in Location.objects.for_org(organization)}
    if filters.location_ids is not None:
        locations = {pk: loc for pk, loc in locations.items() if pk in filters.location_ids}
    buckets: dict[tuple[int, int | None, int | None], Bucket] = {}
    metric_sums: dict[tuple[str, int | None, int | None], Sums] = defaultdict(Sums)

    def bucket_of(std: StandardInfo, wave_id, loc_id) -> Bucket:
        key = (std.id, wave_id, loc_id)
        if key not in buckets:
            buckets[key] = _empty_bucket(std)
        return buckets[key]

    for cell in fetch_cells(filters):
        if cell.question_type in METRIC_TYPES and cell.source == Source.CUSTOMER:
            metric_sums[(cell.question_type, cell.wave_id, cell.location_id)].add(cell.sums)
        std = standards.get(cell.standard_id) if cell.standard_id is not None else None
        view = cell.perspective
        if std is None or view is None:
            continue
        bucket = bucket_of(std, cell.wave_id, cell.location_id)
        bucket.sums[view].add(cell.sums)
        if cell.pairs.n:
            bucket.pairs.add(cell.pairs)
        if view == "observed":
            bucket.target_total += cell.sums.n_agree * std.delivery_target
            if std.has_promise:
                bucket.promised.add(cell.sums)
    return GapAnalysis(
        filters=filters,
        standards=standards,
        waves=waves,
        locations=locations,
        buckets=buckets,
        metric_sums=dict(metric_sums),
        alpha=alpha,
        small_n=small_n,
    )
