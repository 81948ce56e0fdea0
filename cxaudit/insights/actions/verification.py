"""Whether an action worked: the gap it addresses, before and after, by the data (pure Python;
the rule is stated in docs/statistics.md, "Verifying an action").

A gap figure is the report's gap dict: ``diff_100`` (0-100 points, or percentage points for
shares), its 95 % interval ``ci`` and ``small_sample``. The two waves are independent samples,
so the standard error of the change is sqrt(se_before² + se_after²), each se taken from its
interval's half-width / z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .models import Verdict

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Figure:
    diff: float | None
    ci: tuple[float, float] | None
    small_sample: bool

    @classmethod
    def from_gap(cls, gap: dict[str, Any] | None) -> Figure:
        gap = gap or {}
        ci = gap.get("ci")
        return cls(
            diff=gap.get("diff_100"),
            ci=(float(ci[0]), float(ci[1])) if ci else None,
            small_sample=bool(gap.get("small_sample", True)),
        )

    @property
    def usable(self) -> bool:
        return (
            self.diff is not None
            and self.ci is not None
            and not self.small_sample
            and all(math.isfinite(x) for x in (self.diff, *self.ci))
        )

    def se(self, z: float = Z95) -> float:
        assert self.ci is not None
        return (self.ci[1] - self.ci[0]) / (2 * z)


@dataclass(frozen=True, slots=True)
class Evaluation:
    verdict: Verdict
    narrowing: float | None  # |before| - |after|, points
    threshold: float | None  # z * se of the change, points
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "narrowing": None if self.narrowing is None else round(self.narrowing, 6),
            "threshold": None if self.threshold is None else round(self.threshold, 6),
            "verified": self.verified,
        }


def evaluate(
    before: Figure, after: Figure, *, target_gap: float | None = None, z: float = Z95
) -> Evaluation:
    """Verified when the gap narrowed by more than the sampling error of the change (or, when
    the item has a target, when |after| is within it); not verified when it narrowed within
    noise or widened; not enough data when either wave's figure is missing or small."""
    if not (before.usable and after.usable):
        return Evaluation(Verdict.NOT_ENOUGH_DATA, None, None, False)
    narrowing = abs(before.diff) - abs(after.diff)
    threshold = z * math.hypot(before.se(z), after.se(z))
    if narrowing > threshold:
        return Evaluation(Verdict.NARROWED, narrowing, threshold, True)
    if target_gap is not None and abs(after.diff) <= target_gap:
        return Evaluation(Verdict.MET_TARGET, narrowing, threshold, True)
    return Evaluation(Verdict.NOT_NARROWED, narrowing, threshold, False)


def suggest_priority(diff_100: float | None, importance: int, moment_that_matters: bool) -> int:
    """Gap size (points) x importance (1-5) x 2 at a moment that matters, as the dashboard
    ranks gaps: >= 100 urgent, >= 50 high, >= 20 medium, else low (Priority values 4..1)."""
    if diff_100 is None or not math.isfinite(diff_100):
        return 2
    score = abs(diff_100) * importance * (2 if moment_that_matters else 1)
    if score >= 100:
        return 4
    if score >= 50:
        return 3
    if score >= 20:
        return 2
    return 1
