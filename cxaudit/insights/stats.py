"""Estimates, confidence intervals and tests computed from per-group summary statistics.

Aggregates are computed in the database (GROUP BY), so every function here takes summaries
(counts, sums, sums of squares, or n / mean / sd), never rows. Formulas and references are in
docs/statistics.md. No Django imports: this module is plain arithmetic plus scipy.stats.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from fractions import Fraction
from numbers import Integral
from typing import Any

from scipy import special, stats

SMALL_SAMPLE_N = 30
ALPHA = 0.05

# Why a field is None (or an interval is missing); stable strings for the JSON/CSV gap report.
EMPTY = "empty"
TOO_FEW = "too_few"
ZERO_VARIANCE = "zero_variance"

Number = int | float | Decimal | Fraction


# --------------------------------------------------------------------------------------------
# Serialisation and small helpers
# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Convert one result field into a JSON-ready value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            # JSON has no NaN/inf; an undefined figure is reported as missing.
            return None
        # Adding 0.0 turns -0.0 (from rounding a tiny negative) into 0.0.
        return round(value, 6) + 0.0
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, _Result):
        return value.to_dict()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class _Result:
    """Mixin giving frozen result dataclasses a JSON-ready to_dict()."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as JSON-ready values, floats rounded to 6 decimals."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def _check_alpha(alpha: float) -> None:
    """Reject a significance level outside (0, 1)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


# The distribution functions come from scipy.special rather than scipy.stats' distribution
# objects: the same functions (scipy.stats calls them underneath) without the argument
# checking that costs ~0.3 ms a call, which a gap report with hundreds of intervals feels.


@functools.lru_cache(maxsize=64)
def _z(alpha: float) -> float:
    """Two-sided standard normal critical value."""
    return float(special.ndtri(1 - alpha / 2))


def _t(alpha: float, df: float) -> float:
    """Two-sided Student t critical value."""
    return float(special.stdtrit(df, 1 - alpha / 2))


def _ratio(x: Number) -> tuple[int, int]:
    """x as an exact integer ratio (numerator, positive denominator)."""
    if isinstance(x, int):
        return int(x), 1
    if isinstance(x, float | Decimal):
        return x.as_integer_ratio()
    f = Fraction(x)
    return f.numerator, f.denominator


def _is_int(value: object) -> bool:
    """True for int (and numpy integers) but not bool."""
    if type(value) is int:  # the common case, without the abstract-class check
        return True
    return isinstance(value, Integral) and not isinstance(value, bool)


def _scale_factor(scale_min: float, scale_max: float) -> float:
    """Return 100 / (max - min), rejecting an empty scale."""
    if not scale_max > scale_min:
        raise ValueError(f"scale_max must exceed scale_min, got {scale_min!r}..{scale_max!r}")
    return 100.0 / (scale_max - scale_min)


def to_100(value: float | None, scale_min: float, scale_max: float) -> float | None:
    """Rescale a native-scale value linearly so scale_min maps to 0 and scale_max to 100."""
    factor = _scale_factor(scale_min, scale_max)
    return None if value is None else (value - scale_min) * factor


def diff_to_100(diff: float | None, scale_min: float, scale_max: float) -> float | None:
    """Rescale a difference, sd or se to 0-100 points: only the scale width matters."""
    factor = _scale_factor(scale_min, scale_max)
    return None if diff is None else diff * factor


def _ci_to_100(
    ci: tuple[float, float] | None, scale_min: float, scale_max: float, *, is_diff: bool
) -> tuple[float, float] | None:
    """Rescale both ends of an interval."""
    factor = _scale_factor(scale_min, scale_max)
    if ci is None:
        return None
    offset = 0.0 if is_diff else scale_min
    return ((ci[0] - offset) * factor, (ci[1] - offset) * factor)


# --------------------------------------------------------------------------------------------
# Summaries (what one GROUP BY row provides)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Count, mean and sample standard deviation (n - 1 denominator) of one group."""

    n: int
    mean: float | None = None
    sd: float | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.n) or self.n < 0:
            raise ValueError(f"n must be a non-negative integer, got {self.n!r}")
        # Databases hand back Decimal (AVG on numeric) or numpy floats; store plain floats.
        mean = None if self.n == 0 or self.mean is None else float(self.mean)
        sd = None if self.n < 2 or self.sd is None else float(self.sd)
        if self.n >= 1 and (mean is None or not math.isfinite(mean)):
            raise ValueError(f"a group of {self.n} needs a finite mean, got {self.mean!r}")
        if self.n >= 2 and (sd is None or not math.isfinite(sd) or sd < 0):
            raise ValueError(f"a group of {self.n} needs a finite sd >= 0, got {self.sd!r}")
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "sd", sd)

    @classmethod
    def from_sums(cls, n: int, total: Number | None, total_sq: Number | None) -> Summary:
        """Build from COUNT(x), SUM(x) and SUM(x * x) as returned by one GROUP BY row."""
        if _is_int(n):
            n = int(n)  # numpy integers would overflow the exact products below
        if n == 0:
            return cls(0)
        if total is None or total_sq is None:
            raise ValueError("total and total_sq are required when n > 0")
        # Exact rational arithmetic: integer and Decimal sums (SUM over integer or numeric
        # columns) lose nothing to the cancellation that makes the one-pass formula unstable.
        # Done on integer ratios (total = p / q, total_sq = p2 / q2) rather than Fractions:
        # the same exact values, without normalising every intermediate (a report computes
        # hundreds of these). int / int is correctly rounded, as float(Fraction) is.
        p, q = _ratio(total)
        p2, q2 = _ratio(total_sq)
        mean = p / (q * n)
        if n == 1:
            return cls(1, mean)
        # ss = total_sq - total**2 / n = num / den, den > 0
        num = p2 * q * q * n - p * p * q2
        den = q2 * q * q * n
        if isinstance(total, float) or isinstance(total_sq, float):
            # Float sums carry rounding error of order n * eps * total_sq, which can leave a
            # tiny positive or negative remainder where the true spread is zero.
            tolerance, scale = (8 * n * sys.float_info.epsilon * abs(p2 / q2)).as_integer_ratio()
            if num * scale <= tolerance * den:
                num = 0
        elif num < 0:
            raise ValueError("inconsistent sums: n * total_sq < total ** 2")
        return cls(n, mean, math.sqrt(num / (den * (n - 1))))

    def to_100(self, scale_min: float, scale_max: float) -> Summary:
        """Rescale to 0-100, e.g. to compare a 1-7 self-assessment with a 1-5 customer item."""
        mean = to_100(self.mean, scale_min, scale_max)
        return Summary(self.n, mean, diff_to_100(self.sd, scale_min, scale_max))

    @classmethod
    def from_values(cls, values: Iterable[Number]) -> Summary:
        """Build from raw values; for tests and fixtures, never for production aggregates."""
        xs = [Fraction(v) for v in values]
        return cls.from_sums(len(xs), sum(xs, Fraction(0)), sum((x * x for x in xs), Fraction(0)))


