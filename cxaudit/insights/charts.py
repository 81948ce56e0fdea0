"""Server-rendered SVG charts for the insights pages: pure functions of plain numbers.

No JavaScript and no inline styles (the CSP forbids them): shapes carry SVG presentation
attributes and classes styled in static/css/insights.css. Every text is escaped here; the
result is a SafeString. Each chart has a <title> and <desc>; the pages put a <table> with the
same figures next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ids = count(1)


@dataclass(frozen=True, slots=True)
class Point:
    """One value with an optional interval; ``css`` names its series (a class suffix)."""

    label: str
    value: float | None
    ci: tuple[float, float] | None = None
    css: str = ""


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _clip(x: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, x))


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _svg(width: int, height: int, title: str, desc: str, body: list[str], css: str) -> SafeString:
    uid = next(_ids)
    head = (
        f'<svg class="chart {escape(css)}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-t{uid}" aria-describedby="chart-d{uid}" '
        f'preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-t{uid}">{escape(title)}</title>'
        f'<desc id="chart-d{uid}">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text escaped above


def describe(points: list[Point], unit: str = "") -> str:
    """A plain-language list of the values, for <desc>."""
    parts = []
    for p in points:
        if not _finite(p.value):
            parts.append(f"{p.label}: no data")
            continue
        text = f"{p.label}: {_fmt(p.value)}{unit}"
        if p.ci is not None and _finite(p.ci[0]) and _finite(p.ci[1]):
            text += f" (interval {_fmt(p.ci[0])} to {_fmt(p.ci[1])})"
        parts.append(text)
    return "; ".join(parts) + "."


def dot_chart(
    points: list[Point], *, title: str, lo: float = 0.0, hi: float = 100.0, width: int = 360
) -> SafeString:
    """One row per point: a dot at the value and a whisker over its interval on a lo-hi axis
    (intervals are clipped to the axis; a missing value shows "no data")."""
    label_w, pad, row_h, top = 100, 14, 26, 8
    plot_w = width - label_w - pad
    height = top + row_h * len(points) + 22

    def x(v: float) -> float:
        return label_w + (_clip(v, lo, hi) - lo) / (hi - lo) * plot_w

    body = []
    for tick in _ticks(lo, hi):
        tx = x(tick)
        body.append(
            f'<line class="chart-grid" x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" '
            f'y2="{top + row_h * len(points)}"/>'
            f'<text class="chart-tick" x="{tx:.1f}" y="{height - 6}" '
            f'text-anchor="middle">{_fmt(tick)}</text>'
        )
    for i, p in enumerate(points):
        cy = top + row_h * i + row_h / 2
        body.append(
            f'<text class="chart-label" x="{label_w - 6}" y="{cy + 4:.1f}" '
            f'text-anchor="end">{escape(p.label)}</text>'
        )
        series = f"series-{escape(p.css)}" if p.css else ""
        if not _finite(p.value):
            body.append(
                f'<text class="chart-nodata" x="{label_w + 4}" y="{cy + 4:.1f}">no data</text>'
            )
            continue
        if p.ci is not None and _finite(p.ci[0]) and _finite(p.ci[1]):
            x1, x2 = x(p.ci[0]), x(p.ci[1])
            body.append(
                f'<line class="chart-whisker {series}" x1="{x1:.1f}" y1="{cy:.1f}" '
                f'x2="{x2:.1f}" y2="{cy:.1f}"/>'
                f'<line class="chart-whisker {series}" x1="{x1:.1f}" y1="{cy - 5:.1f}" '
                f'x2="{x1:.1f}" y2="{cy + 5:.1f}"/>'
                f'<line class="chart-whisker {series}" x1="{x2:.1f}" y1="{cy - 5:.1f}" '
                f'x2="{x2:.1f}" y2="{cy + 5:.1f}"/>'
            )
        body.append(
            f'<circle class="chart-dot {series}" cx="{x(p.value):.1f}" cy="{cy:.1f}" r="5"/>'
        )
    return _svg(width, height, title, describe(points), body, "chart-dots")


def line_chart(
    points: list[Point], *, title: str, lo: float = 0.0, hi: float = 100.0, width: int = 360
) -> SafeString:
    """Values over ordered categories (waves): a line through the known values, dots and
    interval whiskers, the category names under the axis."""
    left, right, top, bottom = 34, 12, 10, 34
    inset = 36  # keeps the first and last category names inside the chart
    height = 160
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(points)

    def x(i: int) -> float:
        span = plot_w - 2 * inset
        return left + inset + (span / 2 if n == 1 else span * i / (n - 1))

    def y(v: float) -> float:
        return top + plot_h - (_clip(v, lo, hi) - lo) / (hi - lo) * plot_h

    body = []
    for tick in _ticks(lo, hi, steps=4):
        ty = y(tick)
        body.append(
            f'<line class="chart-grid" x1="{left}" y1="{ty:.1f}" x2="{width - right}" '
            f'y2="{ty:.1f}"/><text class="chart-tick" x="{left - 4}" y="{ty + 4:.1f}" '
            f'text-anchor="end">{_fmt(tick)}</text>'
        )
    known = [(i, p) for i, p in enumerate(points) if _finite(p.value)]
    if len(known) > 1:
        coords = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in known)
        body.append(f'<polyline class="chart-line" points="{coords}" fill="none"/>')
    for i, p in enumerate(points):
        body.append(
            f'<text class="chart-tick" x="{x(i):.1f}" y="{height - 12}" '
            f'text-anchor="middle">{escape(p.label)}</text>'
        )
        if not _finite(p.value):
            continue
        if p.ci is not None and _finite(p.ci[0]) and _finite(p.ci[1]):
            body.append(
                f'<line class="chart-whisker" x1="{x(i):.1f}" y1="{y(p.ci[0]):.1f}" '
                f'x2="{x(i):.1f}" y2="{y(p.ci[1]):.1f}"/>'
            )
        body.append(f'<circle class="chart-dot" cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="4"/>')
    return _svg(width, height, title, describe(points), body, "chart-line-chart")


def _ticks(lo: float, hi: float, steps: int = 4) -> list[float]:
    return [lo + (hi - lo) * k / steps for k in range(steps + 1)]
