"""The gap engine: perspectives and SERVQUAL gaps per standard and roll-up, computed from a
fixed number of GROUP BY queries (queries.py), combined and tested in Python (engine.py,
analysis.py) and exported as JSON/CSV (report.py)."""

from .analysis import GapAnalysis, GapRow, StandardInfo, analyse_gaps, rank_gaps
from .engine import GAPS, PERSPECTIVES, Gap, GapSet, Perspective

__all__ = [
    "GAPS",
    "PERSPECTIVES",
    "Gap",
    "GapAnalysis",
    "GapRow",
    "GapSet",
    "Perspective",
    "StandardInfo",
    "analyse_gaps",
    "rank_gaps",
]
