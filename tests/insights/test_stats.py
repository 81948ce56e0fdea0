"""Tests for cxaudit.insights.stats: hand computations, scipy cross-checks and properties."""

import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from cxaudit.insights.stats import (
    EMPTY,
    TOO_FEW,
    ZERO_VARIANCE,
    ProportionSummary,
    Summary,
    ces,
    csat,
    diff_to_100,
    estimate_mean,
    estimate_proportion,
    nps,
    one_sample_test,
    paired_test,
    proportion_vs_target,
    to_100,
    two_proportion_test,
    welch_test,
    wilson_interval,
)


def approx3(x: float) -> object:
    """Equal to 3 decimals."""
    return pytest.approx(x, abs=5e-4)


def approx4(x: float) -> object:
    """Equal to 4 decimals (published tables)."""
    return pytest.approx(x, abs=5e-5)


def close(x: float) -> object:
    """Equal up to float noise (cross-checks against scipy on the same data)."""
    return pytest.approx(x, rel=1e-9, abs=1e-12)


# --- Summary --------------------------------------------------------------------------------


def test_from_sums_gives_textbook_mean_and_sample_sd():
    # [4,5,3,4,4]: n=5, sum=20, sum sq=82 -> mean 4.0; ss = 82 - 20^2/5 = 2; var = 2/4 = 0.5;
    # sd = 0.7071
    s = Summary.from_sums(5, 20, 82)
    assert (s.n, s.mean) == (5, 4.0)
    assert s.sd == approx3(0.7071)


def test_from_sums_equals_from_values_for_hand_example():
    assert Summary.from_sums(5, 20, 82) == Summary.from_values([4, 5, 3, 4, 4])


def test_from_sums_keeps_integer_sums_exact_despite_large_offset():
    # Same spread as [4,5,3,4,4] shifted by 1e9: the float one-pass formula loses every digit
    # here, exact integer arithmetic keeps sd = 0.7071.
    xs = [10**9 + x for x in (4, 5, 3, 4, 4)]
    s = Summary.from_sums(5, sum(xs), sum(x * x for x in xs))
    assert s.sd == pytest.approx(math.sqrt(0.5), rel=1e-12)


def test_from_sums_accepts_decimal_sums_from_numeric_columns():
    # [2.5, 2.5, 2.75, 2.75]: sum 10.5, sum sq 27.625 -> mean 2.625; ss = 27.625 - 27.5625
    # = 0.0625; var = 0.0625/3; sd = 0.1443
    s = Summary.from_sums(4, Decimal("10.5"), Decimal("27.625"))
    assert s.mean == 2.625
    assert s.sd == approx3(0.1443)


def test_from_sums_treats_float_rounding_noise_as_zero_variance():
    # Three answers of 0.1 summed in floats: the one-pass remainder is float noise, not spread.
    xs = [0.1, 0.1, 0.1]
    s = Summary.from_sums(3, sum(xs), sum(x * x for x in xs))
    assert s.sd == 0.0


def test_from_sums_clamps_tiny_negative_float_variance():
    # sum sq a hair below sum^2 / n = 0.02: float noise that would give a negative variance
    s = Summary.from_sums(2, 0.2, 0.019999999999999997)
    assert s.sd == 0.0


def _from_sums_by_fractions(n, total, total_sq):
    """The definition from_sums implements, spelled out with Fractions."""
    t, t2 = Fraction(total), Fraction(total_sq)
    mean = float(t / n)
    if n == 1:
        return Summary(1, mean)
    ss = t2 - t * t / n
    floats = isinstance(total, float) or isinstance(total_sq, float)
    if floats and ss <= 8 * n * 2.0**-52 * abs(float(t2)):
        ss = Fraction(0)
    return Summary(n, mean, math.sqrt(ss / (n - 1)))


