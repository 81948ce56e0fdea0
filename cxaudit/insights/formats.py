"""One way to write each kind of number on the insights pages, in the templates (the filters of
templatetags/dashboard_tags.py) and in texts made in Python (heatmap labels, chart
descriptions). Unknown values are "—"; minus signs are "−".

    num(53.94) "53.9"          signed(3.21) "+3.2"         points(-3.2) "−3.2 pts"
    pct(53.94) "53.9 %"        percent(0.54) "54 %"        pvalue(0.0004) "< 0.001"
    interval((53.9, 101.7), bounds=(0, 100)) "53.9 to 100.0", clipped (see `Interval`)

Intervals on a 0-100 page are shown within the scale: a t interval of a mean near the end of
the scale can run past it (e.g. 53.9 to 101.7); the page shows it within 0-100 and marks it
(docs/statistics.md, "What the pages show"). The JSON and CSV keep the interval as computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DASH = "—"
MINUS = "−"
SCALE_100 = (0.0, 100.0)  # a mean or share on the common scale
DIFF_100 = (-100.0, 100.0)  # a difference of two values on the common scale


def known(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _minus(text: str) -> str:
    return text.replace("-", MINUS)


def num(x, digits: int = 1) -> str:
    return _minus(f"{x:.{int(digits)}f}") if known(x) else DASH


def signed(x, digits: int = 1) -> str:
    return _minus(f"{x:+.{int(digits)}f}") if known(x) else DASH


def points(x, digits: int = 1) -> str:
    """A difference on the 0-100 scale, in points."""
    return f"{signed(x, digits)} pts" if known(x) else DASH


def pct(x, digits: int = 1) -> str:
    """A value already on 0-100, as a percentage."""
    return f"{num(x, digits)} %" if known(x) else DASH


def percent(share, digits: int = 0) -> str:
    """A share 0-1 as a percentage."""
    return pct(share * 100, digits) if known(share) else DASH


def pvalue(p) -> str:
    if not known(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


@dataclass(frozen=True, slots=True)
class Interval:
    """An interval as shown: `text` within the bounds; `clipped` when an end was moved to a
    bound, `full` then says the interval as computed."""

    text: str
    clipped: bool = False
    full: str = ""


def interval(ci, digits: int = 1, bounds: tuple[float, float] | None = None) -> Interval:
    if not ci or len(ci) != 2 or not all(known(v) for v in ci):
        return Interval(DASH)
    lo, hi = ci
    full = f"{num(lo, digits)} to {num(hi, digits)}"
    if bounds is None or (bounds[0] <= lo and hi <= bounds[1]):
        return Interval(full)
    shown = f"{num(max(lo, bounds[0]), digits)} to {num(min(hi, bounds[1]), digits)}"
    return Interval(shown, clipped=True, full=full)
