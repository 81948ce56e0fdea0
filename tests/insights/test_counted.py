"""Only approved shops count: a shopper response that is not counted (a shop under review,
returned or rejected) is in no figure; the same response counted (approved) is in every one."""

from __future__ import annotations

import pytest

from cxaudit.insights import scorecards
from cxaudit.insights.gaps import analyse_gaps
from surveys.models import Answer, Response, Survey
from surveys.responses.services import start_response, submit_response
from tests.insights.heatmap_data import build_league

A = pytest.approx


def _observed_n(org, wave) -> int:
    rows = analyse_gaps(organization=org, wave=wave).rows("standard")
    return sum(r.perspectives["observed"].n for r in rows)


def _figures(org, lg) -> tuple:
    q4, kgx = lg["q4"], lg["kgx"]
    sums = scorecards.shop_sums(organization=org, waves=[q4])
    sections = scorecards.section_scores(organization=org, wave=q4, location=kgx)
    met = scorecards.standards_met(organization=org, wave=q4, location=kgx)
    return (
        sums[(q4.pk, kgx.pk)].n,
        A(sums[(q4.pk, kgx.pk)].total),
        [(s.title, s.location.n, A(s.location.mean)) for s in sections],
        (met.estimate.k, met.estimate.n),
        _observed_n(org, q4),
    )


@pytest.mark.django_db
def test_an_uncounted_shop_is_in_no_figure_until_it_counts(org, location):
    lg = build_league(org, location)
    before = _figures(org, lg)
    survey = Survey.objects.get(organization=org, code="lg")
    draft = start_response(
        survey=survey, source="shopper", wave=lg["q4"], location=lg["kgx"], counted=False
    )
    shop = submit_response(response=draft, raw_answers={"q1": "no", "q2": "no"})
    assert not shop.counted
    assert not Answer.objects.filter(response=shop, counted=True).exists()
    assert _figures(org, lg) == before

    # Counting it (what approving a shop does) brings it into every figure.
    Response.objects.filter(pk=shop.pk).update(counted=True)
    Answer.objects.filter(response=shop).update(counted=True)
    n, total, sections, met, observed = _figures(org, lg)
    assert (n, total) == (4, A(250.0))  # 100 + 50 + 100 + 0
    assert sections == [("Welcome", 4, A(75.0)), ("Advice", 4, A(50.0))]
    assert met == (5, 8)
    assert observed == before[4] + 2


@pytest.mark.django_db
def test_imported_and_directly_recorded_responses_count(org, location):
    build_league(org, location)
    assert Response.objects.filter(organization=org).counted().count() == 7
    assert Answer.objects.filter(organization=org, counted=False).count() == 0
