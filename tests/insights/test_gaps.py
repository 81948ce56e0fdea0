"""The gap engine on a small hand-computed dataset (figures worked out below each test).

Standard ANS (responsiveness, promise, no % target):
  shoppers   ans_ok yes/no            yes, yes, yes (wave 1, KGX), no (wave 2, MAN)
  customers  ans_p / ans_e 1-5        (4, 5), (5, 5), (3, 5)   -> three complete pairs
  self       a_self 1-5 / a_mgmt 1-5  (5, 4), (5, 3)
Standard TIME (responsiveness, target >= 80 %, no promise):
  shoppers   b_ok yes/no + b_time s (target <= 60 s): (yes, 45), (no, 90), (yes, 30)
  customers  b_p 1-5: 4, 2 ; b_e 1-5: 5, 4, 3 (other customers: no pairs)
  self       b_self 1-7: 7, 6
Customers also answer NPS 10, 9, 8, 7, 6, 0, 10, 3, 9, 9; CSAT 5, 4, 3, 5, 2; CES 7, 5, 4, 6.
"""

from __future__ import annotations

import pytest

from cxaudit.insights.gaps import analyse_gaps, rank_gaps

A = pytest.approx


def by_code(analysis):
    return {r.key["standard"]: r for r in analysis.rows("standard")}


@pytest.mark.django_db
def test_perspectives_of_a_standard(data):
    row = by_code(analyse_gaps(organization=data["org"]))["ANS"]
    obs = row.perspectives["observed"]
    # yes, yes, yes, no: native mean 0.75 (yes = 1), 0-100 mean 75, t interval on 100,100,100,0
    assert (obs.n, obs.mean, obs.mean_100, obs.scale) == (4, A(0.75), A(75.0), "yes_no")
    assert obs.ci == A((-4.561158, 154.561158), abs=1e-5)
    # 3 of 4 agree; Wilson 95 %: 0.300642 - 0.954413
    assert obs.agree == A(0.75) and obs.agree_ci == A((0.300642, 0.954413), abs=1e-6)
    per = row.perspectives["perceived"]
    # 4, 5, 3 on 1-5 -> 75, 100, 50: mean 75, sd 25, se 14.4338, t(0.975, 2) = 4.3027
    assert (per.n, per.mean, per.mean_100) == (3, A(4.0), A(75.0))
    assert per.ci == A((12.896557, 137.103443), abs=1e-5)
    assert per.agree == A(2 / 3)
    exp = row.perspectives["expected"]
    # 5, 5, 5: no spread, so no interval (zero variance), every answer agrees
    assert (exp.n, exp.mean, exp.mean_100, exp.ci, exp.agree) == (3, 5.0, 100.0, None, 1.0)
    own = row.perspectives["self"]
    assert (own.n, own.mean, own.mean_100) == (2, 5.0, 100.0)
    mgmt = row.result.management_expected
    assert (mgmt.n, mgmt.mean, mgmt.mean_100) == (2, A(3.5), A(62.5))


@pytest.mark.django_db
def test_gaps_of_a_standard_with_paired_customers(data):
    gaps = by_code(analyse_gaps(organization=data["org"]))["ANS"].gaps
    # Self - perceived, Welch: 100 (sd 0, n 2) - 75 (sd 25, n 3) = 25, se 14.4338, df 2
    g = gaps["self_vs_perceived"]
    assert (g.method, g.diff, g.diff_100) == ("welch_t", A(1.0), A(25.0))
    assert g.p == A(0.225403, abs=1e-6) and g.ci == A((-37.103443, 87.103443), abs=1e-5)
    assert g.significant is False and g.small_sample is True
    # Gap 5, paired per response: d = -25, 0, -50 -> mean -25, sd 25, t -1.732 on 2 df
    g = gaps["perceived_vs_expected"]
    assert (g.method, g.n_a, g.diff, g.diff_100) == ("paired_t", 3, A(-1.0), A(-25.0))
    assert g.p == A(0.225403, abs=1e-6) and g.ci == A((-87.103443, 37.103443), abs=1e-5)
    # Gap 1: management 75, 50 vs customers 100, 100, 100 -> -37.5, se 12.5, df 1, t -3
    g = gaps["knowledge"]
    assert (g.method, g.diff, g.diff_100) == ("welch_t", A(-1.5), A(-37.5))
    assert g.p == A(0.204833, abs=1e-6) and g.ci == A((-196.327559, 121.327559), abs=1e-4)
    # Gap 3: 3 of 4 complied against 100 %: -0.25 (-25 points); one miss disproves 100 %
    g = gaps["delivery"]
    assert (g.method, g.diff, g.diff_100, g.p, g.significant) == (
        "exact_binomial",
        A(-0.25),
        A(-25.0),
        0.0,
        True,
    )
    assert g.ci == A((100 * (0.300642 - 1), 100 * (0.954413 - 1)), abs=1e-4)
    # Gap 4: the standard promises, so the same share is held against the promised 100 %
    assert gaps["communication"].diff_100 == A(-25.0) and gaps["communication"].p == 0.0


