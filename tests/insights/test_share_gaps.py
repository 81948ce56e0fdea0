"""The share gaps reach every place the issue names: the gap report JSON and CSV, the dashboard,
the standard page and the heatmap's drill-down, with the same hand-computed figures.

Data: tests/insights/conftest.py, wave 2026 Q3, standard ANS (ratings 1-5; agreeing = 4 or 5,
yes on yes/no items):
  self-assessments a_self 5, 5          -> 2 of 2 agree (100 %)
  customers' perception ans_p 4, 5, 3   -> 2 of 3 agree (66.7 %)
  shoppers ans_ok yes, yes, yes         -> 3 of 3 comply (100 %)

Self vs perceived, share agreeing, by hand: diff = 1 - 2/3 = 33.33 points; pooled p = 4/5,
se0 = sqrt(0.8 * 0.2 * (1/2 + 1/3)) = 0.365148, z = 0.333333 / 0.365148 = 0.9129,
p = 2 (1 - Phi(0.9129)) = 0.3613. Newcombe from the Wilson intervals of 2/2 (0.34238 to 1) and
2/3 (0.20765 to 0.93851): 0.33333 - sqrt(0.65762^2 + 0.27184^2) = -0.37826 to
0.33333 + sqrt(0^2 + 0.45902^2) = 0.79235; fewer than 30 answers: a small sample.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from cxaudit.insights.gaps.report import build_gap_report

pytestmark = pytest.mark.django_db

DIFF = 100 / 3
CI = (-37.826, 79.235)
P = 0.3613
LABEL = "Self vs perceived, share agreeing"


def _ans(report):
    return next(s for s in report["standards"] if s["code"] == "ANS")


def test_the_share_gaps_in_the_report_json_are_the_hand_computed_ones(data):
    gaps = _ans(build_gap_report(organization=data["org"], wave=data["w1"]))["gaps"]
    share = gaps["self_vs_perceived_share"]
    assert share["diff"] == pytest.approx(1 / 3) and share["diff_100"] == pytest.approx(DIFF)
    assert share["ci"][0] == pytest.approx(CI[0], abs=0.01)
    assert share["ci"][1] == pytest.approx(CI[1], abs=0.01)
    assert share["p"] == pytest.approx(P, abs=1e-3)
    assert share["significant"] is False and share["small_sample"] is True
    observed = gaps["observed_vs_perceived_share"]  # 3/3 complying vs 2/3 agreeing
    assert observed["diff_100"] == pytest.approx(DIFF) and observed["small_sample"] is True


def test_the_share_gaps_in_the_report_csv(data, admin_client_org):
    url = reverse("insights:gap_report_download", args=[data["org"].slug])
    body = b"".join(admin_client_org.get(url, {"wave": "2026 Q3", "format": "csv"}))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    row = next(
        r for r in rows if r["standard"] == "ANS" and r["measure"] == "self_vs_perceived_share"
    )
    assert (row["kind"], row["method"], row["n_a"], row["n_b"]) == (
        "gap",
        "two_proportion_z",
        "2",
        "3",
    )
    assert float(row["diff_100"]) == pytest.approx(DIFF, abs=1e-3)
    assert float(row["ci_low"]) == pytest.approx(CI[0], abs=0.01)
    assert float(row["ci_high"]) == pytest.approx(CI[1], abs=0.01)
    assert (row["significant"], row["small_sample"]) == ("false", "true")


def _page(user, name, *args, **query):
    c = Client()
    c.force_login(user)
    response = c.get(reverse(name, args=args), query)
    assert response.status_code == 200
    return response


def test_the_dashboard_ranks_the_share_gaps_with_the_others(data, manager):
    response = _page(manager, "insights:dashboard", "acme-rail", wave="2026 Q3")
    ranked = {(e.row.standard.code, e.name): e for e in response.context["ranked"]}
    entry = ranked[("ANS", "self_vs_perceived_share")]
    assert entry.label == LABEL and entry.gap.diff_100 == pytest.approx(DIFF)
    html = response.content.decode()
    assert LABEL in html and "+33.3" in html


def test_the_standard_page_lists_both_share_gaps(data, manager):
    response = _page(
        manager, "insights:standard_detail", "acme-rail", data["ans"].pk, wave="2026 Q3"
    )
    shown = {name: gap for _, gap, name in response.context["gaps"]}
    assert shown["self_vs_perceived_share"].diff_100 == pytest.approx(DIFF)
    assert shown["observed_vs_perceived_share"].diff_100 == pytest.approx(DIFF)
    html = response.content.decode()
    assert LABEL in html and "Observed vs perceived, share agreeing" in html
    assert "−37.8 to 79.2" in html  # the Newcombe interval, as the page writes intervals


def test_the_heatmap_drill_down_lists_the_share_gaps(data, manager):
    response = _page(
        manager,
        "insights:heatmap_touchpoint",
        "acme-rail",
        data["ans"].touchpoint_id,
        wave=data["w1"].pk,
    )
    item = next(i for i in response.context["gap_rows"] if i["row"].standard.code == "ANS")
    shown = {name: gap for _, gap, name in item["gaps"]}
    assert shown["self_vs_perceived_share"].diff_100 == pytest.approx(DIFF)
    html = response.content.decode()
    assert LABEL in html and "−37.8 to 79.2" in html
