"""A manager in Chromium, on a phone: from the league table to a zip of every location's report
card, built by a real worker while the progress page watches, then downloaded; and the PDF
button of a location's report card."""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from cxaudit.reportpdfs.models import PdfBatch
from tests.conftest import login

from .conftest import worker

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CXAUDIT_SCREENSHOTS")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_manager_builds_and_downloads_the_zip(
    page, org, location, second_location, wave, full_shop, other_shop, manager, pdf_queue, tmp_path
):
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    login(page, manager.email)
    page.goto(f"/o/{org.slug}/insights/league/?wave={wave.pk}")
    page.get_by_role("link", name="PDFs").click()
    assert page.get_by_role("heading", name="Report cards as PDF").is_visible()
    assert page.locator("#id_wave").input_value() == str(wave.pk)
    assert fits(page)
    page.get_by_role("button", name="Build the zip").click()
    assert page.locator("#batch-progress progress").is_visible()
    assert fits(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/pdf-batch-progress.png", full_page=True)
    process = worker(pdf_queue, tmp_path / "worker.log")
    try:
        # The page polls the status and reloads itself when the zip is ready.
        link = page.get_by_role("link", name="Download the zip")
        link.wait_for(timeout=120_000)
    finally:
        process.stop()
    assert "2 PDFs" in page.locator(".alert-success").inner_text()
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/pdf-batch-ready.png", full_page=True)
    with page.expect_download() as got:
        link.click()
    data = open(got.value.path(), "rb").read()  # noqa: SIM115
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 2
    assert PdfBatch.objects.get().state == PdfBatch.State.READY
    assert console == []


def test_the_report_card_pdf_button_downloads_the_pdf(
    page, org, location, wave, full_shop, manager
):
    login(page, manager.email)
    page.goto(f"/o/{org.slug}/insights/locations/{location.code}/report-card/?wave={wave.pk}")
    assert fits(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/pdf-report-card.png", full_page=True)
    with page.expect_download() as got:
        page.get_by_role("link", name="PDF").click()
    assert got.value.suggested_filename == "report-card-kgx-2026-q4.pdf"
    assert open(got.value.path(), "rb").read(5) == b"%PDF-"  # noqa: SIM115
