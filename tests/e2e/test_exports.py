"""The Exports page in Chromium on a phone: the form, a background export's progress bar
moving as the worker reports, then its download link, without reloading by hand."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from cxaudit.downloads.models import ExportJob
from tests.conftest import login
from tests.downloads.matrix import ready_job

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_running_export_shows_its_progress_then_its_link(page, org, program_admin):
    job = ExportJob.objects.create(
        organization=org,
        requested_by=program_admin,
        kind="responses",
        format="csv",
        state=ExportJob.State.RUNNING,
        rows_total=4000,
        rows_done=1000,
        description="Responses, survey visit",
        heartbeat_at=timezone.now(),
    )
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    login(page, program_admin.email)
    page.goto(f"/o/{org.slug}/exports/")
    assert page.get_by_role("heading", name="Exports", exact=True).is_visible()
    bar = page.get_by_role("progressbar", name="Progress of this export")
    assert bar.get_attribute("aria-valuenow") == "25"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ExportJob.objects.filter(pk=job.pk).update(rows_done=3000)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and bar.get_attribute("aria-valuenow") != "75":
        time.sleep(0.2)
    assert bar.get_attribute("aria-valuenow") == "75"
    assert bar.get_attribute("aria-valuetext") == "3000 of 4000 rows"
    # The worker publishes the file: the page reloads itself and offers the download.
    done = ready_job(org, program_admin)
    ExportJob.objects.filter(pk=job.pk).update(
        state="done", file=done.file.name, expires_at=done.expires_at, file_name="r.csv"
    )
    link = page.get_by_role("link", name="Download r.csv")
    link.wait_for(timeout=15000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "r.csv"
    assert not [m for m in console if "Content Security Policy" in m or "Error" in m], console
