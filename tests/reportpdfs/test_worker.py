"""A real Celery worker builds the zip from the broker; killed half-way, the sweeper hands the
batch to the next worker, which builds it whole."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

import pytest
from django.core.files.storage import default_storage

from cxaudit.accounts.models import Location
from cxaudit.reportpdfs import services
from cxaudit.reportpdfs.models import PdfBatch
from tests.conftest import wait_for
from tests.factories import make_wave

from .conftest import worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def locations(org, n: int) -> list[Location]:
    return [
        Location.objects.create(organization=org, code=f"L{i:02d}", name=f"Station {i}")
        for i in range(n)
    ]


def state(pk):
    return PdfBatch.objects.get(pk=pk)


def zip_names(batch) -> list[str]:
    with default_storage.open(batch.file.name, "rb") as fh:
        return sorted(zipfile.ZipFile(io.BytesIO(fh.read())).namelist())


def test_a_worker_builds_the_zip(org, pdf_queue, tmp_path):
    wave = make_wave(org, "2026 Q3")
    places = locations(org, 3)
    process = worker(pdf_queue, tmp_path / "worker.log")
    try:
        batch = services.request_batch(
            organization=org, wave=wave, requested_by=None, locations=places
        )
        done = wait_for(lambda: (b := state(batch.pk)).is_finished and b, timeout=120)
    finally:
        process.stop()
    assert done.state == PdfBatch.State.READY, done.error
    assert done.done == 3 and done.attempt == 1
    assert zip_names(done) == [f"report-card-l0{i}-2026-q3.pdf" for i in range(3)]


def test_a_killed_worker_is_replaced_by_the_sweeper(org, pdf_queue, tmp_path):
    wave = make_wave(org, "2026 Q3")
    places = locations(org, 8)
    first = worker(pdf_queue, tmp_path / "worker1.log")
    try:
        batch = services.request_batch(
            organization=org, wave=wave, requested_by=None, locations=places
        )
        wait_for(lambda: state(batch.pk).done >= 1, timeout=120)
    finally:
        first.stop(kill=True)
    killed = state(batch.pk)
    assert killed.state == PdfBatch.State.RUNNING and killed.done < 8
    time.sleep(1.5)
    assert services.sweep(stale_after=dt.timedelta(seconds=1)).requeued == [batch.pk]
    second = worker(pdf_queue, tmp_path / "worker2.log")
    try:
        done = wait_for(lambda: (b := state(batch.pk)).is_finished and b, timeout=180)
    finally:
        second.stop()
    assert done.state == PdfBatch.State.READY and done.attempt == 2 and done.done == 8
    assert len(zip_names(done)) == 8
