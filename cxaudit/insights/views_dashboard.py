"""The gap dashboard (manager view) and a standard's detail page.

Both run one gap analysis over every wave (a fixed number of queries, see gaps/analysis.py)
and take the chosen wave's figures from it in Python, so that the trend across waves costs no
second pass over the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.http import QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cxaudit.accounts.permissions import Cap, get_for_org, org_view
from cxaudit.accounts.scope import location_scope
from cxaudit.journeys.models import Dimension, Standard, Wave

from .charts import Point, dot_chart, line_chart
from .forms_dashboard import DashboardFilterForm, filter_data
from .gaps import GAPS, PERSPECTIVES, Gap, GapAnalysis, GapRow, analyse_gaps
from .gaps.analysis import MetricSet
from .kpis.services import kpi_figures
from .vocabulary import GAP_LABELS, PERSPECTIVE_LABELS
from .waves import choose_wave

RANKED_LIMIT = 30


@dataclass(frozen=True, slots=True)
class RankedGap:
    row: GapRow
    name: str
    label: str
    gap: Gap
    priority: float


@dataclass(frozen=True, slots=True)
class Tile:
    name: str
    title: str
    value: float | None
    margin: float | None
    ci: tuple[float, float] | None
    n: int
    small_sample: bool
    unit: str
    signed: bool = False
    bounds: str = ""  # the scale its interval is shown within (dashboard_tags.interval)


@dataclass(frozen=True, slots=True)
class Trend:
    """One chart across waves and the same figures as table rows (label, value, ci, n)."""

    title: str
    chart: Any
    unit: str
    rows: list[tuple[str, float | None, tuple[float, float] | None, int]]
    bounds: str = ""  # the scale its intervals are shown within


def slice_wave(analysis: GapAnalysis, wave: Wave | None) -> GapAnalysis:
    """The same analysis narrowed to one wave's answers (every bucket is keyed by wave)."""
    if wave is None:
        return analysis
    return replace(
        analysis,
        filters=replace(analysis.filters, wave=wave),
        buckets={k: b for k, b in analysis.buckets.items() if k[1] == wave.pk},
        metric_sums={k: s for k, s in analysis.metric_sums.items() if k[1] == wave.pk},
        _cache={},
    )


def _scope(request):
    """Locations the member may see, and the list to restrict the analysis to (None: all)."""
    scope = location_scope(request)
    return scope.locations(), scope.only_locations


def _half(ci, scale: float = 1.0) -> float | None:
    return None if ci is None else (ci[1] - ci[0]) / 2 * scale


def _scaled(ci, scale: float) -> tuple[float, float] | None:
    return None if ci is None else (ci[0] * scale, ci[1] * scale)


def metric_tiles(metrics: MetricSet) -> list[Tile]:
    """NPS (points), CSAT (top-2-box %) and CES (mean on 1-7) with their margins of error."""
    tiles = []
    if (m := metrics.nps) is not None:
        tiles.append(
            Tile("nps", "NPS", m.score, m.margin, m.ci, m.n, m.small_sample, "", True, "diff")
        )
    if (m := metrics.csat) is not None:
        box = m.top2_box
        value = None if box.p is None else box.p * 100
        tiles.append(
            Tile(
                "csat",
                "CSAT (top-2-box)",
                value,
                _half(box.ci, 100),
                _scaled(box.ci, 100),
                box.n,
                box.small_sample,
                " %",
                bounds="0-100",
            )
        )
    if (m := metrics.ces) is not None:
        mean = m.mean
        tiles.append(
            Tile(
                "ces",
                "CES (mean, 1-7)",
                mean.mean,
                _half(mean.ci),
                mean.ci,
                mean.n,
                mean.small_sample,
                "",
                bounds="1-7",
            )
        )
    return tiles