@given(
    st.lists(
        st.one_of(
            st.floats(-1e6, 1e6, allow_nan=False),
            st.sampled_from([0.0, 0.1, 25.0, 100.0, 1 / 3]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_from_sums_is_the_exact_rational_formula(xs):
    total, total_sq = sum(xs), sum(x * x for x in xs)
    assert Summary.from_sums(len(xs), total, total_sq) == _from_sums_by_fractions(
        len(xs), total, total_sq
    )


@given(
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=40),
    st.sampled_from(["int", "decimal", "mixed", "numpy_n"]),
)
def test_from_sums_of_exact_sums_is_the_exact_rational_formula(xs, kind):
    import numpy as np

    n, total, total_sq = len(xs), sum(xs), sum(x * x for x in xs)
    if kind == "decimal":
        total, total_sq = Decimal(total) / 4, Decimal(total_sq) / 16
    elif kind == "mixed":
        total_sq = float(total_sq)
    expected = _from_sums_by_fractions(n, total, total_sq)
    if kind == "numpy_n":
        n = np.int64(n)
    assert Summary.from_sums(n, total, total_sq) == expected


def test_from_sums_rejects_inconsistent_exact_sums():
    with pytest.raises(ValueError, match="inconsistent"):
        Summary.from_sums(2, 10, 40)  # n * sum sq = 80 < sum^2 = 100


def test_from_sums_of_empty_group_has_no_mean():
    assert Summary.from_sums(0, None, None) == Summary(0)


def test_single_value_summary_has_mean_but_no_sd():
    s = Summary.from_sums(1, 4, 16)
    assert (s.mean, s.sd) == (4.0, None)


def test_summary_drops_sd_for_one_value_and_converts_decimal_mean():
    s = Summary(1, Decimal("3.5"), 0.0)
    assert s.mean == 3.5 and isinstance(s.mean, float) and s.sd is None


@pytest.mark.parametrize(
    ("n", "mean", "sd"),
    [(-1, None, None), (2, None, 1.0), (2, 3.0, None), (2, 3.0, -0.1), (2, math.nan, 1.0)],
)
def test_summary_rejects_impossible_values(n, mean, sd):
    with pytest.raises(ValueError):
        Summary(n, mean, sd)


@pytest.mark.parametrize(("n", "k"), [(-1, 0), (5, 6), (5, -1), (5.0, 1), (True, 1)])
def test_proportion_summary_rejects_impossible_counts(n, k):
    with pytest.raises(ValueError):
        ProportionSummary(n, k)


# --- Mean ---------------------------------------------------------------------------------


def test_mean_ci_uses_t_with_n_minus_1_df():
    # [4,5,3,4,4]: mean 4.0, sd 0.7071, se = 0.7071/sqrt(5) = 0.3162, t(0.975,4) = 2.7764,
    # half = 0.8780 -> CI 3.122 .. 4.878
    e = estimate_mean(Summary.from_values([4, 5, 3, 4, 4]))
    assert e.se == approx3(0.3162)
    assert e.ci == (approx3(3.122), approx3(4.878))
    assert (e.n, e.small_sample, e.confidence, e.reason) == (5, True, 0.95, None)


def test_mean_ci_matches_scipy_ttest_1samp_interval():
    xs = [3, 4, 4, 5, 2, 5, 4, 3, 5, 1, 4, 4]
    ref = sps.ttest_1samp(xs, 0).confidence_interval(0.95)
    e = estimate_mean(Summary.from_values(xs))
    assert e.ci == (close(ref.low), close(ref.high))


def test_mean_of_empty_group_is_all_none():
    e = estimate_mean(Summary(0))
    assert (e.mean, e.sd, e.se, e.ci, e.reason) == (None, None, None, None, EMPTY)


def test_mean_of_single_answer_has_no_interval():
    e = estimate_mean(Summary.from_values([4]))
    assert (e.mean, e.sd, e.se, e.ci, e.reason) == (4.0, None, None, None, TOO_FEW)


def test_mean_of_identical_answers_reports_no_zero_width_interval():
    e = estimate_mean(Summary.from_values([5, 5, 5]))
    assert (e.mean, e.sd, e.se, e.ci, e.reason) == (5.0, 0.0, 0.0, None, ZERO_VARIANCE)


def test_mean_small_sample_threshold_is_configurable():
    s = Summary.from_values([4, 5, 3, 4, 4])
    assert estimate_mean(s).small_sample is True
    assert estimate_mean(s, small_n=5).small_sample is False


def test_mean_ci_level_follows_alpha():
    # t(0.95,4) = 2.1318 -> half = 2.1318 * 0.3162 = 0.6741 -> CI 3.326 .. 4.674
    e = estimate_mean(Summary.from_values([4, 5, 3, 4, 4]), alpha=0.10)
    assert e.confidence == pytest.approx(0.90)
    assert e.ci == (approx3(3.326), approx3(4.674))


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5])
def test_estimates_reject_alpha_outside_unit_interval(alpha):
    with pytest.raises(ValueError):
        estimate_mean(Summary.from_values([1, 2]), alpha=alpha)


def test_mean_estimate_rescales_to_100():
    # On 1..5: 4.0 -> (4-1)*100/4 = 75; CI 3.122..4.878 -> 53.05..96.95; sd 0.7071 -> 17.68
    e = estimate_mean(Summary.from_values([4, 5, 3, 4, 4])).to_100(1, 5)
    assert e.mean == 75.0
    assert e.sd == approx3(17.678)
    assert e.ci == (approx3(53.050), approx3(96.950))


# --- Proportion -----------------------------------------------------------------------------


def test_wilson_interval_hand_computed():
    # 7/10, z = 1.96: z^2/n = 0.38415; centre = (0.7 + 0.19207)/1.38415 = 0.6445;
    # half = 1.96 * sqrt(0.021 + 0.0096037)/1.38415 = 0.2477 -> 0.397 .. 0.892
    e = estimate_proportion(ProportionSummary(10, 7))
    assert e.p == 0.7
    assert e.ci == (approx3(0.397), approx3(0.892))


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe (1998a), Statistics in Medicine 17:857-872, worked examples, score method.
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998_table(k, n, low, high):
    assert wilson_interval(k, n) == (approx4(low), approx4(high))


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 7), (7, 7), (81, 263), (999, 1000)])
def test_wilson_interval_matches_scipy_binomtest(k, n):
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert (low, high) == (pytest.approx(ref.low, abs=1e-12), pytest.approx(ref.high, abs=1e-12))