@dataclass(frozen=True, slots=True)
class ProportionSummary:
    """Number of answers n and number k of them that meet the condition."""

    n: int
    k: int

    def __post_init__(self) -> None:
        if not (_is_int(self.n) and _is_int(self.k)) or not 0 <= self.k <= self.n:
            raise ValueError(f"need integers 0 <= k <= n, got n={self.n!r}, k={self.k!r}")
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "k", int(self.k))

    @property
    def p(self) -> float | None:
        """Observed share k / n, None when n is 0."""
        return self.k / self.n if self.n else None


# --------------------------------------------------------------------------------------------
# Results: every figure that cannot be computed is None, and `reason` says why.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MeanEstimate(_Result):
    """A mean with its t-based confidence interval."""

    n: int
    mean: float | None = None
    sd: float | None = None
    se: float | None = None
    ci: tuple[float, float] | None = None
    small_sample: bool
    confidence: float
    reason: str | None = None

    def to_100(self, scale_min: float, scale_max: float) -> MeanEstimate:
        """Return the same estimate rescaled to 0-100 (mean, sd, se and ci)."""
        return replace(
            self,
            mean=to_100(self.mean, scale_min, scale_max),
            sd=diff_to_100(self.sd, scale_min, scale_max),
            se=diff_to_100(self.se, scale_min, scale_max),
            ci=_ci_to_100(self.ci, scale_min, scale_max, is_diff=False),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProportionEstimate(_Result):
    """A share k / n (0-1) with its Wilson score interval."""

    n: int
    k: int
    p: float | None = None
    ci: tuple[float, float] | None = None
    small_sample: bool
    confidence: float
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DiffEstimate(_Result):
    """A difference (a - b, or estimate - target) with its interval and test."""

    method: str
    diff: float | None = None
    se: float | None = None
    df: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    ci: tuple[float, float] | None = None
    significant: bool | None = None
    small_sample: bool
    n_a: int
    n_b: int | None
    confidence: float
    reason: str | None = None

    def to_100(self, scale_min: float, scale_max: float) -> DiffEstimate:
        """Return the same difference in 0-100 points; df, statistic and p are scale-free."""
        return replace(
            self,
            diff=diff_to_100(self.diff, scale_min, scale_max),
            se=diff_to_100(self.se, scale_min, scale_max),
            ci=_ci_to_100(self.ci, scale_min, scale_max, is_diff=True),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NpsEstimate(_Result):
    """Net Promoter Score in points (-100..100) with its margin of error; shares are 0-1."""

    n: int
    promoters: int
    passives: int
    detractors: int
    promoter_share: float | None = None
    passive_share: float | None = None
    detractor_share: float | None = None
    score: float | None = None
    se: float | None = None
    margin: float | None = None
    ci: tuple[float, float] | None = None
    small_sample: bool
    confidence: float
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CsatEstimate(_Result):
    """CSAT on 1-5: top-2-box share (answers 4-5) and mean."""

    top2_box: ProportionEstimate
    mean: MeanEstimate


@dataclass(frozen=True, slots=True, kw_only=True)
class CesEstimate(_Result):
    """CES on 1-7: mean and share agreeing (answers 5-7)."""

    mean: MeanEstimate
    agree: ProportionEstimate


# --------------------------------------------------------------------------------------------
# One-group estimates
# --------------------------------------------------------------------------------------------


def estimate_mean(
    s: Summary, *, alpha: float = ALPHA, small_n: int = SMALL_SAMPLE_N
) -> MeanEstimate:
    """Mean with a (1 - alpha) t interval on n - 1 degrees of freedom."""
    _check_alpha(alpha)
    base: dict[str, Any] = {"n": s.n, "small_sample": s.n < small_n, "confidence": 1 - alpha}
    if s.n == 0:
        return MeanEstimate(reason=EMPTY, **base)
    if s.n == 1:
        return MeanEstimate(mean=s.mean, reason=TOO_FEW, **base)
    assert s.mean is not None and s.sd is not None
    se = s.sd / math.sqrt(s.n)
    if se == 0:
        # A zero-width interval would claim a certainty that a handful of identical answers
        # cannot give; report the figure without an interval.
        return MeanEstimate(mean=s.mean, sd=s.sd, se=se, reason=ZERO_VARIANCE, **base)
    half = _t(alpha, s.n - 1) * se
    return MeanEstimate(mean=s.mean, sd=s.sd, se=se, ci=(s.mean - half, s.mean + half), **base)


def wilson_interval(k: int, n: int, *, alpha: float = ALPHA) -> tuple[float, float]:
    """Wilson (1927) score interval for k successes out of n > 0."""
    _check_alpha(alpha)
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k!r}, n={n!r}")
    z = _z(alpha)
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
    # The exact bounds at k = 0 and k = n are 0 and 1; pin them, and keep p inside, against
    # float noise.
    low = 0.0 if k == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if k == n else max(p, min(1.0, centre + half))
    return (low, high)


def estimate_proportion(
    s: ProportionSummary, *, alpha: float = ALPHA, small_n: int = SMALL_SAMPLE_N
) -> ProportionEstimate:
    """Share k / n with a Wilson score interval (sound for small n and p near 0 or 1)."""
    _check_alpha(alpha)
    base: dict[str, Any] = {"n": s.n, "k": s.k, "small_sample": s.n < small_n}
    base["confidence"] = 1 - alpha
    if s.n == 0:
        return ProportionEstimate(reason=EMPTY, **base)
    return ProportionEstimate(p=s.p, ci=wilson_interval(s.k, s.n, alpha=alpha), **base)


# --------------------------------------------------------------------------------------------
# Differences and tests
# --------------------------------------------------------------------------------------------


def _frame(method: str, n_a: int, n_b: int | None, alpha: float, small_n: int) -> dict[str, Any]:
    """The DiffEstimate fields every comparison carries, whatever can be computed."""
    _check_alpha(alpha)
    small = (n_a if n_b is None else min(n_a, n_b)) < small_n
    frame: dict[str, Any] = {"method": method, "n_a": n_a, "n_b": n_b}
    return frame | {"small_sample": small, "confidence": 1 - alpha}


def _t_diff(diff: float, se: float, df: float | None, frame: dict[str, Any]) -> DiffEstimate:
    """Finish a t-based comparison once diff, se and df are known."""
    if se == 0:
        # No spread anywhere: t is 0/0 or infinite. Equal means give no evidence of a
        # difference (p = 1); unequal ones are left untested rather than called certain.
        same = diff == 0
        return DiffEstimate(
            diff=diff,
            se=se,
            df=df,
            p_value=1.0 if same else None,
            significant=False if same else None,
            reason=ZERO_VARIANCE,
            **frame,
        )
    assert df is not None
    alpha = 1 - frame["confidence"]
    t = diff / se
    p = min(1.0, float(2 * special.stdtr(df, -abs(t))))
    half = _t(alpha, df) * se
    ci = (diff - half, diff + half)
    return DiffEstimate(
        diff=diff, se=se, df=df, statistic=t, p_value=p, ci=ci, significant=p < alpha, **frame
    )


def welch_test(
    a: Summary, b: Summary, *, alpha: float = ALPHA, small_n: int = SMALL_SAMPLE_N
) -> DiffEstimate:
    """Welch's unequal-variance t test and interval for mean(a) - mean(b)."""
    frame = _frame("welch_t", a.n, b.n, alpha, small_n)
    if a.n == 0 or b.n == 0:
        return DiffEstimate(reason=EMPTY, **frame)
    assert a.mean is not None and b.mean is not None
    diff = a.mean - b.mean
    if a.n < 2 or b.n < 2:
        return DiffEstimate(diff=diff, reason=TOO_FEW, **frame)
    assert a.sd is not None and b.sd is not None
    va, vb = a.sd * a.sd / a.n, b.sd * b.sd / b.n
    var = va + vb
    df = None
    if var > 0:
        # Satterthwaite's df written with weights summing to 1, so squaring tiny variances
        # cannot underflow to 0 / 0.
        wa, wb = va / var, vb / var
        df = 1 / (wa * wa / (a.n - 1) + wb * wb / (b.n - 1))
    return _t_diff(diff, math.sqrt(var), df, frame)


def _one_sample(method: str, s: Summary, mu0: float, alpha: float, small_n: int) -> DiffEstimate:
    """One-sample t comparison of mean(s) with mu0 on n - 1 degrees of freedom."""
    frame = _frame(method, s.n, None, alpha, small_n)
    if s.n == 0:
        return DiffEstimate(reason=EMPTY, **frame)
    assert s.mean is not None
    diff = s.mean - mu0
    if s.n == 1:
        return DiffEstimate(diff=diff, reason=TOO_FEW, **frame)
    assert s.sd is not None
    return _t_diff(diff, s.sd / math.sqrt(s.n), s.n - 1, frame)


def paired_test(d: Summary, *, alpha: float = ALPHA, small_n: int = SMALL_SAMPLE_N) -> DiffEstimate:
    """Paired t test from the summary of per-respondent differences (a - b)."""
    return _one_sample("paired_t", d, 0.0, alpha, small_n)


def one_sample_test(
    s: Summary, mu0: float, *, alpha: float = ALPHA, small_n: int = SMALL_SAMPLE_N
) -> DiffEstimate:
    """One-sample t test and interval for mean(s) - mu0 (observed vs target)."""
    return _one_sample("one_sample_t", s, mu0, alpha, small_n)


def two_proportion_test(
    a: ProportionSummary,
    b: ProportionSummary,
    *,
    alpha: float = ALPHA,
    small_n: int = SMALL_SAMPLE_N,
) -> DiffEstimate:
    """Pooled z test and Newcombe hybrid score interval for p(a) - p(b)."""
    frame = _frame("two_proportion_z", a.n, b.n, alpha, small_n)
    if a.n == 0 or b.n == 0:
        return DiffEstimate(reason=EMPTY, **frame)
    pa, pb = a.k / a.n, b.k / b.n
    diff = pa - pb
    # Reported se is the unpooled one (the spread of the estimate); the test uses the pooled
    # se, which is the spread under the null hypothesis of equal shares.
    se = math.sqrt(pa * (1 - pa) / a.n + pb * (1 - pb) / b.n)
    z = None
    p = 1.0  # both groups all-no or all-yes: equal shares, pooled se 0, nothing to test
    if 0 < a.k + b.k < a.n + b.n:
        pooled = (a.k + b.k) / (a.n + b.n)
        z = diff / math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n))
        p = min(1.0, float(2 * special.ndtr(-abs(z))))
    la, ua = wilson_interval(a.k, a.n, alpha=alpha)
    lb, ub = wilson_interval(b.k, b.n, alpha=alpha)
    low = max(-1.0, diff - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2))
    high = min(1.0, diff + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2))
    return DiffEstimate(
        diff=diff, se=se, statistic=z, p_value=p, ci=(low, high), significant=p < alpha, **frame
    )


