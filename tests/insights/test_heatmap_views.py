"""The journey heatmap and its drill-down on the dataset of heatmap_data.build_heat."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxaudit.accounts.models import Membership
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.insights.heatmap import shade
from surveys.models import Evidence
from tests.insights.heatmap_data import build_heat


@pytest.fixture
def heat(org, location):
    return build_heat(org, location)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def card(html: str, tp) -> str:
    """The <li> of one touchpoint card."""
    start = html.index(f'id="map-touchpoint-{tp.pk}"')
    return html[html.rindex("<li", 0, start) : html.index("</li>\n", start)]


@pytest.mark.django_db
def test_colour_scale_on_hand_computed_gaps(heat, org):
    rows = {r.key["touchpoint"]: r for r in analyse_gaps(organization=org).rows("touchpoint")}
    tps = heat["tps"]
    assert shade(rows[tps["Call"].pk]).css == "gap-good"
    amb = shade(rows[tps["Greeting"].pk])
    assert (amb.css, amb.gap, amb.label) == (
        "gap-warn",
        "delivery",
        "Small gap: Delivery (gap 3) −10 pts",
    )
    assert amb.value.diff_100 == pytest.approx(-10.0)
    red = shade(rows[tps["Checkout"].pk])
    assert (red.css, red.label) == ("gap-bad", "Large gap: Delivery (gap 3) −33 pts")
    assert tps["Website"].pk not in rows and shade(None).label == "No data"
    small = shade(rows[tps["Parking"].pk])
    assert (small.css, small.label) == ("gap-none", "Small sample")


@pytest.mark.django_db
def test_heatmap_page_colours_and_labels(heat, org, program_admin):
    url = reverse("insights:heatmap", args=[org.slug])
    html = client_for(program_admin).get(url).content.decode()
    tps = heat["tps"]
    assert "gap-good" in card(html, tps["Call"]) and "No significant gap" in card(html, tps["Call"])
    greeting = card(html, tps["Greeting"])
    assert "gap-warn" in greeting and "Small gap: Delivery (gap 3) −10 pts" in greeting
    assert "Moment that matters" in greeting
    assert "gap-bad" in card(html, tps["Checkout"])
    assert "No data" in card(html, tps["Website"])
    assert "Small sample" in card(html, tps["Parking"])
    drill = reverse("insights:heatmap_touchpoint", args=[org.slug, tps["Checkout"].pk])
    assert f'href="{drill}' in html
    # The accessible table alternative carries the same figures.
    assert re.search(r"Checkout</a>.*?Large gap.*?−33\.3 pts", html, re.S)
    assert "Key" in html and "Large gap: a significant gap of 15 points or more" in html


@pytest.mark.django_db
def test_heatmap_filters_by_wave(heat, org, program_admin):
    other = heat["wave"].__class__.objects.create(
        organization=org, name="Empty", starts_on="2027-01-01", ends_on="2027-03-31"
    )
    url = reverse("insights:heatmap", args=[org.slug]) + f"?wave={other.pk}"
    html = client_for(program_admin).get(url).content.decode()
    assert "gap-bad" not in card(html, heat["tps"]["Checkout"])
    assert client_for(program_admin).get(url.replace(str(other.pk), "999999")).status_code == 404


@pytest.mark.django_db
def test_drill_down_lists_answers_verbatims_and_evidence(heat, org, program_admin):
    first = heat["responses"][0]
    question = first.survey.questions.get(code="txt")
    ev = Evidence.objects.create(
        organization=org,
        response=first,
        question=question,
        file="evidence/x.jpg",
        content_type="image/jpeg",
        size=10,
    )
    tp = heat["tps"]["Greeting"]
    url = reverse("insights:heatmap_touchpoint", args=[org.slug, tp.pk])
    c = client_for(program_admin)
    html = c.get(url).content.decode()
    assert "Small gap: Delivery (gap 3) −10 pts" in html
    assert "Answers behind it" in html and "(30)" in html
    assert "Page 1 of 2" in html
    # Shop 0 is the oldest: it is on page 2 (newest first), with its comment and evidence.
    page2 = c.get(url + "?page=2").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; slow" in page2
    assert "<script>alert(1)</script>" not in page2
    assert reverse("surveys:evidence_file", args=[org.slug, ev.key]) in page2
    assert "Mystery shopper" in page2 and "KGX" in page2
    assert "Yes <span" in page2 and "False" not in page2


@pytest.mark.django_db
def test_manager_limited_to_a_location(heat, org, manager):
    Membership.objects.get(user=manager, organization=org).locations.add(heat["man"])
    c = client_for(manager)
    html = c.get(reverse("insights:heatmap", args=[org.slug])).content.decode()
    for tp in heat["tps"].values():
        assert "No data" in card(html, tp)
    assert "KGX" not in html  # not even in the location filter
    tp = heat["tps"]["Checkout"]
    drill = reverse("insights:heatmap_touchpoint", args=[org.slug, tp.pk])
    assert "(0)" in c.get(drill).content.decode()
    assert c.get(drill + "?location=KGX").status_code == 404


@pytest.mark.django_db
def test_outsider_gets_404(heat, org, outsider):
    tp = heat["tps"]["Checkout"]
    c = client_for(outsider)
    assert c.get(reverse("insights:heatmap", args=[org.slug])).status_code == 404
    drill = reverse("insights:heatmap_touchpoint", args=[org.slug, tp.pk])
    assert c.get(drill).status_code == 404


@pytest.mark.django_db
def test_touchpoint_of_another_org_is_404(heat, org, other_org, program_admin):
    from tests.factories import make_standard

    foreign = make_standard(other_org, "F1").touchpoint
    url = reverse("insights:heatmap_touchpoint", args=[org.slug, foreign.pk])
    assert client_for(program_admin).get(url).status_code == 404


HEATMAP_QUERIES = 17  # session, user, membership, filters, wave counts, structure (4), gaps (6)
DRILL_QUERIES = 18  # the heatmap's, plus the KPIs of the touchpoint (none here)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow(heat, org, program_admin, django_assert_max_num_queries):
    c = client_for(program_admin)
    heat_url = reverse("insights:heatmap", args=[org.slug])
    drill = reverse("insights:heatmap_touchpoint", args=[org.slug, heat["tps"]["Greeting"].pk])
    # Every wave (wave=): the default wave moves to the new wave below.
    before = (count_queries(c, heat_url), count_queries(c, drill + "?wave="))
    # Three times the shops, more touchpoints and standards, in another wave and location.
    build_heat(org, heat["man"], shops=60, suffix="b")
    after = (count_queries(c, heat_url), count_queries(c, drill + "?wave=&page=2"))
    assert before == after, (before, after)
    with django_assert_max_num_queries(HEATMAP_QUERIES):
        c.get(heat_url)
    with django_assert_max_num_queries(DRILL_QUERIES):
        c.get(drill)


@pytest.mark.django_db
def test_drill_down_says_the_headline_is_a_roll_up_and_marks_it_in_each_standard(
    heat, org, program_admin
):
    tp = heat["tps"]["Checkout"]
    url = reverse("insights:heatmap_touchpoint", args=[org.slug, tp.pk])
    html = client_for(program_admin).get(url).content.decode()
    note = html.split('id="rollup-note">', 1)[1].split("</p>", 1)[0]
    assert "the answers to its 1 standard pooled" in note
    assert "Its headline, Delivery (gap 3) −33.3 pts (95 % CI" in note
    marked = re.findall(r'<tr class="table-active headline-gap"><th scope="row">([^<]+)', html)
    assert marked == ["Delivery (gap 3) "]
