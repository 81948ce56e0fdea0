"""Mystery-shop score selectors for the location league table and the location report card.

Every figure comes from GROUP BY queries (one per kind of figure, whatever the number of
locations or shops), so the pages that use them run a constant number of queries.

Only approved shops count: every query reads counted responses and answers
(``Response.counted``; imported shopper responses count, assigned shops once approved).

* A location's score for a wave is the mean of ``Response.score_percent`` over its counted
  mystery-shop responses of that wave (knocked-out shops count with their stored percent),
  with a t interval (stats.estimate_mean).
* Section scores average ``score_detail.sections[].percent`` (the sections that measured
  something), grouped by section title so that survey versions line up.
* A location's change since the previous wave compares like with like: the shops of both waves
  were made on the same surveys (code) in the same versions; otherwise there is no change, and
  the reason says why (``compare_waves``).
* Standards met is the share of observed (shopper) answers linked to a standard whose
  ``agrees`` is true, with a Wilson interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q, Sum

from cxaudit.accounts.models import Location, Organization
from cxaudit.insights import stats
from cxaudit.journeys.models import Wave
from surveys.models import Answer, Response, Section, Source


@dataclass(frozen=True, slots=True)
class ScoreSums:
    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def __add__(self, other: ScoreSums) -> ScoreSums:
        return ScoreSums(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)

    def estimate(self) -> stats.MeanEstimate:
        return stats.estimate_mean(stats.Summary.from_sums(self.n, self.total, self.total_sq))


SurveyKey = tuple[str, int]  # (survey code, version)


@dataclass(frozen=True, slots=True)
class Change:
    """A location's score now minus in the previous wave, or None with the reason."""

    value: float | None
    note: str  # what was compared ("same survey …"), or why nothing was


def _surveys(keys: Iterable[SurveyKey]) -> str:
    return ", ".join(f"{code} v{version}" for code, version in sorted(keys))


def compare_waves(
    now: dict[SurveyKey, ScoreSums], before: dict[SurveyKey, ScoreSums], previous: Wave | None
) -> Change:
    """Like with like: the change of the mean shop score when the shops of both waves were made
    on the same surveys in the same versions; otherwise none, with the reason (pure)."""
    if previous is None:
        return Change(None, "no earlier wave")
    if not now:
        return Change(None, "no shops in this wave")
    if not before:
        return Change(None, f"no shops in {previous.name}")
    codes_now = {code for code, _ in now}
    codes_before = {code for code, _ in before}
    if codes_now != codes_before:
        return Change(
            None,
            f"different surveys: {', '.join(sorted(codes_now))} now, "
            f"{', '.join(sorted(codes_before))} in {previous.name}",
        )
    if set(now) != set(before):
        return Change(
            None,
            f"survey version changed: {_surveys(before)} in {previous.name}, {_surveys(now)} now",
        )
    mean_now = sum(now.values(), ScoreSums()).estimate().mean
    mean_before = sum(before.values(), ScoreSums()).estimate().mean
    if mean_now is None or mean_before is None:
        return Change(None, "no scored shops")
    return Change(mean_now - mean_before, f"same survey: {_surveys(now)}")


@dataclass(frozen=True, slots=True)
class LeagueRow:
    location: Location
    rank: int | None  # None: no shops in the wave
    score: stats.MeanEstimate
    previous: stats.MeanEstimate | None  # the same location in the previous wave
    compared: Change = Change(None, "")

    @property
    def change(self) -> float | None:
        """The like-with-like change (None when the surveys differ; `compared.note` says)."""
        return self.compared.value


class ShopSums(dict):
    """(wave id, location id) -> ScoreSums of every shop; `by_survey` splits each by the
    (survey code, version) the shops were made on."""

    def __init__(self):
        super().__init__()
        self.by_survey: dict[tuple[int, int], dict[SurveyKey, ScoreSums]] = {}


