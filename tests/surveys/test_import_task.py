"""The import task on a real Celery worker: a killed worker or a lost message loses nothing and
duplicates nothing."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from surveys.imports import services as imports
from surveys.imports.tasks import run_response_import
from surveys.models import Answer, Response, ResponseImport
from tests.conftest import start_worker, wait_for
from tests.surveys.import_helpers import (  # noqa: F401 (media_root is a fixture)
    GOOD_ROWS,
    HEADER,
    csv_file,
    make_import_context,
    media_root,
)

pytestmark = [pytest.mark.worker, pytest.mark.usefixtures("media_root")]

# Answers stored per row of GOOD_ROWS (hidden and empty questions store none).
ANSWERS_PER_CYCLE = 10 + 6 + 9


def _create(org, rows: int, *, enqueue: bool = True) -> ResponseImport:
    lines = [HEADER] + [GOOD_ROWS[i % 3] for i in range(rows)]
    return imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file(lines),
        enqueue=enqueue,
    )


def _status(pk: int) -> ResponseImport:
    return ResponseImport.objects.get(pk=pk)


def test_worker_imports_once_even_when_the_message_is_delivered_twice(celery_worker, org, manager):
    make_import_context(org)
    imp = _create(org, 30)
    wait_for(lambda: _status(imp.pk).status == "succeeded", timeout=60)
    run_response_import.delay(imp.pk)  # a duplicate delivery
    wait_for(lambda: "'skipped'" in celery_worker.log.read_text(), timeout=30)
    assert Response.objects.count() == 30
    assert Answer.objects.count() == ANSWERS_PER_CYCLE * 10


def test_killed_worker_mid_import_loses_nothing_and_duplicates_nothing(
    celery_worker, org, manager, tmp_path
):
    make_import_context(org)
    rows = 6000
    imp = _create(org, rows)
    # Kill the worker (SIGKILL, no cleanup) while it is writing inside its transaction.
    wait_for(
        lambda: (s := _status(imp.pk)).phase == "writing" and s.processed_rows > 0, timeout=240
    )
    celery_worker.stop(kill=True)
    killed = _status(imp.pk)
    assert killed.status == "running" and killed.phase == "writing" and killed.attempt == 1
    # Its batches were never committed, and the database rolls back the dead client's transaction
    # (were any of them kept, the second run below would hit the unique client ids and fail).
    assert Response.objects.count() == 0

    # The sweeper finds the job whose heartbeat stopped and queues it again.
    time.sleep(1.5)
    assert imports.requeue_stalled_imports(stale_after=timedelta(seconds=1)) == [imp.pk]
    second = start_worker(celery_worker.queue, tmp_path / "worker2.log")
    try:
        done = wait_for(
            lambda: (s := _status(imp.pk)).status in {"succeeded", "failed"} and s, timeout=300
        )
    finally:
        second.stop()
    assert done.status == "succeeded" and done.attempt == 2, done.errors
    assert done.imported_count == rows == Response.objects.count()
    assert Response.objects.values("client_id").distinct().count() == rows
    assert Answer.objects.count() == ANSWERS_PER_CYCLE * rows // 3
    expected = {imports.response_client_id(imp.pk, line) for line in range(2, rows + 2)}
    assert set(Response.objects.values_list("client_id", flat=True)) == expected


def test_a_lost_message_is_recovered_by_the_sweeper(celery_worker, org, manager):
    make_import_context(org)
    imp = _create(org, 9, enqueue=False)  # as if Redis lost the message
    ResponseImport.objects.filter(pk=imp.pk).update(
        heartbeat_at=imp.heartbeat_at - imports.STALE_AFTER * 2
    )
    assert imports.requeue_stalled_imports() == [imp.pk]
    wait_for(lambda: _status(imp.pk).status == "succeeded", timeout=60)
    assert Response.objects.count() == 9
