"""Perspectives and gaps computed from additive sums (see queries.py for the SQL).

Definitions, formulas and references are in docs/statistics.md ("Gap engine"). In brief, on
the common 0-100 scale unless said otherwise:

* perspective: n, native mean (only when every item shares one scale), mean_100 with a t
  interval, share agreeing with a Wilson interval;
* self_vs_perceived: self - perceived, Welch;
* perceived_vs_expected (SERVQUAL gap 5): perceived - expected, paired t on per-response
  differences when at least two customers answered both, else Welch;
* knowledge (gap 1): management's expected - customers' expected, Welch;
* delivery (gap 3): observed compliance share - the standard's compliance target, exact binomial;
* communication (gap 4): observed compliance share - the promised 100 %, exact binomial, only
  for standards with a promise;
* self_vs_perceived_share: share of managers agreeing - share of customers agreeing (the
  "80 % of managers vs 45 % of customers" figure), pooled two-proportion z, Newcombe interval;
* observed_vs_perceived_share: share of shopper visits complying - share of customers agreeing,
  the same test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cxaudit.insights import stats
from cxaudit.insights.stats import DiffEstimate, ProportionSummary, Summary

from .queries import PairSums, Sums

PERSPECTIVES = ("self", "observed", "perceived", "expected")
MEAN_GAPS = ("self_vs_perceived", "perceived_vs_expected", "knowledge", "delivery", "communication")
# Differences of shares agreeing (0-1, diff_100 in percentage points), tested as shares.
SHARE_GAPS = ("self_vs_perceived_share", "observed_vs_perceived_share")
GAPS = MEAN_GAPS + SHARE_GAPS
NO_PROMISE = "no_promise"
DEFAULT_DELIVERY_TARGET = 1.0  # every visit meets the standard, unless the standard says "%"
PROMISED_SHARE = 1.0  # a promise made to customers holds every time


def jsonable(value: Any) -> Any:
    """JSON-ready value: floats rounded to 6 decimals (like stats.to_dict), tuples as lists."""
    if isinstance(value, float):
        return round(value, 6) + 0.0 if math.isfinite(value) else None
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


def _scale_width(scale: str | None) -> float | None:
    """Width max - min of a "lo-hi" or yes/no scale; None for units without a fixed range."""
    if scale == "yes_no":
        return 1.0
    if scale and scale[0].isdigit() and "-" in scale:
        lo, hi = scale.split("-", 1)
        return float(hi) - float(lo)
    return None


@dataclass(frozen=True, slots=True)
class Perspective:
    """One perspective's figures. ``ci`` belongs to ``mean_100``; shares are 0-1."""

    n: int
    mean: float | None
    mean_100: float | None
    ci: tuple[float, float] | None
    agree: float | None
    agree_ci: tuple[float, float] | None
    scale: str | None = None  # the native scale of ``mean`` (None: items differ or have none)
    n_agree: int = 0
    sd_100: float | None = None

    def to_dict(self) -> dict[str, Any]:
        keys = ("n", "mean", "mean_100", "ci", "agree", "agree_ci")
        return {k: jsonable(getattr(self, k)) for k in keys}


def perspective(sums: Sums, *, alpha: float = stats.ALPHA, small_n: int) -> Perspective:
    """Figures of one perspective from its sums."""
    est = stats.estimate_mean(
        Summary.from_sums(sums.n100, sums.s100, sums.q100), alpha=alpha, small_n=small_n
    )
    scale = sums.shared_scale
    mean = sums.snum / sums.nnum if scale is not None and sums.nnum else None
    agree = None
    agree_ci = None
    if sums.n_agree:
        share = stats.estimate_proportion(
            ProportionSummary(sums.n_agree, sums.k_agree), alpha=alpha, small_n=small_n
        )
        agree, agree_ci = share.p, share.ci
    return Perspective(
        n=sums.n100,
        mean=mean,
        mean_100=est.mean,
        ci=est.ci,
        agree=agree,
        agree_ci=agree_ci,
        scale=scale,
        n_agree=sums.n_agree,
        sd_100=est.sd,
    )


