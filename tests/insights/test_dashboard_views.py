"""The gap dashboard and the standard detail page (data: tests/insights/conftest.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxaudit.accounts.models import Location, Membership
from surveys.models import Survey
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey, make_wave


def dash(org, **query):
    url = reverse("insights:dashboard", args=[org.slug])
    return url, query


@pytest.fixture
def admin_client(client, program_admin):
    client.force_login(program_admin)
    return client


@pytest.mark.django_db
def test_dashboard_defaults_to_the_latest_wave_with_data(data, admin_client):
    response = admin_client.get(reverse("insights:dashboard", args=["acme-rail"]))
    assert response.status_code == 200
    # 2026 Q4 (starts later) holds one shop of MAN: it is the default wave
    assert response.context["wave"] == data["w2"]
    html = response.content.decode()
    assert "Gap dashboard" in html and "2026 Q4" in html
    assert response.context["tiles"] == []  # no customer answered in Q4
    assert "wave=2026+Q4" in response.context["download_json"]


@pytest.mark.django_db
def test_dashboard_shows_tiles_ranked_gaps_and_charts(data, admin_client):
    url = reverse("insights:dashboard", args=["acme-rail"])
    response = admin_client.get(url, {"wave": "2026 Q3"})
    ctx = response.context
    nps = next(t for t in ctx["tiles"] if t.name == "nps")
    assert (nps.value, nps.n, nps.small_sample) == (pytest.approx(20.0), 10, True)
    assert {t.name for t in ctx["tiles"]} == {"nps", "csat", "ces"}
    # Ranked by |gap| x importance x 2 at a moment that matters (both standards are MtM)
    priorities = [e.priority for e in ctx["ranked"]]
    assert priorities == sorted(priorities, reverse=True)
    top = ctx["ranked"][0]
    assert top.row.standard.code == "ANS" and top.priority == pytest.approx(
        abs(top.gap.diff_100) * 5 * 2
    )
    html = response.content.decode()
    assert html.count("<svg") >= 3 and "<title" in html and "<table" in html
    assert "style=" not in html.split("<main", 1)[1]
    assert reverse("insights:gap_report_download", args=["acme-rail"]) + "?wave=2026+Q3" in html
    assert [label for _, label in ctx["dimensions"]] == ["Responsiveness"]
    assert {t.title for t in ctx["trends"]} >= {"NPS per wave", "Self vs perceived per wave"}


@pytest.mark.django_db
def test_all_waves_and_filters(data, admin_client):
    url = reverse("insights:dashboard", args=["acme-rail"])
    every = admin_client.get(url, {"wave": ""}).context
    assert every["wave"] is None
    assert every["query"] == "wave="  # links to the detail pages keep "every wave"
    assert next(t for t in every["tiles"] if t.name == "nps").n == 10
    # Dimension filter that matches no standard: no ranked gaps, no dimension rows
    empty = admin_client.get(url, {"wave": "", "dimension": "tangibles"}).context
    assert empty["ranked"] == [] and empty["dimensions"] == []
    only_man = admin_client.get(url, {"wave": "", "location": "MAN"}).context
    assert all(t.name != "nps" for t in only_man["tiles"])  # customers all at KGX
    assert "location=MAN" in only_man["download_csv"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", [{"wave": "nope"}, {"location": "XXX"}, {"stage": "abc"}, {"channel": "fax"}]
)
def test_invalid_filters_are_form_errors(data, admin_client, query):
    response = admin_client.get(reverse("insights:dashboard", args=["acme-rail"]), query)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "Some filters are not valid" in response.content.decode()


@pytest.mark.django_db
def test_location_limited_manager_sees_only_their_locations(data, manager, client):
    Membership.objects.get(user=manager).locations.add(data["man"])
    client.force_login(manager)
    url = reverse("insights:dashboard", args=["acme-rail"])
    ctx = client.get(url, {"wave": ""}).context
    assert ctx["tiles"] == []  # every customer answered at KGX
    ans = next(e for e in ctx["ranked"] if e.row.standard.code == "ANS" and e.name == "delivery")
    assert ans.gap.n_a == 1  # only the MAN shop
    assert [c for c, _ in ctx["form"].fields["location"].choices][1:] == ["MAN"]
    # Asking for a location they may not see is a form error, not data
    assert client.get(url, {"location": "KGX"}).context["form"].errors


@pytest.mark.django_db
def test_outsider_gets_404(data, outsider, client):
    client.force_login(outsider)
    assert client.get(reverse("insights:dashboard", args=["acme-rail"])).status_code == 404
    url = reverse("insights:standard_detail", args=["acme-rail", data["ans"].pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_standard_of_another_org_is_404(data, admin_client, other_org):
    foreign = make_standard(other_org, "FOREIGN")
    url = reverse("insights:standard_detail", args=["acme-rail", foreign.pk])
    assert admin_client.get(url).status_code == 404


@pytest.mark.django_db
def test_standard_names_are_escaped(data, admin_client):
    ans = data["ans"]
    ans.name = "<script>alert('x')</script>"
    ans.save()
    for url in (
        reverse("insights:dashboard", args=["acme-rail"]) + "?wave=",
        reverse("insights:standard_detail", args=["acme-rail", ans.pk]) + "?wave=",
    ):
        html = admin_client.get(url).content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html


@pytest.mark.django_db
def test_standard_detail_shows_perspectives_gaps_and_trend(data, admin_client):
    url = reverse("insights:standard_detail", args=["acme-rail", data["ans"].pk])
    ctx = admin_client.get(url, {"wave": ""}).context
    perceived = dict(ctx["perspectives"])["Perceived"]
    assert (perceived.n, perceived.mean_100) == (3, pytest.approx(75.0))
    assert {label: g for label, g, _ in ctx["gaps"]}[
        "Perceived vs expected (gap 5)"
    ].diff_100 == pytest.approx(-25.0)
    assert [r.key["wave"] for r in ctx["per_wave"]] == ["2026 Q3", "2026 Q4"]
    html = admin_client.get(url, {"wave": ""}).content.decode()
    assert "<svg" in html and "Management expects" in html


@pytest.mark.django_db
def test_empty_state(org, program_admin, client):
    client.force_login(program_admin)
    html = client.get(reverse("insights:dashboard", args=[org.slug])).content.decode()
    assert "No answers yet." in html and "self-assessment" in html


def _grow(org, location, n):
    """n customer responses and n shops over two waves and two locations."""
    std = make_standard(org, f"Q{n}", importance=3)
    w1, w2 = make_wave(org, f"A{n}"), make_wave(org, f"B{n}")
    other = Location.objects.create(organization=org, code=f"L{n}", name="Other")
    cust = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "p", "type": "rating", "standard": std, "aspect": "perception"},
                    {"code": "e", "type": "rating", "standard": std, "aspect": "expectation"},
                    {"code": "nps", "type": "nps"},
                ]
            }
        ],
        code=f"c{n}",
        kind=Survey.Kind.CUSTOMER,
    )
    shop = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "ok", "type": "yes_no", "standard": std, "aspect": "perception"}
                ]
            }
        ],
        code=f"s{n}",
    )
    for i in range(n):
        wave, loc = (w1, w2)[i % 2], (location, other)[i % 2]
        answers = {"p": 1 + i % 5, "e": 1 + (i * 3) % 5, "nps": i % 11}
        record_response(
            survey=cust, source="customer", raw_answers=answers, wave=wave, location=loc
        )
        record_response(
            survey=shop,
            source="shopper",
            raw_answers={"ok": "yes" if i % 3 else "no"},
            wave=wave,
            location=loc,
        )
    return std


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_is_constant_as_data_grows(
    org, location, program_admin, other_org, other_location, client, django_assert_max_num_queries
):
    client.force_login(program_admin)
    small = _grow(org, location, 10)
    dash_url = reverse("insights:dashboard", args=[org.slug])
    detail_url = reverse("insights:standard_detail", args=[org.slug, small.pk])
    before = (_count(client, dash_url), _count(client, detail_url))
    big = _grow(org, location, 100)
    after = (_count(client, dash_url), _count(client, detail_url))
    assert before == after
    with django_assert_max_num_queries(20):
        client.get(dash_url)
    with django_assert_max_num_queries(20):
        client.get(reverse("insights:standard_detail", args=[org.slug, big.pk]))


@pytest.mark.django_db
def test_download_link_carries_every_filter(data, admin_client):
    stage = data["ans"].touchpoint.stage
    query = {"wave": "2026 Q3", "stage": stage.pk, "channel": "phone", "dimension": "empathy"}
    ctx = admin_client.get(reverse("insights:dashboard", args=["acme-rail"]), query).context
    link = ctx["download_json"]
    for part in ("wave=2026+Q3", f"stage={stage.pk}", "channel=phone", "dimension=empathy"):
        assert part in link
    url = reverse("insights:gap_report_download", args=["acme-rail"]) + "?" + link
    report = admin_client.get(url).json()
    assert report["standards"] == []  # no empathy standard
    bad = reverse("insights:gap_report_download", args=["acme-rail"]) + "?channel=fax"
    assert admin_client.get(bad).status_code == 404
