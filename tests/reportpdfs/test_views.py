"""The download buttons and pages: PDFs with the page's permission and scope (outsiders and
managers of other locations get 404), zips of a wave with their progress page and download."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import TestCase
from django.urls import reverse

from cxaudit.accounts.models import Membership, Role
from cxaudit.reportpdfs import services
from cxaudit.reportpdfs.models import PdfBatch
from tests.conftest import make_user
from tests.shoppers.pages import client_of

from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def location_pdf_url(org, location, wave=None) -> str:
    url = reverse("reportpdfs:location_pdf", args=[org.slug, location.code])
    return f"{url}?wave={wave.pk}" if wave else url


def test_the_location_page_offers_its_pdf(org, location, wave, full_shop, manager):
    page = client_of(manager).get(
        reverse("insights:report_card", args=[org.slug, location.code]) + f"?wave={wave.pk}"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert location_pdf_url(org, location, wave) in html
    # The page shows the charts and the photo, as the PDF does.
    assert 'class="chart chart-dots"' in html
    assert reverse("surveys:evidence_file", args=[org.slug, full_shop.evidence_key]) in html


def test_the_shop_page_offers_its_pdf(org, full_shop, manager):
    page = client_of(manager).get(reverse("shoppers:shop_report", args=[org.slug, full_shop.pk]))
    assert reverse("reportpdfs:shop_pdf", args=[org.slug, full_shop.pk]) in page.content.decode()


def test_location_pdf_download(org, location, wave, full_shop, manager):
    response = client_of(manager).get(location_pdf_url(org, location, wave))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="report-card-kgx-2026-q4.pdf"' in response["Content-Disposition"]
    assert "Report card: Kingsbridge (KGX)" in pdf_text(response.content)


def test_pdfs_are_404_for_outsiders_and_other_locations(
    org, location, second_location, wave, full_shop, outsider
):
    assert client_of(outsider).get(location_pdf_url(org, location, wave)).status_code == 404
    shop_url = reverse("reportpdfs:shop_pdf", args=[org.slug, full_shop.pk])
    assert client_of(outsider).get(shop_url).status_code == 404
    # A manager limited to Manchester sees neither Kingsbridge's card nor its shop.
    limited = make_user("mc@acme.test")
    membership = Membership.objects.create(user=limited, organization=org, role=Role.CLIENT_MANAGER)
    membership.locations.add(second_location)
    assert client_of(limited).get(location_pdf_url(org, location, wave)).status_code == 404
    assert client_of(limited).get(shop_url).status_code == 404


def test_unknown_wave_or_location_is_404(org, location, wave, manager):
    client = client_of(manager)
    url = reverse("reportpdfs:location_pdf", args=[org.slug, location.code])
    assert client.get(f"{url}?wave=999999").status_code == 404
    assert client.get(f"{url}?wave=x%00y").status_code in (400, 404)
    nowhere = reverse("reportpdfs:location_pdf", args=[org.slug, "NOPE"])
    assert client.get(nowhere).status_code == 404


# --- zips ------------------------------------------------------------------------------------


def post_batch(client, org, wave):
    # The test's transaction never commits: run what the view queues after commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("reportpdfs:batches", args=[org.slug]), {"wave": wave.pk})


def test_a_zip_holds_one_pdf_per_location(
    org, location, second_location, wave, full_shop, other_shop, manager, sent_tasks
):
    client = client_of(manager)
    page = client.get(reverse("reportpdfs:batches", args=[org.slug]) + f"?wave={wave.pk}")
    assert page.status_code == 200 and b"Build the zip" in page.content
    response = post_batch(client, org, wave)
    batch = PdfBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reportpdfs:batch", args=[org.slug, batch.pk])
    assert [t.name for t in sent_tasks] == ["reportpdfs.build_batch"]
    assert batch.state == PdfBatch.State.QUEUED and batch.total == 2
    progress = client.get(response["Location"])
    assert b'id="batch-progress"' in progress.content and b"0 of 2 report cards" in progress.content

    services.build_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == PdfBatch.State.READY and batch.done == 2 and batch.percent == 100
    status = client.get(reverse("reportpdfs:batch_status", args=[org.slug, batch.pk])).json()
    assert status["finished"] and status["done"] == 2
    ready = client.get(response["Location"]).content.decode()
    download = reverse("reportpdfs:batch_download", args=[org.slug, batch.pk])
    assert download in ready
    got = client.get(download)
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content)))
    names = sorted(archive.namelist())
    assert names == ["report-card-kgx-2026-q4.pdf", "report-card-man-2026-q4.pdf"]
    assert "Report card: Kingsbridge (KGX)" in pdf_text(archive.read(names[0]))
    assert "Report card: Manchester (MAN)" in pdf_text(archive.read(names[1]))


def test_asking_twice_gives_the_same_zip(org, location, wave, manager, sent_tasks):
    client = client_of(manager)
    first, second = post_batch(client, org, wave), post_batch(client, org, wave)
    assert first["Location"] == second["Location"]
    assert PdfBatch.objects.count() == 1


def test_zips_are_for_members_who_see_every_location_in_them(
    org, location, second_location, wave, manager, outsider, shopper, sent_tasks
):
    post_batch(client_of(manager), org, wave)
    batch = PdfBatch.objects.get()
    limited = make_user("mc@acme.test")
    membership = Membership.objects.create(user=limited, organization=org, role=Role.CLIENT_MANAGER)
    membership.locations.add(second_location)
    for name in ("batch", "batch_status", "batch_download"):
        url = reverse(f"reportpdfs:{name}", args=[org.slug, batch.pk])
        assert client_of(outsider).get(url).status_code == 404
        assert client_of(limited).get(url).status_code == 404
        assert client_of(shopper).get(url).status_code == 403
    listing = client_of(limited).get(reverse("reportpdfs:batches", args=[org.slug]))
    assert reverse("reportpdfs:batch", args=[org.slug, batch.pk]) not in listing.content.decode()
    # The limited manager's own zip holds their location only.
    post_batch(client_of(limited), org, wave)
    mine = PdfBatch.objects.exclude(pk=batch.pk).get()
    assert mine.location_ids == [second_location.pk] and mine.total == 1


def test_a_bad_wave_is_refused_with_the_field_named(org, wave, other_org, manager, sent_tasks):
    from tests.factories import make_wave

    foreign = make_wave(other_org, "Elsewhere")
    response = client_of(manager).post(
        reverse("reportpdfs:batches", args=[org.slug]), {"wave": foreign.pk}
    )
    assert response.status_code == 200
    assert "Choose one of the organisation" in response.content.decode()
    assert not PdfBatch.objects.exists() and sent_tasks == []


def test_the_download_is_404_until_ready_and_after_expiry(org, location, wave, manager, sent_tasks):
    client = client_of(manager)
    post_batch(client, org, wave)
    batch = PdfBatch.objects.get()
    download = reverse("reportpdfs:batch_download", args=[org.slug, batch.pk])
    assert client.get(download).status_code == 404
    services.build_batch(batch_id=batch.pk)
    assert client.get(download).status_code == 200
    PdfBatch.objects.filter(pk=batch.pk).update(expires_at="2000-01-01T00:00Z")
    assert services.sweep().deleted == 1
    assert client.get(download).status_code == 404
    assert b"kept" not in client.get(reverse("reportpdfs:batch", args=[org.slug, batch.pk])).content