def proportion_vs_target(
    s: ProportionSummary, p0: float, *, alpha: float = ALPHA, small_n: int = SMALL_SAMPLE_N
) -> DiffEstimate:
    """Exact binomial test of k / n against target p0; interval is Wilson minus p0."""
    if not 0 <= p0 <= 1:
        raise ValueError(f"p0 must be in [0, 1], got {p0!r}")
    frame = _frame("exact_binomial", s.n, None, alpha, small_n)
    if s.n == 0:
        return DiffEstimate(reason=EMPTY, **frame)
    p = s.k / s.n
    low, high = wilson_interval(s.k, s.n, alpha=alpha)
    if p0 in (0.0, 1.0):
        # Against 0 % or 100 % the only possible outcome is k = 0 or k = n: anything else has
        # probability 0 under the null (p = 0), the expected outcome has p = 1. binomtest says
        # the same, ~1000 times slower, and a gap report runs it for every standard.
        p_value = 1.0 if s.k == round(p0 * s.n) else 0.0
    else:
        p_value = float(stats.binomtest(s.k, s.n, p0).pvalue)
    return DiffEstimate(
        diff=p - p0,
        se=math.sqrt(p * (1 - p) / s.n),
        p_value=p_value,
        ci=(low - p0, high - p0),
        significant=p_value < alpha,
        **frame,
    )