@dataclass(frozen=True, slots=True)
class Gap:
    """One gap. ``diff`` is native (means on a shared scale) or 0-1 (shares); ``diff_100`` and
    ``ci`` are in 0-100 points. ``method``, ``n_a``, ``n_b`` and ``reason`` go to the CSV."""

    diff: float | None
    diff_100: float | None
    ci: tuple[float, float] | None
    p: float | None
    significant: bool | None
    small_sample: bool
    method: str
    n_a: int
    n_b: int | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        keys = ("diff", "diff_100", "ci", "p", "significant", "small_sample")
        return {k: jsonable(getattr(self, k)) for k in keys}


def _gap(est: DiffEstimate, *, diff: float | None, diff_100: float | None, ci) -> Gap:
    """A Gap from a test's estimate; the caller gives the difference on its scales."""
    return Gap(
        diff=diff,
        diff_100=diff_100,
        ci=ci,
        p=est.p_value,
        significant=est.significant,
        small_sample=est.small_sample,
        method=est.method,
        n_a=est.n_a,
        n_b=est.n_b,
        reason=est.reason,
    )


def _mean_gap(est: DiffEstimate, diff_native: float | None) -> Gap:
    diff = diff_native if est.diff is not None else None
    return _gap(est, diff=diff, diff_100=est.diff, ci=est.ci)


def _share_gap(est: DiffEstimate) -> Gap:
    ci = None if est.ci is None else (est.ci[0] * 100, est.ci[1] * 100)
    diff_100 = None if est.diff is None else est.diff * 100
    return _gap(est, diff=est.diff, diff_100=diff_100, ci=ci)


def _native_diff(a: Sums, b: Sums) -> float | None:
    """Difference of native means when both sides are on the same single scale."""
    scale = a.shared_scale
    if scale is None or scale != b.shared_scale or not a.nnum or not b.nnum:
        return None
    return a.snum / a.nnum - b.snum / b.nnum


def welch_gap(a: Sums, b: Sums, *, alpha: float, small_n: int) -> Gap:
    """Welch's t test on the 0-100 values of two independent groups, a - b."""
    est = stats.welch_test(
        Summary.from_sums(a.n100, a.s100, a.q100),
        Summary.from_sums(b.n100, b.s100, b.q100),
        alpha=alpha,
        small_n=small_n,
    )
    return _mean_gap(est, _native_diff(a, b))


def servqual_gap(
    perceived: Sums, expected: Sums, pairs: PairSums, *, alpha: float, small_n: int
) -> Gap:
    """Gap 5: paired t on per-response P - E when two or more customers answered both,
    otherwise Welch on the two groups."""
    if pairs.n < 2:
        return welch_gap(perceived, expected, alpha=alpha, small_n=small_n)
    est = stats.paired_test(
        Summary.from_sums(pairs.n, pairs.s100, pairs.q100), alpha=alpha, small_n=small_n
    )
    # On one shared scale of width w the native difference is diff_100 * w / 100.
    shared = perceived.shared_scale
    width = _scale_width(shared) if shared == expected.shared_scale else None
    native = None if width is None or est.diff is None else est.diff * width / 100
    return _mean_gap(est, native)


def compliance_gap(observed: Sums, target: float, *, alpha: float, small_n: int) -> Gap:
    """Share of observed answers agreeing (complying) minus a target share, exact binomial."""
    est = stats.proportion_vs_target(
        ProportionSummary(observed.n_agree, observed.k_agree), target, alpha=alpha, small_n=small_n
    )
    return _share_gap(est)


def share_gap(a: Sums, b: Sums, *, alpha: float, small_n: int) -> Gap:
    """Share agreeing in a minus share agreeing in b: pooled two-proportion z test with the
    Newcombe hybrid score interval (stats.two_proportion_test)."""
    est = stats.two_proportion_test(
        ProportionSummary(a.n_agree, a.k_agree),
        ProportionSummary(b.n_agree, b.k_agree),
        alpha=alpha,
        small_n=small_n,
    )
    return _share_gap(est)