def test_wilson_interval_is_pinned_at_zero_and_one():
    assert wilson_interval(0, 3)[0] == 0.0
    assert wilson_interval(3, 3)[1] == 1.0


def test_proportion_of_empty_group_is_none():
    e = estimate_proportion(ProportionSummary(0, 0))
    assert (e.p, e.ci, e.reason, e.small_sample) == (None, None, EMPTY, True)


# --- Welch ----------------------------------------------------------------------------------


A = [1, 2, 3, 4]
B = [2, 3, 5, 7, 8]


def test_welch_hand_computed():
    # a: mean 2.5, var 1.6667, va = var/n = 0.41667; b: mean 5.0, var 6.5, vb = 1.3
    # se = sqrt(1.71667) = 1.3102; t = -2.5/1.3102 = -1.908
    # df = 1.71667^2 / (0.41667^2/3 + 1.3^2/4) = 2.94694/0.48037 = 6.135
    r = welch_test(Summary.from_values(A), Summary.from_values(B))
    assert r.diff == -2.5
    assert r.se == approx3(1.3102)
    assert r.df == approx3(6.135)
    assert r.statistic == approx3(-1.908)
    assert (r.significant, r.small_sample, r.n_a, r.n_b) == (False, True, 4, 5)


def test_welch_matches_scipy_ttest_ind_unequal_var():
    a = [3, 4, 4, 5, 2, 5, 4, 3, 5, 1, 4, 4]
    b = [2, 3, 1, 2, 4, 3, 2]
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    r = welch_test(Summary.from_values(a), Summary.from_values(b))
    assert r.statistic == close(ref.statistic)
    assert r.p_value == close(ref.pvalue)
    assert r.df == close(ref.df)
    assert r.ci == (close(ci.low), close(ci.high))
    assert r.significant is True  # p = 0.0287


