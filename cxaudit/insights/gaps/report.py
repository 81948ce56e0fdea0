"""The gap report as a JSON-ready dict and as CSV (formats documented in docs/formats.md)."""

from __future__ import annotations

from typing import IO, Any

from cxaudit.accounts.models import Location, Organization
from cxaudit.exports import write_csv
from cxaudit.journeys.models import Wave

from .analysis import GapAnalysis, GapRow, analyse_gaps
from .engine import GAPS, PERSPECTIVES, jsonable

CSV_COLUMNS = [
    "level",
    "standard",
    "name",
    "dimension",
    "touchpoint",
    "stage",
    "kind",
    "measure",
    "n",
    "mean",
    "scale",
    "mean_100",
    "ci_low",
    "ci_high",
    "agree",
    "agree_ci_low",
    "agree_ci_high",
    "diff",
    "diff_100",
    "p",
    "significant",
    "small_sample",
    "method",
    "n_a",
    "n_b",
    "reason",
    "target",
    "meets_target",
]


def _standard_entry(row: GapRow) -> dict[str, Any]:
    std = row.standard
    assert std is not None
    return {
        "code": std.code,
        "name": std.name,
        "dimension": std.dimension,
        "touchpoint": std.touchpoint,
        "stage": std.stage,
        **row.result.to_dict(),
    }


def report_dict(analysis: GapAnalysis) -> dict[str, Any]:
    """The gap report of an analysis, as documented in docs/formats.md."""
    f = analysis.filters
    return {
        "organization": f.organization.slug,
        "wave": f.wave.name if f.wave is not None else None,
        "location": f.location.code if f.location is not None else None,
        "standards": [_standard_entry(r) for r in analysis.rows("standard")],
        "dimensions": [
            {"dimension": r.key["dimension"], **r.result.to_dict()}
            for r in analysis.rows("dimension")
        ],
        "touchpoints": [
            {"touchpoint": r.labels["touchpoint"], "stage": _stage_of(analysis, r)}
            | r.result.to_dict()
            for r in analysis.rows("touchpoint")
        ],
        "stages": [
            {"stage": r.labels["stage"], **r.result.to_dict()} for r in analysis.rows("stage")
        ],
        "locations": [
            {"location": r.key["location"], **r.result.to_dict()} for r in analysis.rows("location")
        ],
        "waves": [{"wave": r.key["wave"], **r.result.to_dict()} for r in analysis.rows("wave")],
        "metrics": analysis.metrics().to_dict(),
        "kpis": [k.to_dict() for k in _kpis(analysis)],
    }


def _kpis(analysis: GapAnalysis):
    from ..kpis.services import kpi_figures  # kpis read the gap filters; no import cycle

    f = analysis.filters
    return kpi_figures(
        organization=f.organization,
        wave=f.wave,
        location=f.location,
        only_locations=f.location_ids,
    )


def _stage_of(analysis: GapAnalysis, row: GapRow) -> str:
    tp = row.key["touchpoint"]
    return next(s.stage for s in analysis.standards.values() if s.touchpoint_id == tp)


def build_gap_report(
    *,
    organization: Organization,
    wave: Wave | None = None,
    location: Location | None = None,
    **filters: Any,
) -> dict[str, Any]:
    """The gap report of an organisation (optionally one wave and/or location) as a dict."""
    return report_dict(
        analyse_gaps(organization=organization, wave=wave, location=location, **filters)
    )


def _ci(ci: Any) -> tuple[Any, Any]:
    return (None, None) if ci is None else (jsonable(ci[0]), jsonable(ci[1]))


def _csv_rows(analysis: GapAnalysis):
    for row in analysis.rows("standard"):
        std = row.standard
        assert std is not None
        base = {
            "level": "standard",
            "standard": std.code,
            "name": std.name,
            "dimension": std.dimension,
            "touchpoint": std.touchpoint,
            "stage": std.stage,
        }
        yield from _measure_rows(base, row)
    for row in analysis.rows("dimension"):
        yield from _measure_rows({"level": "dimension", "dimension": row.key["dimension"]}, row)
    for figure in _kpis(analysis):
        entry = figure.to_dict()
        yield {
            "level": "kpi",
            "standard": " ".join(entry["standards"]),
            "name": entry["name"],
            "kind": "kpi",
            "measure": entry["code"],
            "n": entry["locations"],
            "mean": entry["value"],
            "scale": entry["unit"],
            "target": entry["target"],
            "meets_target": entry["meets_target"],
        }


# The report's CSV rows (dicts keyed by CSV_COLUMNS), for cxaudit.downloads too.
gap_csv_rows = _csv_rows


def _measure_rows(base: dict[str, Any], row: GapRow):
    for name in PERSPECTIVES:
        p = row.perspectives[name]
        ci_low, ci_high = _ci(p.ci)
        agree_low, agree_high = _ci(p.agree_ci)
        yield base | {
            "kind": "perspective",
            "measure": name,
            "n": p.n,
            "mean": jsonable(p.mean),
            "scale": p.scale or "",
            "mean_100": jsonable(p.mean_100),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "agree": jsonable(p.agree),
            "agree_ci_low": agree_low,
            "agree_ci_high": agree_high,
        }
    for name in GAPS:
        g = row.gaps[name]
        ci_low, ci_high = _ci(g.ci)
        yield base | {
            "kind": "gap",
            "measure": name,
            "diff": jsonable(g.diff),
            "diff_100": jsonable(g.diff_100),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "p": jsonable(g.p),
            "significant": g.significant,
            "small_sample": g.small_sample,
            "method": g.method,
            "n_a": g.n_a,
            "n_b": g.n_b,
            "reason": g.reason or "",
        }


def write_gap_csv(analysis: GapAnalysis, out: IO[str]) -> None:
    """Write the report as CSV: one row per standard (then dimension) x perspective or gap,
    then one per KPI; through the formula-safe writer (a name such as "=1+1" is text)."""
    write_csv(out, CSV_COLUMNS, ([row.get(c) for c in CSV_COLUMNS] for row in _csv_rows(analysis)))