def no_promise_gap(observed: Sums, *, small_n: int) -> Gap:
    """Gap 4 of a standard that promises nothing: nothing to compare with."""
    return Gap(
        diff=None,
        diff_100=None,
        ci=None,
        p=None,
        significant=None,
        small_sample=observed.n_agree < small_n,
        method="exact_binomial",
        n_a=observed.n_agree,
        n_b=None,
        reason=NO_PROMISE,
    )


def delivery_target(
    target_value: Decimal | float | None, target_unit: str, default: float
) -> float:
    """The compliance share a standard asks for: its target when stated in %, else `default`."""
    if target_value is not None and target_unit.strip() == "%":
        return min(1.0, max(0.0, float(target_value) / 100))
    return default


@dataclass(frozen=True, slots=True)
class GapSet:
    """Perspectives and gaps of one group of answers (a standard, or a roll-up)."""

    perspectives: dict[str, Perspective]
    gaps: dict[str, Gap]
    management_expected: Perspective

    def to_dict(self) -> dict[str, Any]:
        return {
            "perspectives": {k: self.perspectives[k].to_dict() for k in PERSPECTIVES},
            "gaps": {k: self.gaps[k].to_dict() for k in GAPS},
        }


@dataclass(slots=True)
class Bucket:
    """Sums of the five perspectives (and the P - E pairs) of one group, plus what the
    delivery and communication gaps compare the observed answers with."""

    sums: dict[str, Sums] = field(
        default_factory=lambda: {k: Sums() for k in (*PERSPECTIVES, "management_expected")}
    )
    pairs: PairSums = field(default_factory=PairSums)
    # Sum over observed compliance answers of their standard's target share: divided by the
    # number of those answers it gives the (answer-weighted) target of a roll-up.
    target_total: float = 0.0
    # Observed answers of standards that make a promise (gap 4 looks at these only).
    promised: Sums = field(default_factory=Sums)
    has_promise: bool = False

    def add(self, other: Bucket) -> None:
        # Most perspectives of a bucket are empty (a cell feeds one): adding those is a no-op.
        for key, sums in other.sums.items():
            if sums.n100 or sums.nnum:
                self.sums[key].add(sums)
        if other.pairs.n:
            self.pairs.add(other.pairs)
        self.target_total += other.target_total
        if other.promised.n100 or other.promised.nnum:
            self.promised.add(other.promised)
        self.has_promise = self.has_promise or other.has_promise


def compute(
    bucket: Bucket, *, alpha: float = stats.ALPHA, small_n: int = stats.SMALL_SAMPLE_N
) -> GapSet:
    """Every perspective and gap of one bucket (a standard or a roll-up of standards)."""
    s = bucket.sums
    views = {k: perspective(s[k], alpha=alpha, small_n=small_n) for k in PERSPECTIVES}
    kw = {"alpha": alpha, "small_n": small_n}
    observed = s["observed"]
    target = bucket.target_total / observed.n_agree if observed.n_agree else DEFAULT_DELIVERY_TARGET
    # Float noise must not push a target of 1.0 (the common case) just above or below 1.
    target = min(1.0, max(0.0, round(target, 12)))
    gaps = {
        "self_vs_perceived": welch_gap(s["self"], s["perceived"], **kw),
        "perceived_vs_expected": servqual_gap(s["perceived"], s["expected"], bucket.pairs, **kw),
        "knowledge": welch_gap(s["management_expected"], s["expected"], **kw),
        "delivery": compliance_gap(observed, target, **kw),
        "communication": (
            compliance_gap(bucket.promised, PROMISED_SHARE, **kw)
            if bucket.has_promise
            else no_promise_gap(bucket.promised, small_n=small_n)
        ),
        "self_vs_perceived_share": share_gap(s["self"], s["perceived"], **kw),
        "observed_vs_perceived_share": share_gap(observed, s["perceived"], **kw),
    }
    mgmt = perspective(s["management_expected"], alpha=alpha, small_n=small_n)
    return GapSet(perspectives=views, gaps=gaps, management_expected=mgmt)