def test_welch_flags_significance_at_configured_alpha():
    # p = 0.1039 for A vs B: not significant at 0.05, significant at 0.15
    a, b = Summary.from_values(A), Summary.from_values(B)
    assert welch_test(a, b).p_value == approx3(0.1039)
    assert welch_test(a, b, alpha=0.15).significant is True


def test_welch_with_empty_side_is_undefined():
    r = welch_test(Summary(0), Summary.from_values(B))
    assert (r.diff, r.p_value, r.significant, r.reason) == (None, None, None, EMPTY)


def test_welch_with_single_answer_reports_diff_only():
    r = welch_test(Summary.from_values([4]), Summary.from_values(B))
    assert (r.diff, r.se, r.ci, r.p_value, r.reason) == (-1.0, None, None, None, TOO_FEW)


def test_welch_of_two_constant_groups_with_different_means_is_untested():
    r = welch_test(Summary.from_values([5, 5, 5]), Summary.from_values([4, 4]))
    assert (r.diff, r.se, r.df, r.p_value, r.significant) == (1.0, 0.0, None, None, None)
    assert (r.ci, r.reason) == (None, ZERO_VARIANCE)


def test_welch_of_two_identical_constant_groups_has_p_one():
    r = welch_test(Summary.from_values([5, 5, 5]), Summary.from_values([5, 5]))
    assert (r.diff, r.p_value, r.significant, r.ci) == (0.0, 1.0, False, None)


def test_welch_with_one_constant_side_uses_the_other_sides_df():
    # vb = 0, so the Satterthwaite df collapses to n_a - 1 = 3
    r = welch_test(Summary.from_values(A), Summary.from_values([3, 3, 3]))
    assert r.df == pytest.approx(3.0)
    assert r.p_value == close(sps.ttest_1samp(A, 3).pvalue)


# --- Paired and one-sample ------------------------------------------------------------------


BEFORE = [3, 4, 2, 5, 3, 4]
AFTER = [4, 6, 2, 8, 4, 6]


def test_paired_test_hand_computed():
    # d = [1,2,0,3,1,2]: mean 1.5, ss = 5.5, sd = sqrt(1.1) = 1.0488, se = 0.4282,
    # t = 3.503 on 5 df; t(0.975,5) = 2.5706, half = 1.1007 -> CI 0.399 .. 2.601
    d = Summary.from_values([a - b for a, b in zip(AFTER, BEFORE, strict=True)])
    r = paired_test(d)
    assert (r.diff, r.df, r.n_a, r.n_b) == (1.5, 5, 6, None)
    assert r.statistic == approx3(3.503)
    assert r.ci == (approx3(0.399), approx3(2.601))
    assert r.significant is True


def test_paired_test_matches_scipy_ttest_rel():
    ref = sps.ttest_rel(AFTER, BEFORE)
    ci = ref.confidence_interval(0.95)
    d = Summary.from_values([a - b for a, b in zip(AFTER, BEFORE, strict=True)])
    r = paired_test(d)
    assert (r.statistic, r.p_value) == (close(ref.statistic), close(ref.pvalue))
    assert r.ci == (close(ci.low), close(ci.high))


def test_paired_test_with_no_change_at_all_has_p_one():
    r = paired_test(Summary.from_values([0, 0, 0, 0]))
    assert (r.diff, r.p_value, r.significant, r.reason) == (0.0, 1.0, False, ZERO_VARIANCE)


def test_one_sample_test_against_target_hand_computed():
    # [4,5,3,4,4] vs target 4.5: diff -0.5, se 0.3162, t = -1.581 on 4 df
    r = one_sample_test(Summary.from_values([4, 5, 3, 4, 4]), 4.5)
    assert r.diff == -0.5
    assert r.statistic == approx3(-1.581)
    assert r.ci == (approx3(3.122 - 4.5), approx3(4.878 - 4.5))


@pytest.mark.parametrize("mu0", [0.0, 3.5, 4.0, 5.0])
def test_one_sample_test_matches_scipy_ttest_1samp(mu0):
    xs = [3, 4, 4, 5, 2, 5, 4, 3, 5, 1, 4, 4]
    ref = sps.ttest_1samp(xs, mu0)
    r = one_sample_test(Summary.from_values(xs), mu0)
    assert (r.statistic, r.p_value) == (close(ref.statistic), close(ref.pvalue))