@pytest.mark.django_db
def test_unpaired_customers_mixed_scales_and_percent_target(data):
    row = by_code(analyse_gaps(organization=data["org"]))["TIME"]
    obs = row.perspectives["observed"]
    # yes/no (yes, no, yes) and durations (45, 90, 30 vs <= 60 s) -> 100,0,100,100,0,100
    assert (obs.n, obs.mean_100, obs.mean, obs.scale) == (6, A(200 / 3), None, None)
    assert obs.agree == A(4 / 6) and obs.agree_ci == A((0.299993, 0.903229), abs=1e-6)
    gaps = row.gaps
    # Gap 5 without pairs, Welch: (75, 25) - (100, 75, 50) = -25, t -0.866, df 1.684
    g = gaps["perceived_vs_expected"]
    assert (g.method, g.diff, g.diff_100) == ("welch_t", A(-1.0), A(-25.0))
    assert g.p == A(0.492096, abs=1e-6) and g.ci == A((-174.424936, 124.424936), abs=1e-4)
    # Self on 1-7 (100, 83.33) vs customers on 1-5: no native difference, 0-100 only
    g = gaps["self_vs_perceived"]
    assert g.diff is None and g.diff_100 == A(125 / 3)
    assert g.p == A(0.325100, abs=1e-6) and g.ci == A((-179.535148, 262.868485), abs=1e-4)
    # Gap 3 against the standard's 80 % target: 4/6 - 0.8, exact binomial p 0.34464
    g = gaps["delivery"]
    assert g.diff == A(4 / 6 - 0.8) and g.p == A(0.34464, abs=1e-6) and g.significant is False
    # No promise: no communication gap
    g = gaps["communication"]
    assert (g.diff, g.p, g.reason) == (None, None, "no_promise")
    # The knowledge gap needs management expectations: none for TIME
    assert gaps["knowledge"].diff is None and gaps["knowledge"].reason == "empty"


@pytest.mark.django_db
def test_dimension_pools_its_standards(data):
    (row,) = analyse_gaps(organization=data["org"]).rows("dimension")
    assert row.key == {"dimension": "responsiveness"}
    obs = row.perspectives["observed"]
    # 4 + 6 observed answers, 3 + 4 agree; native scales differ -> no native mean
    assert (obs.n, obs.n_agree, obs.agree, obs.mean) == (10, 10, A(0.7), None)
    # target weighted by answers: (4 x 1.0 + 6 x 0.8) / 10 = 0.88
    assert row.gaps["delivery"].diff == A(0.7 - 0.88)
    # Gap 4 looks only at the promising standard ANS
    assert row.gaps["communication"].n_a == 4


@pytest.mark.django_db
def test_filters_by_wave_and_location(data):
    w1 = analyse_gaps(organization=data["org"], wave=data["w1"])
    obs = by_code(w1)["ANS"].perspectives["observed"]
    # only the three compliant wave-1 visits: 100 % against 100 % -> p = 1
    assert (obs.n, obs.agree) == (3, 1.0)
    assert by_code(w1)["ANS"].gaps["delivery"].p == 1.0
    man = analyse_gaps(organization=data["org"], location=data["man"])
    assert by_code(man)["ANS"].perspectives["observed"].n == 1
    assert by_code(man)["ANS"].perspectives["perceived"].n == 0
    other_dim = analyse_gaps(organization=data["org"], dimension="empathy")
    assert other_dim.rows("standard") == []