def ranked_gaps(rows: list[GapRow]) -> list[RankedGap]:
    """Every known gap of every standard, biggest priority (size x importance x MtM) first."""
    entries = [
        RankedGap(row, name, GAP_LABELS[name], row.gaps[name], row.priority(name))
        for row in rows
        for name in GAPS
        if row.gaps[name].diff_100 is not None
    ]
    return sorted(entries, key=lambda e: -e.priority)


def perspective_chart(row: GapRow, title: str):
    points = [
        Point(PERSPECTIVE_LABELS[k], row.perspectives[k].mean_100, row.perspectives[k].ci, css=k)
        for k in PERSPECTIVES
    ]
    return dot_chart(points, title=title)


BOUNDS_OF = {(-100, 100): "diff", (0, 100): "0-100", (1, 7): "1-7"}


def _trend(title, points: list[Point], unit: str, ns: list[int], lo: float, hi: float) -> Trend:
    chart = line_chart(points, title=title, lo=lo, hi=hi)
    rows = [(p.label, p.value, p.ci, n) for p, n in zip(points, ns, strict=True)]
    return Trend(title, chart, unit, rows, BOUNDS_OF.get((lo, hi), ""))


def metric_trends(analysis: GapAnalysis) -> list[Trend]:
    """NPS, CSAT and CES per wave (only the metrics that were asked)."""
    by_wave = analysis.metrics().by_wave
    trends = []
    specs = (
        ("NPS per wave", "nps", -100, 100),
        ("CSAT (top-2-box %) per wave", "csat", 0, 100),
        ("CES (mean, 1-7) per wave", "ces", 1, 7),
    )
    for title, attr, lo, hi in specs:
        pts, ns = [], []
        for wave_name, ms in by_wave:
            m = getattr(ms, attr)
            if m is None:
                continue
            if attr == "nps":
                pts.append(Point(wave_name, m.score, m.ci))
                ns.append(m.n)
            elif attr == "csat":
                box = m.top2_box
                value = None if box.p is None else box.p * 100
                pts.append(Point(wave_name, value, _scaled(box.ci, 100)))
                ns.append(box.n)
            else:
                pts.append(Point(wave_name, m.mean.mean, m.mean.ci))
                ns.append(m.mean.n)
        if pts:
            trends.append(_trend(title, pts, " %" if attr == "csat" else "", ns, lo, hi))
    return trends


def gap_trends(rows: list[GapRow], names=("self_vs_perceived", "perceived_vs_expected")):
    """Gaps per wave (0-100 points) from rows keyed by wave; answers without a wave left out."""
    rows = [r for r in rows if r.key.get("wave") is not None]
    trends = []
    for name in names:
        gaps = [r.gaps[name] for r in rows]
        if not any(g.diff_100 is not None for g in gaps):
            continue
        pts = [Point(r.key["wave"], g.diff_100, g.ci) for r, g in zip(rows, gaps, strict=True)]
        ns = [g.n_a + (g.n_b or 0) for g in gaps]
        trends.append(_trend(f"{GAP_LABELS[name]} per wave", pts, "", ns, -100, 100))
    return trends