def test_full_compliance_against_100_percent_target_is_not_a_gap():
    r = one_sample_test(Summary.from_values([1, 1, 1, 1]), 1.0)
    assert (r.diff, r.p_value, r.significant) == (0.0, 1.0, False)


def test_one_sample_test_of_empty_and_single_groups():
    assert one_sample_test(Summary(0), 1.0).reason == EMPTY
    r = one_sample_test(Summary(1, 0.5), 1.0)
    assert (r.diff, r.p_value, r.reason) == (-0.5, None, TOO_FEW)


# --- Proportions: two groups and versus a target --------------------------------------------


def test_two_proportion_pooled_z_hand_computed():
    # 56/70 = 0.8 vs 48/80 = 0.6: pooled = 104/150 = 0.69333;
    # se0 = sqrt(0.69333 * 0.30667 * (1/70 + 1/80)) = 0.075467; z = 0.2/0.075467 = 2.650
    r = two_proportion_test(ProportionSummary(70, 56), ProportionSummary(80, 48))
    assert r.diff == pytest.approx(0.2)
    assert r.statistic == approx3(2.650)
    assert r.p_value == approx3(0.0080)
    assert r.significant is True


def test_two_proportion_z_squared_matches_scipy_chi_square():
    chi2, p, _, _ = sps.chi2_contingency([[56, 14], [48, 32]], correction=False)
    r = two_proportion_test(ProportionSummary(70, 56), ProportionSummary(80, 48))
    assert r.statistic**2 == close(chi2)
    assert r.p_value == close(p)


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        # Newcombe (1998b), Statistics in Medicine 17:873-890, worked examples, method 10.
        ((70, 56), (80, 48), 0.0524, 0.3339),
        ((10, 9), (10, 3), 0.1705, 0.8090),
        ((56, 5), (29, 0), -0.0381, 0.1926),
        ((10, 0), (20, 0), -0.1611, 0.2775),
        ((10, 10), (20, 0), 0.6791, 1.0),
    ],
)
def test_two_proportion_ci_matches_newcombe_method_10(a, b, low, high):
    r = two_proportion_test(ProportionSummary(*a), ProportionSummary(*b))
    assert r.ci == (approx4(low), approx4(high))


def test_two_proportion_of_two_all_no_groups_has_p_one():
    r = two_proportion_test(ProportionSummary(10, 0), ProportionSummary(20, 0))
    assert (r.diff, r.statistic, r.p_value, r.significant) == (0.0, None, 1.0, False)


def test_two_proportion_with_empty_side_is_undefined():
    r = two_proportion_test(ProportionSummary(0, 0), ProportionSummary(20, 3))
    assert (r.diff, r.ci, r.p_value, r.reason) == (None, None, None, EMPTY)


def test_proportion_vs_target_uses_exact_binomial_p_value():
    # 18 of 20 visits met the standard against a 95% target: diff -0.05
    r = proportion_vs_target(ProportionSummary(20, 18), 0.95)
    assert r.diff == pytest.approx(-0.05)
    assert r.p_value == close(sps.binomtest(18, 20, 0.95).pvalue)
    low, high = wilson_interval(18, 20)
    assert r.ci == (close(low - 0.95), close(high - 0.95))
    assert r.method == "exact_binomial"


def test_any_miss_disproves_a_100_percent_target():
    assert proportion_vs_target(ProportionSummary(20, 19), 1.0).p_value == 0.0
    full = proportion_vs_target(ProportionSummary(20, 20), 1.0)
    assert (full.diff, full.p_value, full.significant) == (0.0, 1.0, False)


def test_proportion_vs_target_rejects_target_outside_unit_interval():
    with pytest.raises(ValueError):
        proportion_vs_target(ProportionSummary(20, 18), 95)