@pytest.mark.django_db
def test_waves_and_locations_roll_up(data):
    analysis = analyse_gaps(organization=data["org"])
    waves = analysis.rows("wave")
    assert [r.key["wave"] for r in waves] == ["2026 Q3", "2026 Q4"]
    assert waves[1].perspectives["observed"].n == 1
    trend = analysis.rows("standard", "wave")
    assert [(r.key["standard"], r.key["wave"]) for r in trend] == [
        ("ANS", "2026 Q3"),
        ("ANS", "2026 Q4"),
        ("TIME", "2026 Q3"),
    ]
    league = analysis.league("delivery")
    # MAN: 0 of 1 visits vs 100 % -> -100 points, the largest gap first
    assert [r.key["location"] for r in league] == ["MAN", "KGX"]
    assert league[0].gaps["delivery"].diff_100 == A(-100.0)


@pytest.mark.django_db
def test_rank_gaps_weighs_size_importance_and_moment(data):
    rows = analyse_gaps(organization=data["org"]).rows("standard")
    ranked = rank_gaps(rows, "self_vs_perceived")
    # ANS: 25 x 5 x 2 = 250; TIME: 41.67 x 2 x 2 = 166.7
    assert [r.key["standard"] for r in ranked] == ["ANS", "TIME"]
    assert ranked[0].priority("self_vs_perceived") == A(250.0)
    assert rank_gaps(rows, "self_vs_perceived", significant_only=True) == []


@pytest.mark.django_db
def test_nps_csat_ces_of_customers(data):
    metrics = analyse_gaps(organization=data["org"]).metrics()
    nps = metrics.overall.nps
    # 5 promoters, 3 detractors of 10: NPS 20, var 0.5 + 0.3 - 0.04 = 0.76
    assert (nps.n, nps.promoters, nps.detractors, nps.score) == (10, 5, 3, A(20.0))
    assert nps.margin == A(54.032478, abs=1e-5) and nps.ci == A((-34.032478, 74.032478), abs=1e-5)
    csat = metrics.overall.csat
    # 5, 4, 3, 5, 2: top-2-box 3/5, mean 3.8, sd 1.30384
    assert (csat.top2_box.p, csat.mean.mean) == (A(0.6), A(3.8))
    assert csat.mean.ci == A((2.181068, 5.418932), abs=1e-5)
    ces = metrics.overall.ces
    # 7, 5, 4, 6: mean 5.5, 3 of 4 answer 5-7
    assert (ces.mean.mean, ces.agree.p) == (A(5.5), A(0.75))
    assert [w for w, _ in metrics.by_wave] == ["2026 Q3"]
    assert metrics.to_dict()["nps"]["by_location"][0]["location"] == "KGX"


@pytest.mark.django_db
def test_small_sample_threshold_is_configurable(data):
    row = by_code(analyse_gaps(organization=data["org"], small_n=2))["ANS"]
    assert row.gaps["self_vs_perceived"].small_sample is False
    assert (
        by_code(analyse_gaps(organization=data["org"]))["ANS"]
        .gaps["self_vs_perceived"]
        .small_sample
    )


@pytest.mark.django_db
def test_filters_by_stage_and_channel(data):
    stage = data["ans"].touchpoint.stage
    assert len(analyse_gaps(organization=data["org"], stage=stage).rows("standard")) == 2
    assert analyse_gaps(organization=data["org"], channel="web").rows("standard") == []
    phone = analyse_gaps(organization=data["org"], channel="phone")
    assert [r.key["standard"] for r in phone.rows("standard")] == ["ANS", "TIME"]


@pytest.mark.django_db
def test_filters_refuse_another_organisations_wave(data, other_org):
    from tests.factories import make_wave

    with pytest.raises(ValueError, match="another organisation"):
        analyse_gaps(organization=data["org"], wave=make_wave(other_org))