def previous_wave(wave: Wave, waves: Iterable[Wave]) -> Wave | None:
    """The wave that started last before ``wave`` (None for the first wave)."""
    earlier = [w for w in waves if (w.starts_on, w.name) < (wave.starts_on, wave.name)]
    return max(earlier, key=lambda w: (w.starts_on, w.name), default=None)


def shop_sums(*, organization: Organization, waves: Iterable[Wave]) -> ShopSums:
    """Sums of shop percentages per (wave id, location id) of the given waves, and per survey
    code and version within each: one query."""
    rows = (
        Response.objects.for_org(organization)
        .counted()
        .filter(
            source=Source.SHOPPER,
            wave__in=[w.pk for w in waves],
            location__isnull=False,
            score_percent__isnull=False,
        )
        .order_by()
        .values("wave_id", "location_id", "survey__code", "survey__version")
        .annotate(
            n=Count("pk"),
            total=Sum("score_percent"),
            total_sq=Sum(F("score_percent") * F("score_percent")),
        )
    )
    out = ShopSums()
    for r in rows:
        key = (r["wave_id"], r["location_id"])
        sums = ScoreSums(r["n"], r["total"], r["total_sq"])
        out[key] = out.get(key, ScoreSums()) + sums
        out.by_survey.setdefault(key, {})[(r["survey__code"], r["survey__version"])] = sums
    return out


def league(
    *,
    locations: Iterable[Location],
    wave: Wave,
    previous: Wave | None,
    sums: ShopSums,
) -> list[LeagueRow]:
    """Locations ranked by mean shop score (highest first); those without shops last, unranked.
    Equal means share a rank (1, 2, 2, 4). The change compares like with like (compare_waves)."""
    rows = []
    by_survey = getattr(sums, "by_survey", {})
    for loc in locations:
        now = sums.get((wave.pk, loc.pk), ScoreSums())
        before = sums.get((previous.pk, loc.pk)) if previous is not None else None
        compared = compare_waves(
            by_survey.get((wave.pk, loc.pk), {}),
            by_survey.get((previous.pk, loc.pk), {}) if previous is not None else {},
            previous,
        )
        rows.append((loc, now.estimate(), before.estimate() if before else None, compared))
    rows.sort(key=lambda r: (r[1].mean is None, -(r[1].mean or 0.0), r[0].code))
    out: list[LeagueRow] = []
    for i, (loc, now, before, compared) in enumerate(rows):
        rank = None
        if now.mean is not None:
            tied = out and out[-1].score.mean is not None and out[-1].score.mean == now.mean
            rank = out[-1].rank if tied else i + 1
        out.append(
            LeagueRow(location=loc, rank=rank, score=now, previous=before, compared=compared)
        )
    return out


def organisation_sums(sums: dict[tuple[int, int], ScoreSums], wave: Wave) -> ScoreSums:
    """All shops of one wave pooled (the organisation average weights each shop equally)."""
    total = ScoreSums()
    for (wave_id, _), s in sums.items():
        if wave_id == wave.pk:
            total = total + s
    return total


@dataclass(frozen=True, slots=True)
class SectionRow:
    title: str
    location: stats.MeanEstimate
    organisation: stats.MeanEstimate

    @property
    def diff(self) -> float | None:
        if self.location.mean is None or self.organisation.mean is None:
            return None
        return self.location.mean - self.organisation.mean


# {responses}, {sections}: the quoted tables of Response and Section.
_SECTION_SQL = """
SELECT sec.title, MIN(sec.position) AS pos, (r.location_id = %(location)s) AS here,
       COUNT(*) AS n, SUM((s.value->>'percent')::float) AS total,
       SUM(((s.value->>'percent')::float) ^ 2) AS total_sq
FROM {responses} r
CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(r.score_detail->'sections') = 'array'
         THEN r.score_detail->'sections' ELSE '[]'::jsonb END) AS s(value)
JOIN {sections} sec
  ON sec.id::text = s.value->>'key' AND sec.survey_id = r.survey_id
WHERE r.organization_id = %(org)s AND r.wave_id = %(wave)s AND r.status = 'submitted'
  AND r.counted AND r.source = 'shopper' AND r.location_id IS NOT NULL
  AND jsonb_typeof(s.value->'percent') = 'number'
GROUP BY sec.title, here
"""


