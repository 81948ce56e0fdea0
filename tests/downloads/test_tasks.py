"""The export task, the sweeper, and one export built by a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cxaudit.accounts.scope import LocationScope
from cxaudit.downloads import services, tasks
from cxaudit.downloads.kinds import KINDS
from cxaudit.downloads.models import ExportJob
from tests.conftest import wait_for

from .conftest import read_back
from .matrix import ready_job
from .test_services import simple

State = ExportJob.State


def queued(org, user, *, kind="responses", fmt="csv", filters=None, **extra) -> ExportJob:
    return ExportJob.objects.create(
        organization=org,
        requested_by=user,
        kind=kind,
        format=fmt,
        filters={"survey": "simple"} if filters is None else filters,
        file_name=f"x.{fmt}",
        heartbeat_at=timezone.now(),
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_task_builds_the_file_and_keeps_it_for_the_configured_time(
    org, location, program_admin, fmt, settings
):
    settings.CXAUDIT_EXPORT_KEEP_HOURS = 2
    simple(org, location, n=3)
    job = queued(org, program_admin, fmt=fmt)
    assert tasks.run_export(job.pk) == "done"
    job.refresh_from_db()
    assert (job.state, job.rows_done, job.rows_total, job.attempt) == ("done", 3, 3, 1)
    assert job.expires_at - job.finished_at == timedelta(hours=2)
    with job.file.open("rb") as handle:
        rows = read_back(handle.read(), fmt)
    assert len(rows) == 4 and rows[0][0] == "response_id"
    assert job.size == default_storage.size(job.file.name)
    # A redelivered message finds the job finished: nothing is done twice.
    assert tasks.run_export(job.pk) == "skipped"


@pytest.mark.django_db
def test_a_job_whose_filter_went_away_fails_with_the_reason(org, program_admin):
    job = queued(org, program_admin, filters={"survey": "gone"})
    assert tasks.run_export(job.pk) == "failed"
    job.refresh_from_db()
    assert "No survey with code 'gone'" in job.error
    assert not job.file


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_publishes_nothing(org, location, program_admin, monkeypatch):
    simple(org, location, n=2)
    job = queued(org, program_admin)
    real_publish = services._publish

    def taken_meanwhile(j, name, total, written):
        # The sweeper gave the job to another worker while this one was writing.
        ExportJob.objects.filter(pk=j.pk).update(attempt=j.attempt + 1)
        real_publish(j, name, total, written)

    monkeypatch.setattr(services, "_publish", taken_meanwhile)
    assert services.run_export(job_id=job.pk) is None
    job.refresh_from_db()
    assert job.state == "running" and not job.file
    assert not default_storage.exists(f"exports/{org.pk}/{job.public_id.hex}-1.csv")


@pytest.mark.django_db
def test_the_sweeper_deletes_expired_files(org, program_admin):
    job = ready_job(org, program_admin)
    name = job.file.name
    assert tasks.sweep_exports()["expired"] == 0
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tasks.sweep_exports()["expired"] == 1
    job.refresh_from_db()
    assert job.state == "expired" and not job.file
    assert not default_storage.exists(name)


@pytest.mark.django_db
def test_the_sweeper_requeues_jobs_of_lost_workers_and_lost_messages(
    org, program_admin, sent_tasks, settings, django_capture_on_commit_callbacks
):
    settings.CXAUDIT_EXPORT_LEASE_SECONDS = 60
    settings.CXAUDIT_EXPORT_MAX_ATTEMPTS = 3
    old = timezone.now() - timedelta(seconds=61)
    fresh = timezone.now()
    lost_worker = queued(org, program_admin, state=State.RUNNING, attempt=1)
    lost_message = queued(org, program_admin)
    given_up = queued(org, program_admin, state=State.RUNNING, attempt=3)
    busy = queued(org, program_admin, state=State.RUNNING, attempt=1)
    ExportJob.objects.filter(pk__in=[lost_worker.pk, lost_message.pk, given_up.pk]).update(
        heartbeat_at=old
    )
    ExportJob.objects.filter(pk=busy.pk).update(heartbeat_at=fresh)
    partial = f"exports/{org.pk}/{lost_worker.public_id.hex}-1.csv.part"
    assert default_storage.save(partial, ContentFile(b"half a file")) == partial
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sweep_exports()
    assert counts == {"expired": 0, "requeued": 2, "failed": 1}
    assert sorted(t.args[0] for t in sent_tasks) == sorted([lost_worker.pk, lost_message.pk])
    lost_worker.refresh_from_db()
    given_up.refresh_from_db()
    busy.refresh_from_db()
    assert lost_worker.state == "queued"
    assert not default_storage.exists(partial)  # the lost worker's half-written file
    assert given_up.state == "failed" and "stopped 3 times" in given_up.error
    assert busy.state == "running"


@pytest.mark.django_db
def test_a_requeued_job_is_claimed_once(org, location, program_admin):
    simple(org, location, n=1)
    job = queued(org, program_admin)
    assert job.claim() is True
    assert job.claim() is False  # running now: a second worker gets nothing


def test_a_real_worker_builds_a_large_export(celery_worker, org, location, program_admin, settings):
    settings.CXAUDIT_EXPORT_INLINE_ROWS = 1
    simple(org, location, n=3)
    job = services.request_export(
        scope=LocationScope(org),
        user=program_admin,
        kind=KINDS["responses"],
        fmt="csv",
        filters=services.Filters(survey="simple"),
    )
    assert isinstance(job, ExportJob)

    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_for(finished, timeout=60)
    assert job.state == "done", (job.error, celery_worker.log.read_text()[-2000:])
    with job.file.open("rb") as handle:
        assert len(read_back(handle.read(), "csv")) == 4