def test_proportion_vs_target_of_empty_group_is_undefined():
    assert proportion_vs_target(ProportionSummary(0, 0), 0.9).reason == EMPTY


# --- NPS ------------------------------------------------------------------------------------


def test_nps_hand_computed_margin_of_error():
    # 100 answers, 50 promoters, 20 detractors: NPS = 100 (0.5 - 0.2) = 30;
    # var = 0.5 + 0.2 - 0.3^2 = 0.61; se = sqrt(0.61/100) = 0.0781 (7.81 points);
    # margin = 1.96 * 0.0781 * 100 = 15.31 points -> CI 14.69 .. 45.31
    e = nps(100, 50, 20)
    assert e.score == 30.0
    assert (e.promoter_share, e.passive_share, e.detractor_share) == (0.5, 0.3, 0.2)
    assert e.passives == 30
    assert e.se == approx3(7.8102)
    assert e.margin == pytest.approx(15.31, abs=5e-3)
    assert e.ci == (pytest.approx(14.69, abs=5e-3), pytest.approx(45.31, abs=5e-3))


def test_nps_variance_is_population_variance_of_plus_one_zero_minus_one_codes():
    codes = [1] * 50 + [0] * 30 + [-1] * 20
    s = Summary.from_values(codes)
    pop_sd = s.sd * math.sqrt((s.n - 1) / s.n)
    assert nps(100, 50, 20).se == pytest.approx(100 * pop_sd / math.sqrt(100))


def test_nps_of_all_promoters_has_no_interval():
    e = nps(12, 12, 0)
    assert (e.score, e.se, e.margin, e.ci, e.reason) == (100.0, 0.0, None, None, ZERO_VARIANCE)


def test_nps_of_empty_group_is_none():
    e = nps(0, 0, 0)
    assert (e.score, e.ci, e.reason, e.promoter_share) == (None, None, EMPTY, None)


def test_nps_interval_is_clamped_to_plus_minus_100():
    # 4 promoters of 5: score 80; var = 0.8 - 0.64 = 0.16; se = sqrt(0.16/5) = 17.89 points;
    # margin 35.06 -> 44.94 .. 115.06, clamped to 100
    e = nps(5, 4, 0)
    assert e.ci == (approx3(44.939), 100.0)


@pytest.mark.parametrize(("n", "p", "d"), [(5, 4, 2), (5, -1, 0), (5.0, 1, 1)])
def test_nps_rejects_impossible_counts(n, p, d):
    with pytest.raises(ValueError):
        nps(n, p, d)


# --- CSAT / CES -----------------------------------------------------------------------------


CSAT_ANSWERS = [5, 5, 4, 4, 4, 4, 4, 3, 3, 2]


def test_csat_top2_box_and_mean_hand_computed():
    # n 10, top-2 (4-5) = 7 -> Wilson 0.397 .. 0.892 (see hand computation above);
    # sum 38, sum sq 152 -> mean 3.8, ss = 152 - 144.4 = 7.6, sd = sqrt(7.6/9) = 0.9189,
    # se = 0.2906, t(0.975,9) = 2.2622, half = 0.6574 -> 3.143 .. 4.457
    e = csat(10, 7, sum(CSAT_ANSWERS), sum(x * x for x in CSAT_ANSWERS))
    assert e.top2_box.p == 0.7
    assert e.top2_box.ci == (approx3(0.397), approx3(0.892))
    assert e.mean.mean == 3.8
    assert e.mean.ci == (approx3(3.143), approx3(4.457))


def test_csat_rejects_sum_outside_1_to_5_scale():
    with pytest.raises(ValueError):
        csat(3, 3, 16, 86)


def test_ces_mean_and_agreement():
    # [7,6,5,5,3,2]: agree (5-7) = 4/6 = 0.667; sum 28, sum sq 148 -> mean 4.667;
    # ss = 148 - 28^2/6 = 17.333, sd = sqrt(17.333/5) = 1.8619, se = 0.7601;
    # t(0.975,5) = 2.5706, half = 1.9540 -> 2.713 .. 6.621
    xs = [7, 6, 5, 5, 3, 2]
    e = ces(6, 4, sum(xs), sum(x * x for x in xs))
    assert e.agree.p == pytest.approx(4 / 6)
    assert e.mean.mean == approx3(4.667)
    assert e.mean.ci == (approx3(2.713), approx3(6.621))