# The same on the embedded SQLite default (JSON1 functions; score_detail is JSON text).
_SECTION_SQL_SQLITE = """
SELECT sec.title, MIN(sec.position) AS pos, (r.location_id = %(location)s) AS here,
       COUNT(*) AS n, SUM(json_extract(s.value, '$.percent')) AS total,
       SUM(json_extract(s.value, '$.percent') * json_extract(s.value, '$.percent')) AS total_sq
FROM {responses} r
JOIN json_each(
    CASE WHEN json_type(r.score_detail, '$.sections') = 'array'
         THEN json_extract(r.score_detail, '$.sections') ELSE '[]' END) AS s
JOIN {sections} sec
  ON CAST(sec.id AS TEXT) = json_extract(s.value, '$.key') AND sec.survey_id = r.survey_id
WHERE r.organization_id = %(org)s AND r.wave_id = %(wave)s AND r.status = 'submitted'
  AND r.counted AND r.source = 'shopper' AND r.location_id IS NOT NULL
  AND json_type(s.value, '$.percent') IN ('integer', 'real')
GROUP BY sec.title, here
"""


def section_scores(
    *, organization: Organization, wave: Wave, location: Location
) -> list[SectionRow]:
    """Mean section percentages of one location and of the whole organisation: one query."""
    sql = (_SECTION_SQL_SQLITE if connection.vendor == "sqlite" else _SECTION_SQL).format(
        responses=connection.ops.quote_name(Response._meta.db_table),
        sections=connection.ops.quote_name(Section._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organization.pk, "wave": wave.pk, "location": location.pk})
        fetched = cursor.fetchall()
    by_title: dict[str, dict] = {}
    for title, pos, here, n, total, total_sq in fetched:
        entry = by_title.setdefault(title, {"pos": pos, True: ScoreSums(), False: ScoreSums()})
        entry["pos"] = min(entry["pos"], pos)
        entry[bool(here)] = entry[bool(here)] + ScoreSums(n, total, total_sq)
    ordered = sorted(by_title.items(), key=lambda kv: (kv[1]["pos"], kv[0]))
    return [
        SectionRow(
            title=title,
            location=e[True].estimate(),
            organisation=(e[True] + e[False]).estimate(),
        )
        for title, e in ordered
    ]


@dataclass(frozen=True, slots=True)
class StandardMet:
    code: str
    name: str
    n: int
    met: int

    @property
    def share(self) -> float | None:
        return self.met / self.n if self.n else None


@dataclass(frozen=True, slots=True)
class StandardsMet:
    rows: list[StandardMet]
    estimate: stats.ProportionEstimate


def standards_met(*, organization: Organization, wave: Wave, location: Location) -> StandardsMet:
    """Observed answers of the location meeting their standard's target: one query."""
    rows = (
        Answer.objects.for_org(organization)
        .counted()
        .filter(
            wave=wave,
            location=location,
            source=Source.SHOPPER,
            standard__isnull=False,
            agrees__isnull=False,
            is_na=False,
        )
        .order_by()
        .values("standard__code", "standard__name")
        .annotate(n=Count("pk"), met=Count("pk", filter=Q(agrees=True)))
        .order_by("standard__code")
    )
    items = [StandardMet(r["standard__code"], r["standard__name"], r["n"], r["met"]) for r in rows]
    n = sum(r.n for r in items)
    k = sum(r.met for r in items)
    return StandardsMet(
        rows=items, estimate=stats.estimate_proportion(stats.ProportionSummary(n, k))
    )
