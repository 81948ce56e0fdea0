"""The PDFs themselves: they parse, name the shop / location, carry the score figures (computed
by hand below) and the evidence photo, and load nothing but the app's own files."""

from __future__ import annotations

import socket

import pytest

from cxaudit.journeys.models import Wave
from cxaudit.reportpdfs.fetcher import StorageFetcher, origin
from cxaudit.reportpdfs.rendering import location_context, location_pdf
from tests.shoppers.pages import client_of

from .conftest import pdf_images, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (and is recorded)."""
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def waves(org):
    return list(Wave.objects.for_org(org))


def test_location_pdf_names_the_location_and_its_scores(
    org, location, wave, full_shop, other_shop, no_network
):
    # Kingsbridge: one shop at 1 of 2 points = 50 %; Manchester: 2 of 2 = 100 %; the
    # organisation's mean of the two shops is 75 %, and Kingsbridge ranks 2 of 2.
    data = location_pdf(organization=org, location=location, wave=wave, waves=waves(org))
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Report card: Kingsbridge (KGX)" in text
    assert "2026 Q4" in text
    assert "50.0 %" in text and "75.0 %" in text
    assert "2 of 2" in text
    assert "−25.0 pts" in text  # the section: 50 % here, 75 % across the organisation
    assert "Greeted within 30 seconds" in text
    assert "Manchester" not in text  # the card names no other location
    [photo] = pdf_images(data)  # the receipt photo
    assert photo.image.size == (24, 24)
    assert no_network == []


def test_location_pdf_draws_the_charts_as_vectors(org, location, wave, full_shop, other_shop):
    context = location_context(organization=org, location=location, wave=wave, waves=waves(org))
    assert "<svg" in context["score_chart"] and "<svg" in context["section_chart"]
    text = pdf_text(location_pdf(organization=org, location=location, wave=wave, waves=waves(org)))
    # The chart's axis ticks and row labels are text in the PDF, not a picture.
    assert "Organisation" in text and "At the desk" in text and "100" in text


def test_shop_pdf_has_score_items_narrative_and_photo(org, full_shop, manager, no_network):
    from django.urls import reverse

    response = client_of(manager).get(reverse("reportpdfs:shop_pdf", args=[org.slug, full_shop.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="shop-report-{full_shop.pk}.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Ask for a refund at the desk" in text
    assert "Kingsbridge" in text and "2026 Q4" in text
    assert "50%" in text and "1 of 2 points" in text
    assert "At the desk" in text
    # The narrative is shown as the shopper typed it: markup is text, never followed.
    assert "Waited <b>4 minutes</b>" in text
    assert '<img src="http://169.254.169.254/latest">' in text
    [photo] = pdf_images(response.content)  # in its item and under "Evidence"
    assert photo.image.size == (24, 24)
    assert no_network == []


# --- the URL fetcher --------------------------------------------------------------------------


@pytest.fixture
def fetcher(org, full_shop):
    return StorageFetcher(organization=org, evidence_keys=[full_shop.evidence_key])


def evidence_url(org, key) -> str:
    return f"{origin()}/o/{org.slug}/evidence/{key}/"


def test_fetcher_serves_static_files_and_the_listed_evidence(org, full_shop, fetcher):
    css = fetcher.fetch(f"{origin()}/static/css/app.css")
    assert css.content_type == "text/css" and css.read()
    photo = fetcher.fetch(evidence_url(org, full_shop.evidence_key))
    assert photo.content_type == "image/jpeg" and photo.read().startswith(b"\xff\xd8")


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/",
        "http://127.0.0.1:8000/static/css/app.css",
        "file:///etc/passwd",
        "data:text/css,body{}",
        "ftp://example.org/x.css",
        f"{origin()}/static/../cxaudit/settings.py",
        f"{origin()}/static/%2e%2e/%2e%2e/manage.py",
        f"{origin()}/static/js/app.js",
        f"{origin()}/admin/",
        f"{origin()}/o/acme-rail/insights/",
        "https://localhost.evil.test/static/css/app.css",
    ],
)
def test_fetcher_refuses_everything_else(url, fetcher, no_network):
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert no_network == []


def test_fetcher_refuses_evidence_not_on_the_card_or_of_another_org(
    org, other_org, full_shop, no_network
):
    nothing_listed = StorageFetcher(organization=org, evidence_keys=[])
    with pytest.raises(ValueError):
        nothing_listed.fetch(evidence_url(org, full_shop.evidence_key))
    # The same key under another organisation's address, with that organisation rendering.
    elsewhere = StorageFetcher(organization=other_org, evidence_keys=[full_shop.evidence_key])
    with pytest.raises(ValueError):
        elsewhere.fetch(evidence_url(other_org, full_shop.evidence_key))
    with pytest.raises(ValueError):
        elsewhere.fetch(evidence_url(org, full_shop.evidence_key))


def test_a_hostile_image_in_the_html_is_refused_not_fetched(org, no_network):
    """Should markup ever reach the HTML unescaped, WeasyPrint still goes through the fetcher,
    which refuses it: the PDF is made without the image and nothing is fetched."""
    from weasyprint import HTML

    fetcher = StorageFetcher(organization=org)
    html = (
        '<p>Hello</p><img src="http://169.254.169.254/latest/meta-data/">'
        '<link rel="stylesheet" href="http://10.0.0.1/x.css">'
        "<style>@import url('http://169.254.169.254/a.css');</style>"
    )
    data = HTML(string=html, base_url=origin() + "/", url_fetcher=fetcher).write_pdf()
    assert data.startswith(b"%PDF-")
    assert set(fetcher.refused) == {
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/x.css",
        "http://169.254.169.254/a.css",
    }
    assert fetcher.served == []
    assert no_network == []