def test_ces_of_empty_group_is_none_throughout():
    e = ces(0, 0, None, None)
    assert (e.mean.mean, e.agree.p) == (None, None)


# --- Rescaling and serialisation ------------------------------------------------------------


def test_to_100_rescales_values_and_differences():
    assert to_100(4, 1, 5) == 75.0
    assert to_100(1, 1, 7) == 0.0
    assert to_100(None, 1, 5) is None
    # a difference of 0.5 on 1..5 is 0.5 * 100 / 4 = 12.5 points
    assert diff_to_100(0.5, 1, 5) == 12.5


def test_to_100_rejects_empty_scale():
    with pytest.raises(ValueError):
        to_100(3, 5, 5)


def test_diff_estimate_rescaled_keeps_statistic_and_p_value():
    r = welch_test(Summary.from_values(A), Summary.from_values(B))
    r100 = r.to_100(1, 5)
    assert r100.diff == -62.5
    assert (r100.statistic, r100.p_value, r100.df) == (r.statistic, r.p_value, r.df)
    assert r100.ci == (close(r.ci[0] * 25), close(r.ci[1] * 25))


def test_summary_rescaled_before_welch_equals_welch_rescaled_after():
    a, b = Summary.from_values(A), Summary.from_values(B)
    before = welch_test(a.to_100(1, 9), b.to_100(1, 9))
    after = welch_test(a, b).to_100(1, 9)
    assert before.diff == close(after.diff)
    assert before.p_value == close(after.p_value)
    assert before.ci == (close(after.ci[0]), close(after.ci[1]))


def test_summary_rescales_mean_and_sd_but_not_n():
    # 1-7 scale: mean 4 -> (4 - 1) * 100 / 6 = 50; sd 0.7071 -> 11.785
    s = Summary.from_values([4, 5, 3, 4, 4]).to_100(1, 7)
    assert (s.n, s.mean) == (5, 50.0)
    assert s.sd == approx3(11.785)


def test_to_dict_is_json_ready_and_rounded():
    d = welch_test(Summary.from_values(A), Summary.from_values(B)).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["se"] == 1.310216
    assert d["ci"] == [-5.688993, 0.688993]
    assert d["n_b"] == 5 and d["significant"] is False


def test_to_dict_keeps_none_and_nests_metric_parts():
    d = csat(0, 0, None, None).to_dict()
    assert d["mean"]["mean"] is None and d["top2_box"]["reason"] == EMPTY
    json.dumps(d, allow_nan=False)


def test_to_dict_never_emits_negative_zero():
    d = welch_test(Summary.from_values([1, 2]), Summary.from_values([1.0000000001, 2])).to_dict()
    assert math.copysign(1, d["diff"]) == 1.0


# --- Properties -----------------------------------------------------------------------------


answers = st.lists(st.integers(min_value=0, max_value=10), min_size=2, max_size=60)
decimals = st.lists(
    st.integers(min_value=0, max_value=10_000).map(lambda c: c / 100), min_size=1, max_size=60
)


@given(answers)
def test_mean_ci_contains_the_mean(xs):
    e = estimate_mean(Summary.from_values(xs))
    assert e.ci is None or e.ci[0] <= e.mean <= e.ci[1]