# --------------------------------------------------------------------------------------------
# CX metrics
# --------------------------------------------------------------------------------------------


def nps(
    n: int,
    promoters: int,
    detractors: int,
    *,
    alpha: float = ALPHA,
    small_n: int = SMALL_SAMPLE_N,
) -> NpsEstimate:
    """NPS = 100 (p - d) with margin z * sqrt((p + d - (p - d)^2) / n) * 100."""
    _check_alpha(alpha)
    if not all(_is_int(x) for x in (n, promoters, detractors)):
        raise ValueError("n, promoters and detractors must be integers")
    if promoters < 0 or detractors < 0 or promoters + detractors > n:
        raise ValueError(f"need promoters + detractors <= n, got {promoters}+{detractors}>{n}")
    passives = n - promoters - detractors
    base: dict[str, Any] = {"n": n, "promoters": promoters, "passives": passives}
    base |= {"detractors": detractors, "small_sample": n < small_n, "confidence": 1 - alpha}
    if n == 0:
        return NpsEstimate(reason=EMPTY, **base)
    base |= {
        "promoter_share": promoters / n,
        "passive_share": passives / n,
        "detractor_share": detractors / n,
        "score": 100 * (promoters - detractors) / n,
    }
    # var = p + d - (p - d)^2 = (n (P + D) - (P - D)^2) / n^2, kept in integers so that
    # "everyone in one category" gives exactly 0.
    var_num = n * (promoters + detractors) - (promoters - detractors) ** 2
    se = 100 * math.sqrt(var_num / n**3)
    if var_num == 0:
        return NpsEstimate(se=se, reason=ZERO_VARIANCE, **base)
    margin = _z(alpha) * se
    # The normal-approximation interval can overshoot the scale near +/-100.
    ci = (max(-100.0, base["score"] - margin), min(100.0, base["score"] + margin))
    return NpsEstimate(se=se, margin=margin, ci=ci, **base)


