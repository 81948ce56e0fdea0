"""The documents of docs/ as help pages: help text links to what the app serves (the formats,
rendered), with heading anchors, links between documents turned into page links, raw HTML
escaped and wide tables in their own scrolling box."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from cxaudit import helpdocs

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(program_admin) -> Client:
    c = Client()
    c.force_login(program_admin)
    return c


def test_help_pages_need_a_login(client):
    response = client.get(reverse("help_page", args=["formats"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_every_document_is_listed_and_served(member):
    index = member.get(reverse("help_index")).content.decode()
    docs = helpdocs.documents()
    assert {d.name for d in docs} >= {"formats", "statistics", "heatmap"}
    for doc in docs:
        assert reverse("help_page", args=[doc.name]) in index
        assert member.get(reverse("help_page", args=[doc.name])).status_code == 200


def test_the_formats_page_has_the_anchors_that_help_links_use(member, org):
    html = member.get(reverse("help_page", args=["formats"])).content.decode()
    for anchor in ("journey-definition-json", "survey-definition-json", "responses-csv"):
        assert f'id="{anchor}"' in html
    assert '<div class="table-responsive"><table class="table table-sm">' in html
    for name in ("journeys:journey_import", "surveys:survey_import", "insights:kpi_import"):
        page = member.get(reverse(name, args=[org.slug])).content.decode()
        link = re.search(r'href="(/help/formats/#[\w-]+)"', page).group(1)
        assert f'id="{link.split("#")[1]}"' in html, link
        assert "docs/formats.md" not in page


def test_links_between_documents_become_page_links_and_html_is_escaped():
    html = helpdocs.render_markdown(
        "# T\n\nSee [the CSV](formats.md#responses-csv), `docs/heatmap.md`, `other.md` and "
        "[a site](https://example.org/x.md).\n\n<script>alert(1)</script>\n",
        {"formats", "heatmap"},
    )
    assert '<a href="/help/formats/#responses-csv">the CSV</a>' in html
    assert '<a href="/help/heatmap/"><code>docs/heatmap.md</code></a>' in html
    assert "<code>other.md</code>" in html and 'href="/help/other' not in html
    assert 'href="https://example.org/x.md"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    title, page = helpdocs.render_doc("statistics")
    assert title == "Statistics in cxaudit" and 'href="/help/formats/"' in page


def test_unknown_or_odd_names_are_not_found(member):
    assert member.get(reverse("help_page", args=["no-such-doc"])).status_code == 404
    assert member.get("/help/..%2Fsettings/").status_code == 404
    assert member.get("/help/README/").status_code == 404