@given(st.integers(min_value=1, max_value=100_000), st.data())
def test_wilson_ci_lies_in_unit_interval_and_contains_p(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@given(decimals)
def test_from_sums_of_float_sums_equals_from_values(xs):
    a = Summary.from_sums(len(xs), math.fsum(xs), math.fsum(x * x for x in xs))
    b = Summary.from_values(xs)
    assert a.mean == pytest.approx(b.mean, abs=1e-9)
    assert a.sd == b.sd or a.sd == pytest.approx(b.sd, abs=1e-9)


@given(answers)
def test_from_sums_of_integer_sums_equals_from_values_exactly(xs):
    s = Summary.from_sums(len(xs), sum(xs), sum(x * x for x in xs))
    assert s == Summary.from_values(Fraction(x) for x in xs)


@given(answers, answers)
def test_welch_is_antisymmetric(xs, ys):
    a, b = Summary.from_values(xs), Summary.from_values(ys)
    ab, ba = welch_test(a, b), welch_test(b, a)
    assert ab.diff == -ba.diff
    assert ab.p_value == ba.p_value
    assert ab.df == ba.df
    if ab.ci is not None:
        assert ab.ci[0] <= ab.diff <= ab.ci[1]
        assert ab.ci == pytest.approx((-ba.ci[1], -ba.ci[0]))


@given(
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=1, max_value=500),
    st.data(),
)
def test_two_proportion_is_antisymmetric_and_ci_contains_diff(na, nb, data):
    a = ProportionSummary(na, data.draw(st.integers(min_value=0, max_value=na)))
    b = ProportionSummary(nb, data.draw(st.integers(min_value=0, max_value=nb)))
    ab, ba = two_proportion_test(a, b), two_proportion_test(b, a)
    assert ab.diff == -ba.diff and ab.p_value == ba.p_value
    assert -1.0 <= ab.ci[0] <= ab.diff <= ab.ci[1] <= 1.0
    assert ab.ci == pytest.approx((-ba.ci[1], -ba.ci[0]))


@given(st.integers(min_value=1, max_value=5000), st.data())
def test_nps_ci_contains_score_within_bounds(n, data):
    p = data.draw(st.integers(min_value=0, max_value=n))
    d = data.draw(st.integers(min_value=0, max_value=n - p))
    e = nps(n, p, d)
    assert -100.0 <= e.score <= 100.0
    if e.ci is not None:
        assert -100.0 <= e.ci[0] <= e.score <= e.ci[1] <= 100.0


# --- the wave planner (hand-computed cases) ---------------------------------------------------


def test_planner_sample_sizes_by_hand():
    from cxaudit.insights.planning import formulas as planner

    z = planner.z_of(0.95)
    assert z == pytest.approx(1.959964, abs=1e-6)
    # Mean: sd 20 points, margin 5: (1.96 * 20 / 5)^2 = 61.47 -> 62.
    assert planner.n_for_mean(20, 5, z=z) == 62
    # Share: p 0.8, margin 5 points: 1.96^2 * 0.16 / 0.05^2 = 245.9 -> 246.
    assert planner.n_for_share(0.8, 5, z=z) == 246
    # Unknown share: the conservative 0.5: 1.96^2 * 0.25 / 0.0025 = 384.1 -> 385.
    assert planner.n_for_share(None, 5, z=z) == 385
    # NPS: 50 % promoters, 30 % detractors: var = 0.8 - 0.2^2 = 0.76; margin 10 NPS points:
    # 1.96^2 * 0.76 / 0.1^2 = 291.9 -> 292.
    assert planner.nps_variance(0.5, 0.3) == pytest.approx(0.76)
    assert planner.n_for_nps(0.5, 0.3, 10, z=z) == 292
    # At a 25 % response rate: 292 / 0.25 = 1,168 invitations.
    assert planner.invitations_for(292, 0.25) == 1168
    # 90 % confidence: z = 1.645; share 0.5, margin 10: 1.645^2 * 0.25 / 0.01 = 67.6 -> 68.
    assert planner.n_for_share(0.5, 10, z=planner.z_of(0.90)) == 68


def test_planner_refuses_impossible_inputs_and_never_asks_for_zero():
    from cxaudit.insights.planning import formulas as planner

    z = planner.z_of(0.95)
    assert planner.n_for_share(1.0, 5, z=z) == 1  # everyone agreed: one answer "suffices"
    assert planner.Need.of(1, 30, "share").planned == 30
    for bad in (
        lambda: planner.n_for_mean(10, 0, z=z),
        lambda: planner.invitations_for(10, 0),
        lambda: planner.z_of(1.5),
    ):
        with pytest.raises(ValueError):
            bad()