def _check_scale_sum(n: int, total: Number | None, low: int, high: int) -> None:
    """Reject a SUM that cannot come from n answers on the low..high scale."""
    if n and total is not None and not n * low <= total <= n * high:
        raise ValueError(f"sum {total} of {n} answers is outside {low}..{high} per answer")


def csat(
    n: int,
    top2: int,
    total: Number | None,
    total_sq: Number | None,
    *,
    alpha: float = ALPHA,
    small_n: int = SMALL_SAMPLE_N,
) -> CsatEstimate:
    """CSAT (1-5): top-2-box share of answers 4-5 (Wilson) and mean (t interval)."""
    _check_scale_sum(n, total, 1, 5)
    return CsatEstimate(
        top2_box=estimate_proportion(ProportionSummary(n, top2), alpha=alpha, small_n=small_n),
        mean=estimate_mean(Summary.from_sums(n, total, total_sq), alpha=alpha, small_n=small_n),
    )


def ces(
    n: int,
    agree: int,
    total: Number | None,
    total_sq: Number | None,
    *,
    alpha: float = ALPHA,
    small_n: int = SMALL_SAMPLE_N,
) -> CesEstimate:
    """CES (1-7): mean (t interval) and share agreeing, answers 5-7 (Wilson)."""
    _check_scale_sum(n, total, 1, 7)
    return CesEstimate(
        mean=estimate_mean(Summary.from_sums(n, total, total_sq), alpha=alpha, small_n=small_n),
        agree=estimate_proportion(ProportionSummary(n, agree), alpha=alpha, small_n=small_n),
    )