@pytest.mark.django_db
def test_journey_roll_ups_carry_names(data):
    analysis = analyse_gaps(organization=data["org"])
    (tp,) = analysis.rows("touchpoint")
    assert tp.labels == {"touchpoint": "Call"}
    (stage,) = analysis.rows("stage")
    assert stage.labels == {"stage": "Support"}
    (whole,) = analysis.rows("organization")
    # every observed answer of the organisation: 4 (ANS) + 6 (TIME)
    assert whole.perspectives["observed"].n == 10
    with pytest.raises(ValueError, match="unknown roll-up"):
        analysis.rows("planet")


@pytest.mark.django_db
def test_paired_gap_5_survives_stage_and_dimension_filters(data):
    """The pairs are summed in the main aggregate and filtered with the standards."""
    ans = data["ans"]
    for analysis in (
        analyse_gaps(organization=data["org"], stage=ans.touchpoint.stage),
        analyse_gaps(organization=data["org"], dimension=ans.dimension),
    ):
        g = by_code(analysis)["ANS"].gaps["perceived_vs_expected"]
        assert (g.method, g.n_a, g.diff_100) == ("paired_t", 3, A(-25.0))


@pytest.mark.django_db
def test_a_wave_slice_does_not_reuse_the_whole_analysis_totals(data):
    from cxaudit.insights.views_dashboard import slice_wave

    whole = analyse_gaps(organization=data["org"])
    assert by_code(whole)["ANS"].perspectives["observed"].n == 4  # computed (and cached) first
    w2 = slice_wave(whole, data["w2"])
    assert by_code(w2)["ANS"].perspectives["observed"].n == 1
    assert w2.rows("dimension")[0].perspectives["observed"].n <= 1


def _agree_sums(n: int, k: int):
    from cxaudit.insights.gaps.queries import Sums

    s = Sums()
    s.n_agree, s.k_agree = n, k
    return s


def test_the_share_gap_of_the_headline_figures_is_tested_as_shares():
    """250 managers, 200 agreeing (80%); 250 customers, 112 agreeing (44.8%).

    By hand: diff = 0.8 - 0.448 = 0.352; pooled p = 312/500 = 0.624;
    se0 = sqrt(0.624 * 0.376 * (1/250 + 1/250)) = 0.0433243; z = 0.352 / 0.0433243 = 8.125.
    Newcombe hybrid score interval from the Wilson intervals of 0.8 (0.74604 to 0.84488) and
    0.448 (0.38761 to 0.50997): 0.352 - sqrt(0.05396^2 + 0.06197^2) = 0.26983 to
    0.352 + sqrt(0.04488^2 + 0.06039^2) = 0.42724. The interval excludes 0.
    (The issue quotes z ≈ 7.9, which is the Wald statistic of the log odds ratio of these counts,
    ln((200/50) / (112/138)) / sqrt(1/200 + 1/50 + 1/112 + 1/138) = 1.5950 / 0.20292 = 7.86; the
    pooled two-proportion z the issue names is 8.12, the unpooled one 8.72. The test holds the
    method to the pooled figure.)
    """
    from cxaudit.insights.gaps.engine import share_gap

    gap = share_gap(_agree_sums(250, 200), _agree_sums(250, 112), alpha=0.05, small_n=30)
    assert gap.method == "two_proportion_z"
    assert gap.diff == pytest.approx(0.352) and gap.diff_100 == pytest.approx(35.2)
    assert gap.p < 1e-12 and gap.significant and not gap.small_sample
    low, high = gap.ci
    assert low == pytest.approx(26.983, abs=0.001) and high == pytest.approx(42.724, abs=0.001)
    assert low > 0
    from cxaudit.insights import stats

    est = stats.two_proportion_test(
        stats.ProportionSummary(250, 200), stats.ProportionSummary(250, 112)
    )
    assert est.statistic == pytest.approx(8.125, abs=0.001)


def test_a_share_gap_without_answers_on_one_side_is_empty_not_an_error():
    from cxaudit.insights.gaps.engine import share_gap

    gap = share_gap(_agree_sums(0, 0), _agree_sums(40, 10), alpha=0.05, small_n=30)
    assert gap.diff is None and gap.ci is None and gap.significant is None
