"""The location league table on the dataset of heatmap_data.build_league."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxaudit.accounts.models import Location, Membership
from cxaudit.insights import scorecards
from cxaudit.journeys.models import Wave
from tests.insights.heatmap_data import build_league

A = pytest.approx


@pytest.fixture
def lg(org, location):
    return build_league(org, location)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_league_figures(lg, org):
    q3, q4 = lg["q3"], lg["q4"]
    assert scorecards.previous_wave(q4, [q3, q4]) == q3
    assert scorecards.previous_wave(q3, [q3, q4]) is None
    sums = scorecards.shop_sums(organization=org, waves=[q4, q3])
    rows = scorecards.league(
        locations=[lg["lds"], lg["man"], lg["kgx"]], wave=q4, previous=q3, sums=sums
    )
    assert [(r.location.code, r.rank) for r in rows] == [("KGX", 1), ("MAN", 2), ("LDS", None)]
    kgx, man, lds = rows
    assert (kgx.score.n, kgx.score.mean) == (3, A(250 / 3))
    assert kgx.score.ci == A((11.622, 155.044), abs=1e-3)
    assert kgx.change == A(100 / 3)
    assert (man.score.n, man.score.mean, man.change) == (2, A(25.0), A(-75.0))
    assert (lds.score.n, lds.score.mean, lds.change) == (0, None, None)
    assert scorecards.organisation_sums(sums, q4).estimate().mean == A(60.0)


@pytest.mark.django_db
def test_equal_means_share_a_rank(lg, org):
    q4 = lg["q4"]
    sums = {
        (q4.pk, lg["kgx"].pk): scorecards.ScoreSums(1, 50.0, 2500.0),
        (q4.pk, lg["man"].pk): scorecards.ScoreSums(1, 50.0, 2500.0),
        (q4.pk, lg["lds"].pk): scorecards.ScoreSums(1, 10.0, 100.0),
    }
    rows = scorecards.league(
        locations=[lg["kgx"], lg["man"], lg["lds"]], wave=q4, previous=None, sums=sums
    )
    assert [r.rank for r in rows] == [1, 1, 3]


@pytest.mark.django_db
def test_league_page(lg, org, program_admin):
    url = reverse("insights:league", args=[org.slug])
    # The default wave: none has enough responses, so the latest with any, Q4.
    html = client_for(program_admin).get(url).content.decode()
    assert "Location league table: 2026 Q4" in html
    assert "— the latest wave with responses (none has enough yet);" in html
    # KGX's t interval 11.6 to 155.0 is shown within the 0-100 scale, marked.
    assert re.search(
        r"1</td>\s*<th scope=\"row\">KGX.*?83\.3 %.*?11\.6 to 100\.0<span class=\"ci-clipped\" "
        r"title=\"The 95 % interval runs past the scale \(11\.6 to 155\.0\); shown within it\.\">"
        r".*?3</td>.*?\+33\.3 pts.*?same survey: lg v1",
        html,
        re.S,
    )
    assert re.search(r"2</td>\s*<th scope=\"row\">MAN.*?25\.0 %.*?−75\.0 pts", html, re.S)
    assert re.search(r"<th scope=\"row\">LDS.*?no shops", html, re.S)
    assert "<svg" in html and "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    q3 = client_for(program_admin).get(url + f"?wave={lg['q3'].pk}").content.decode()
    assert "since" not in q3.split("<table", 1)[1].split("</thead>", 1)[0]  # no earlier wave


@pytest.mark.django_db
def test_league_by_gap(lg, org, program_admin):
    url = reverse("insights:league", args=[org.slug]) + "?gap=delivery"
    html = client_for(program_admin).get(url).content.decode()
    # Delivery gap at Q4: KGX 5 of 6 met (-16.7), MAN 1 of 4 met (-75.0): MAN first.
    part = html.split("Ranked by gap: Delivery (gap 3)", 1)[1]
    assert re.search(r"MAN.*?−75\.0 pts.*?KGX.*?−16\.7 pts", part, re.S)
    bad = reverse("insights:league", args=[org.slug]) + "?gap=nope"
    assert client_for(program_admin).get(bad).status_code == 404


@pytest.mark.django_db
def test_manager_sees_only_their_locations(lg, org, manager):
    Membership.objects.get(user=manager, organization=org).locations.add(lg["man"])
    html = client_for(manager).get(reverse("insights:league", args=[org.slug])).content.decode()
    assert "MAN" in html and "KGX" not in html and "LDS" not in html
    assert re.search(r"1</td>\s*<th scope=\"row\">MAN", html)


@pytest.mark.django_db
def test_escaped_location_names(lg, org, program_admin):
    Location.objects.create(organization=org, code="XSS", name="<script>alert(1)</script>")
    html = client_for(program_admin).get(reverse("insights:league", args=[org.slug])).content
    assert b"<script>alert(1)</script>" not in html and b"&lt;script&gt;" in html


@pytest.mark.django_db
def test_outsider_gets_404(lg, org, outsider):
    url = reverse("insights:league", args=[org.slug])
    assert client_for(outsider).get(url).status_code == 404


LEAGUE_QUERIES = 8  # session, user, membership, filters (3), wave counts, shop sums


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_constant(lg, org, program_admin, django_assert_max_num_queries):
    c = client_for(program_admin)
    url = reverse("insights:league", args=[org.slug])
    before = count_queries(c, url)
    for i in range(5):
        loc = Location.objects.create(organization=org, code=f"N{i}", name=f"New {i}")
        from surveys.models import Survey
        from surveys.responses.services import record_response

        survey = Survey.objects.get(code="lg")
        for answer in ("yes", "no"):
            record_response(
                survey=survey,
                source="shopper",
                raw_answers={"q1": answer, "q2": "yes"},
                wave=lg["q4"],
                location=loc,
            )
    assert count_queries(c, url) == before
    with django_assert_max_num_queries(LEAGUE_QUERIES):
        c.get(url)
    gap_url = url + "?gap=delivery"
    with django_assert_max_num_queries(LEAGUE_QUERIES + 5):  # measured: with the gap engine
        c.get(gap_url)


# --- like with like: the change since the previous wave ------------------------------------


def _sums(*percents: float) -> scorecards.ScoreSums:
    return scorecards.ScoreSums(len(percents), sum(percents), sum(p * p for p in percents))


Q2 = Wave(name="2026 Q2")


@pytest.mark.parametrize(
    ("now", "before", "previous", "expected"),
    [
        # Same survey and version: 80 and 90 now (85) minus 70 before.
        (
            {("shop", 1): _sums(80, 90)},
            {("shop", 1): _sums(70)},
            Q2,
            (15.0, "same survey: shop v1"),
        ),
        # Two surveys in both waves, same versions: pooled means, 60 - 40.
        (
            {("a", 1): _sums(50), ("b", 2): _sums(70)},
            {("a", 1): _sums(40), ("b", 2): _sums(40)},
            Q2,
            (20.0, "same survey: a v1, b v2"),
        ),
        (
            {("shop", 2): _sums(80)},
            {("shop", 1): _sums(70)},
            Q2,
            (None, "survey version changed: shop v1 in 2026 Q2, shop v2 now"),
        ),
        (
            {("new", 1): _sums(80)},
            {("shop", 1): _sums(70)},
            Q2,
            (None, "different surveys: new now, shop in 2026 Q2"),
        ),
        ({("shop", 1): _sums(80)}, {}, Q2, (None, "no shops in 2026 Q2")),
        ({}, {("shop", 1): _sums(80)}, Q2, (None, "no shops in this wave")),
        ({("shop", 1): _sums(80)}, {}, None, (None, "no earlier wave")),
    ],
)
def test_change_compares_like_with_like(now, before, previous, expected):
    change = scorecards.compare_waves(now, before, previous)
    value, note = expected
    assert change.note == note
    assert change.value == (None if value is None else A(value))


@pytest.mark.django_db
def test_a_new_survey_version_shows_no_change_with_the_reason(lg, org, program_admin):
    """KGX's Q4 shops move to version 2 of the survey: no change, and the league and report
    card say why; MAN keeps version 1 and keeps its change."""
    from surveys.models import Response, Survey
    from surveys.questionnaire.services import publish_survey, start_new_version

    v1 = Survey.objects.for_org(org).get(code="lg")
    v2 = publish_survey(survey=start_new_version(survey=v1))
    Response.objects.filter(wave=lg["q4"], location=lg["kgx"]).update(survey=v2)
    html = client_for(program_admin).get(reverse("insights:league", args=[org.slug])).content
    html = html.decode()
    kgx = html.split('<th scope="row">KGX', 1)[1].split("</tr>", 1)[0]
    assert "survey version changed: lg v1 in 2026 Q3, lg v2 now" in kgx
    assert "pts" not in kgx
    man = html.split('<th scope="row">MAN', 1)[1].split("</tr>", 1)[0]
    assert "−75.0 pts" in man and "same survey: lg v1" in man
    card_url = reverse("insights:report_card", args=[org.slug, "KGX"])
    card = client_for(program_admin).get(card_url).content.decode()
    assert 'id="rc-change">—</p>' in card
    assert "survey version changed: lg v1 in 2026 Q3, lg v2 now" in card
