"""The location report card on the datasets of heatmap_data (figures worked out there)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxaudit.accounts.models import Location, Membership
from cxaudit.insights import scorecards
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.insights.views_heatmap import top_gaps
from surveys.models import Survey
from surveys.responses.services import record_response
from tests.insights.heatmap_data import build_heat, build_league

A = pytest.approx


@pytest.fixture
def lg(org, location):
    return build_league(org, location)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def card_url(org, code, wave=None) -> str:
    url = reverse("insights:report_card", args=[org.slug, code])
    return url + (f"?wave={wave.pk}" if wave else "")


@pytest.mark.django_db
def test_section_scores_and_standards_met(lg, org):
    sections = scorecards.section_scores(organization=org, wave=lg["q4"], location=lg["kgx"])
    assert [s.title for s in sections] == ["Welcome", "Advice"]
    welcome, advice = sections
    assert (welcome.location.n, welcome.location.mean, welcome.organisation.mean) == (
        3,
        A(100.0),
        A(60.0),
    )
    assert (advice.location.mean, advice.organisation.mean) == (A(200 / 3), A(60.0))
    assert advice.diff == A(200 / 3 - 60)
    met = scorecards.standards_met(organization=org, wave=lg["q4"], location=lg["kgx"])
    assert [(r.code, r.met, r.n) for r in met.rows] == [("L1", 3, 3), ("L2", 2, 3)]
    assert (met.estimate.k, met.estimate.n) == (5, 6)


@pytest.mark.django_db
def test_report_card_page(lg, org, program_admin):
    html = client_for(program_admin).get(card_url(org, "KGX")).content.decode()
    assert "Report card: Kingsbridge" in html and "2026 Q4" in html
    assert 'id="rc-score">83.3 %' in html
    assert '3 shops · 95 % CI 11.6 to 100.0<span class="ci-clipped"' in html
    assert 'id="rc-rank">1<span class="fs-5"> of 2</span>' in html
    assert (
        'id="rc-change">+33.3<span class="fs-5"> pts</span>' in html
        and "since 2026 Q3 (50.0 %)" in html
    )
    assert 'id="rc-org">60.0 %' in html
    assert "<strong>83 %</strong> of 6 observed standards met their target (5 of 6" in html
    assert "+40.0 pts" in html  # section Welcome: 100 vs 60
    man = client_for(program_admin).get(card_url(org, "MAN", lg["q3"])).content.decode()
    assert 'id="rc-rank">1<span class="fs-5"> of 2</span>' in man  # MAN 100 beats KGX 50 in Q3
    assert "no earlier wave" in man


@pytest.mark.django_db
def test_top_gaps_largest_first(org, location, program_admin):
    heat = build_heat(org, location)
    analysis = analyse_gaps(organization=org, wave=heat["wave"], location=location)
    found = top_gaps(analysis.rows("standard"))
    assert [g["row"].standard.code for g in found] == ["RED", "AMB"]
    html = client_for(program_admin).get(card_url(org, "KGX")).content.decode()
    assert "Large gap: Delivery (gap 3) −33 pts" in html
    assert html.index("RED") < html.index("Small gap: Delivery (gap 3) −10 pts")


@pytest.mark.django_db
def test_manager_limited_to_a_location(lg, org, manager):
    Membership.objects.get(user=manager, organization=org).locations.add(lg["man"])
    c = client_for(manager)
    assert c.get(card_url(org, "KGX")).status_code == 404
    html = c.get(card_url(org, "MAN")).content.decode()
    # Rank and organisation average compare with every location, naming none of them.
    assert 'id="rc-rank">2<span class="fs-5"> of 2</span>' in html and "KGX" not in html


@pytest.mark.django_db
def test_outsider_and_unknown_location_get_404(lg, org, outsider, program_admin, other_org):
    assert client_for(outsider).get(card_url(org, "KGX")).status_code == 404
    Location.objects.create(organization=other_org, code="OTH", name="Other")
    assert client_for(program_admin).get(card_url(org, "OTH")).status_code == 404
    assert client_for(program_admin).get(card_url(org, "KGX") + "?wave=0").status_code == 404


@pytest.mark.django_db
def test_escaped_names(lg, org, program_admin):
    kgx = lg["kgx"]
    kgx.name = "<script>alert(1)</script>"
    kgx.save()
    html = client_for(program_admin).get(card_url(org, "KGX")).content
    assert b"<script>alert(1)</script>" not in html and b"&lt;script&gt;" in html


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


REPORT_CARD_QUERIES = 18  # with the wave counts, the KPIs (none here) and the evidence photos


@pytest.mark.django_db
def test_query_count_constant(lg, org, program_admin, django_assert_max_num_queries):
    c = client_for(program_admin)
    url = card_url(org, "KGX")
    before = count_queries(c, url)
    survey = Survey.objects.get(code="lg")
    for i in range(4):
        loc = Location.objects.create(organization=org, code=f"N{i}", name=f"New {i}")
        for where in (loc, lg["kgx"]):
            record_response(
                survey=survey,
                source="shopper",
                raw_answers={"q1": "yes", "q2": "no"},
                wave=lg["q4"],
                location=where,
            )
    assert count_queries(c, url) == before
    with django_assert_max_num_queries(REPORT_CARD_QUERIES):
        c.get(url)