def _filter_context(request):
    """The filter form (the default wave filled in when none was asked for), the locations to
    restrict to, the query string of the links, and which wave is shown and why."""
    org = request.org
    visible, only = _scope(request)
    waves = list(Wave.objects.for_org(org))
    asked_name = request.GET.get("wave", "")
    choice = choose_wave(
        org,
        waves=waves,
        asked=next((w for w in waves if w.name == asked_name), None) if asked_name else None,
        all_waves="wave" in request.GET and not asked_name,
        only_locations=only,
    )
    data = filter_data(request.GET, default_wave_name=choice.wave.name if choice.wave else "")
    form = DashboardFilterForm(data, org=org, locations=visible)
    query = QueryDict(mutable=True)
    # An empty wave means "every wave" (not the default wave), so it stays in the links.
    query.update({k: v for k, v in data.items() if v or k == "wave"})
    return form, only, query, choice


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def gap_dashboard(request):
    """Tiles, ranked gaps, perspective charts, dimension summary and trends (GET filters)."""
    org = request.org
    form, only, query, choice = _filter_context(request)
    context: dict[str, Any] = {
        "org": org,
        "form": form,
        "query": query.urlencode(),
        "has_data": False,
        "wave_choice": choice,
    }
    if form.is_valid():
        f = form.cleaned_data
        analysis = analyse_gaps(
            organization=org,
            location=f["location"],
            only_locations=only,
            stage=f["stage"],
            channel=f["channel"] or None,
            dimension=f["dimension"] or None,
        )
        current = slice_wave(analysis, f["wave"])
        rows = current.rows("standard")
        ranked = ranked_gaps(rows)
        dimensions = current.rows("dimension")
        context.update(
            has_data=bool(analysis.buckets) or bool(analysis.metric_sums),
            wave_has_data=bool(current.buckets) or bool(current.metric_sums),
            wave=f["wave"],
            tiles=metric_tiles(current.metrics().overall),
            ranked=ranked[:RANKED_LIMIT],
            ranked_total=len(ranked),
            standards=[
                (r, perspective_chart(r, f"{r.standard.code} {r.standard.name}"))
                for r in rows
                if any(p.n for p in r.perspectives.values())
            ],
            standards_without_data=sum(
                1 for r in rows if not any(p.n for p in r.perspectives.values())
            ),
            dimensions=[(r, Dimension(r.key["dimension"]).label) for r in dimensions],
            dimension_chart=dot_chart(
                [
                    Point(
                        Dimension(r.key["dimension"]).label,
                        r.gaps["perceived_vs_expected"].diff_100,
                        r.gaps["perceived_vs_expected"].ci,
                    )
                    for r in dimensions
                ],
                title="Perceived minus expected (gap 5) per dimension, 0-100 points",
                lo=-100,
                hi=100,
            )
            if dimensions
            else None,
            trends=[*metric_trends(analysis), *gap_trends(analysis.rows("wave"))],
            download_json=_with(query, format="json"),
            download_csv=_with(query, format="csv"),
        )
    return render(request, "insights/dashboard.html", context)


def _with(query: QueryDict, **extra) -> str:
    q = query.copy()
    q.update(extra)
    return q.urlencode()


@require_GET
@org_view(Cap.VIEW_INSIGHTS)
def standard_detail(request, pk: int):
    """One standard: its perspectives chart, every perspective and gap, and its trend."""
    org = request.org
    standard = get_for_org(
        Standard.objects.select_related("touchpoint__stage__journey"), org, pk=pk
    )
    form, only, query, choice = _filter_context(request)
    context: dict[str, Any] = {
        "org": org,
        "form": form,
        "standard": standard,
        "query": query.urlencode(),
        "wave_choice": choice,
    }
    if form.is_valid():
        f = form.cleaned_data
        analysis = analyse_gaps(organization=org, location=f["location"], only_locations=only)
        current = slice_wave(analysis, f["wave"])
        row = next(r for r in current.rows("standard") if r.standard.id == standard.pk)
        per_wave = [
            r
            for r in analysis.rows("standard", "wave")
            if r.key["standard"] == standard.code and r.key["wave"] is not None
        ]
        context.update(
            row=row,
            wave=f["wave"],
            chart=perspective_chart(row, f"{standard.code} {standard.name}"),
            perspectives=[(PERSPECTIVE_LABELS[k], row.perspectives[k]) for k in PERSPECTIVES],
            management_expected=row.result.management_expected,
            gaps=[(GAP_LABELS[k], row.gaps[k], k) for k in GAPS],
            per_wave=per_wave,
            trends=gap_trends(per_wave),
            kpis=kpi_figures(
                organization=org,
                wave=f["wave"],
                location=f["location"],
                only_locations=only,
                standard_ids=[standard.pk],
            ),
        )
    return render(request, "insights/standard_detail.html", context)
