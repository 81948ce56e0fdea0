"""The journey heatmap's colour scale: each touchpoint takes the colour of its largest
significant gap (any of the five gaps on the 0-100 scale; the share gaps are shown in the
drill-down, not coloured).

    grey   (gap-none)  no data, or no gap could be tested on a large enough sample
    green  (gap-good)  gaps were tested and none is significant
    amber  (gap-warn)  largest significant gap |diff| < LARGE_GAP points
    red    (gap-bad)   largest significant gap |diff| >= LARGE_GAP points

The label always says the gap in words and figures, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import formats as fmt
from .gaps import Gap, GapRow
from .gaps.engine import MEAN_GAPS
from .vocabulary import GAP_LABELS

LARGE_GAP = 15.0  # points on the 0-100 scale

# The heatmap colours by the five gaps on the 0-100 scale; share gaps are in the drill-down.
GAP_NAMES = {name: GAP_LABELS[name] for name in MEAN_GAPS}

LEGEND = (
    ("gap-bad", f"Large gap: a significant gap of {LARGE_GAP:.0f} points or more"),
    ("gap-warn", f"Small gap: a significant gap under {LARGE_GAP:.0f} points"),
    ("gap-good", "No significant gap"),
    ("gap-none", "No data or sample too small to test"),
)


@dataclass(frozen=True, slots=True)
class Shade:
    css: str
    label: str
    title: str
    gap: str | None = None  # name of the largest significant gap
    value: Gap | None = None


def largest_significant(row: GapRow) -> tuple[str, Gap] | None:
    """The significant gap with the largest |diff_100| of a row, None if none is. Gaps
    tested on small samples (stats.SMALL_SAMPLE_N) do not count."""
    found = [
        (name, g)
        for name, g in ((n, row.gaps[n]) for n in MEAN_GAPS)
        if g.significant and not g.small_sample and g.diff_100 is not None
    ]
    return max(found, key=lambda item: abs(item[1].diff_100), default=None)


def shade(row: GapRow | None, *, little_data: bool = False) -> Shade:
    """The colour class and text of one touchpoint (or standard) row. In a wave with little
    data (waves.WaveChoice.little_data) an untestable row reads "Too few answers yet": the page
    says once that every figure is a small sample."""
    if row is None:
        return Shade("gap-none", "No data", "No answers in this selection")
    top = largest_significant(row)
    if top is not None:
        name, gap = top
        size = abs(gap.diff_100)
        css, word = ("gap-bad", "Large gap") if size >= LARGE_GAP else ("gap-warn", "Small gap")
        label = f"{word}: {GAP_NAMES[name]} {fmt.points(gap.diff_100, 0)}"
        title = f"largest significant gap {GAP_NAMES[name]} {fmt.points(gap.diff_100)}"
        if gap.p is not None:
            p = fmt.pvalue(gap.p)
            title += f" (p {p})" if p.startswith("<") else f" (p = {p})"
        return Shade(css, label, title, name, gap)
    tested = [row.gaps[n] for n in MEAN_GAPS if row.gaps[n].significant is not None]
    if any(not g.small_sample for g in tested):
        return Shade("gap-good", "No significant gap", "no gap differs significantly from 0")
    n = sum(p.n for p in row.perspectives.values())
    if n == 0:
        return Shade("gap-none", "No data", "No answers in this selection")
    label = "Too few answers yet" if little_data else "Small sample"
    return Shade("gap-none", label, f"{n} answers: too few to test a gap")
