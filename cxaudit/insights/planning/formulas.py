"""Planning the next wave: how many shop visits, customer responses and invitations give a
chosen margin of error, from the last wave's spread and shares (pure Python; the formulas are in
docs/statistics.md, "Planning a wave").

Margins are half-widths of a two-sided interval, in points: 0-100 points for means and shares
(a share of 0.8 is 80 points), NPS points for the NPS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

CONSERVATIVE_SHARE = 0.5  # p(1 - p) is largest at 0.5: the safe guess without data
CONSERVATIVE_SD = 50.0  # on 0-100: the largest spread of answers split between 0 and 100
CONSERVATIVE_NPS_VAR = 1.0  # p + d - (p - d)^2 is at most 1 (half promoters, half detractors)


def z_of(confidence: float) -> float:
    """Two-sided normal quantile: 1.96 for 95 %."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    return float(-special.ndtri((1 - confidence) / 2))


def _n(variance: float, margin: float, z: float) -> int:
    if margin <= 0:
        raise ValueError("the margin must be positive")
    return max(1, math.ceil(z * z * variance / (margin * margin) - 1e-9))


def n_for_mean(sd: float | None, margin: float, *, z: float) -> int:
    """n = (z * sd / E)^2, rounded up; sd and E on the same scale (0-100 points)."""
    sd = CONSERVATIVE_SD if sd is None or not math.isfinite(sd) else sd
    return _n(sd * sd, margin, z)


def n_for_share(p: float | None, margin_points: float, *, z: float) -> int:
    """n = z^2 p (1 - p) / E^2 with E as a share (points / 100), rounded up."""
    p = CONSERVATIVE_SHARE if p is None or not 0 <= p <= 1 else p
    return _n(p * (1 - p), margin_points / 100, z)


def nps_variance(promoters: float, detractors: float) -> float:
    """Variance of one answer's NPS contribution (+1, 0, -1): p + d - (p - d)^2."""
    return promoters + detractors - (promoters - detractors) ** 2


def n_for_nps(promoters: float | None, detractors: float | None, margin: float, *, z: float) -> int:
    """n = z^2 var / E^2 with E in NPS points / 100, rounded up."""
    if promoters is None or detractors is None:
        var = CONSERVATIVE_NPS_VAR
    else:
        var = nps_variance(promoters, detractors)
    return _n(var, margin / 100, z)


def invitations_for(responses: int, response_rate: float) -> int:
    """Invitations to send for `responses` at a response rate (0-1), rounded up."""
    if not 0 < response_rate <= 1:
        raise ValueError("the response rate must be above 0 and at most 100 %")
    return math.ceil(responses / response_rate - 1e-9)


@dataclass(frozen=True)
class Need:
    """How many answers a figure needs: `needed` for the margin, `planned` at least `floor`
    (below it the pages flag the figure as a small sample), and what it was computed from."""

    needed: int
    planned: int
    basis: str

    @classmethod
    def of(cls, needed: int, floor: int, basis: str) -> Need:
        return cls(needed=needed, planned=max(needed, floor), basis=basis)
