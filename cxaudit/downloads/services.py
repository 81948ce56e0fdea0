"""Exports: a small one is written straight into the response; a large one becomes an
ExportJob built by a Celery worker into a file kept for CXAUDIT_EXPORT_KEEP_HOURS.

Safe to run twice, or after a crash (the response import's machinery, docs/exports.md):
- a job is claimed with a conditional update (queued -> running), so a redelivered task message
  does nothing;
- the worker refreshes a heartbeat with its progress; `sweep_exports` queues again a job whose
  heartbeat stopped (a killed worker) and re-sends a queued job whose message was lost;
- the file is written under a name of its own attempt and published by a final update fenced
  by that attempt, so a worker that lost its lease deletes its file instead.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from cxaudit.accounts.models import Location, User
from cxaudit.accounts.scope import LocationScope
from cxaudit.enqueue import enqueue_on_commit
from cxaudit.errors import DomainError
from cxaudit.exports import write_csv_file, write_xlsx_file
from cxaudit.journeys.models import Wave
from surveys.models import Campaign, Survey

from .kinds import KINDS, Kind, Request, Table
from .models import ExportFormat, ExportJob

logger = logging.getLogger(__name__)

State = ExportJob.State
PROGRESS_INTERVAL = 0.5  # seconds between progress writes
TICK_ROWS = 1000  # rows between looks at the clock


class LeaseLost(Exception):
    """Another worker owns the job now (ours was taken for dead): stop, keep nothing."""


@dataclass(frozen=True)
class Filters:
    """What the export form (or a page's export button) asked for, as stored in a job."""

    survey: str = ""
    wave: int | None = None
    location: int | None = None
    campaign: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Filters:
        return cls(**{k: data[k] for k in ("survey", "wave", "location", "campaign") if k in data})


def kind_of(key: str) -> Kind:
    kind = KINDS.get(key)
    if kind is None:
        raise DomainError(f"Unknown export {key!r}.", field="kind")
    return kind


def resolve(*, scope: LocationScope, kind: Kind, fmt: str, filters: Filters) -> Request:
    """The export's request with its filters loaded within the organisation and the member's
    location limit; a DomainError names the field that is wrong."""
    org = scope.organization
    if fmt not in ExportFormat.values:
        raise DomainError("Choose CSV or XLSX.", field="format")
    for name in kind.required:
        if not getattr(filters, name):
            raise DomainError(f"Choose a {name} for this export.", field=name)
    wave = location_id = campaign = None
    survey_code = ""
    if filters.survey and "survey" in kind.filters:
        if not Survey.objects.for_org(org).filter(code=filters.survey).exists():
            raise DomainError(f"No survey with code {filters.survey!r}.", field="survey")
        survey_code = filters.survey
    if filters.wave is not None and "wave" in kind.filters:
        wave = Wave.objects.for_org(org).filter(pk=filters.wave).first()
        if wave is None:
            raise DomainError("No such wave.", field="wave")
    if filters.location is not None and "location" in kind.filters:
        if not scope.locations().filter(pk=filters.location).exists():
            raise DomainError("No such location.", field="location")
        location_id = filters.location
    if filters.campaign is not None and "campaign" in kind.filters:
        campaign = Campaign.objects.for_org(org).filter(pk=filters.campaign).first()
        if campaign is None:
            raise DomainError("No such campaign.", field="campaign")
    return Request(
        scope=scope,
        xlsx=fmt == ExportFormat.XLSX,
        survey_code=survey_code,
        wave=wave,
        location_id=location_id,
        campaign=campaign,
    )


def describe(req: Request, kind: Kind) -> str:
    """A line saying what the export holds, for the list of exports."""
    parts = [kind.label.split(" (")[0]]
    if req.survey_code:
        parts.append(f"survey {req.survey_code}")
    if req.campaign is not None:
        parts.append(f"campaign “{req.campaign.name}”")
    if req.wave is not None:
        parts.append(f"wave {req.wave.name}")
    if req.location_id is not None:
        location = Location.objects.filter(pk=req.location_id).first()
        parts.append(f"location {location.code}" if location else "one location")
    if req.scope.limited:
        parts.append("your locations only")
    return ", ".join(parts)[:300]


def file_name(table: Table, fmt: str) -> str:
    return f"{table.stem}.{fmt}"


def request_export(
    *, scope: LocationScope, user: User, kind: Kind, fmt: str, filters: Filters
) -> ExportJob | Table:
    """The table itself when it is small (the caller streams it at once), else a queued job
    (its task sent after commit). Counts the rows once; builds nothing else."""
    req = resolve(scope=scope, kind=kind, fmt=fmt, filters=filters)
    table = kind.build(req)
    if table.small:
        return table
    limit = settings.CXAUDIT_EXPORT_INLINE_ROWS
    if table.count(limit + 1) <= limit:
        return table
    with transaction.atomic():
        job = ExportJob.objects.create(
            organization=scope.organization,
            requested_by=user,
            kind=kind.key,
            format=fmt,
            filters=filters.to_json(),
            location_ids=sorted(scope.location_ids) if scope.limited else None,
            description=describe(req, kind),
            file_name=file_name(table, fmt),
            heartbeat_at=timezone.now(),  # for a queued job: when it was queued
        )
        enqueue_on_commit("downloads.run_export", job.pk)
    return job


def write_table(table: Table, fmt: str, handle, rows=None) -> None:
    """Write `table` (or the given stream of its rows) to a binary file in `fmt`."""
    rows = table.rows() if rows is None else rows
    if fmt == ExportFormat.XLSX:
        write_xlsx_file(handle, table.header, rows, sheet=table.sheet)
        return
    import io

    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=False)
    try:
        write_csv_file(text, table.header, rows)
        text.flush()
    finally:
        text.detach()


def _scope_of(job: ExportJob) -> LocationScope:
    ids = None if job.location_ids is None else frozenset(job.location_ids)
    return LocationScope(job.organization, ids)


def storage_name(job: ExportJob) -> str:
    """The stored file of one attempt: never the same for two workers."""
    return f"exports/{job.organization_id}/{job.public_id.hex}-{job.attempt}.{job.format}"


def run_export(*, job_id: int) -> ExportJob | None:
    """Claim the job, write its file with progress, publish it; None when the job was not
    ours to run (finished, claimed by another worker, or taken from us meanwhile).

    Not one transaction on purpose: progress and the heartbeat must be visible while it runs;
    the rows are read in a transaction of their own (a server-side cursor lives in one)."""
    job = ExportJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None or not job.claim():
        return None
    reporter = _Reporter(job)
    name = storage_name(job)
    try:
        kind = kind_of(job.kind)
        req = resolve(
            scope=_scope_of(job),
            kind=kind,
            fmt=job.format,
            filters=Filters.from_json(job.filters),
        )
        table = kind.build(req)
        reading = transaction.atomic() if connection.vendor == "postgresql" else nullcontext()
        with reading:
            total = table.count()
            reporter.start(total)
            written = _write_file(name, table, job.format, reporter)
        _publish(job, name, total, written)
    except LeaseLost:
        logger.warning("export %s: lease lost, another worker owns it", job_id)
        _delete(name)
        return None
    except (OperationalError, InterfaceError):
        # The database went away: leave the job running; the sweeper queues it again.
        _delete(name)
        raise
    except DomainError as exc:
        _fail(job, exc.message)
        _delete(name)
    except Exception:
        logger.exception("export %s failed unexpectedly", job_id)
        _fail(job, "An unexpected error stopped the export; try again.")
        _delete(name)
    finally:
        reporter.close()
    job.refresh_from_db()
    return job


def _write_file(name: str, table: Table, fmt: str, reporter: _Reporter) -> int:
    """Write the file under `name` in the default storage; returns the rows written. On a
    storage with local paths it is written in place (under a temporary name), else through
    a temporary file."""
    counter = _Counter(reporter)
    rows = counter.wrap(table.rows())
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        path = None
    if path is None:
        with tempfile.TemporaryFile() as handle:
            write_table(table, fmt, handle, rows)
            handle.seek(0)
            default_storage.save(name, File(handle, name=os.path.basename(name)))
        return counter.done
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.part"
    try:
        with open(partial, "wb", buffering=1024 * 1024) as handle:
            write_table(table, fmt, handle, rows)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return counter.done


def _publish(job: ExportJob, name: str, total: int, written: int) -> None:
    now = timezone.now()
    done = ExportJob.objects.filter(pk=job.pk, state=State.RUNNING, attempt=job.attempt).update(
        state=State.DONE,
        file=name,
        size=default_storage.size(name),
        rows_total=max(total, written),
        rows_done=written,
        finished_at=now,
        heartbeat_at=now,
        expires_at=now + timedelta(hours=settings.CXAUDIT_EXPORT_KEEP_HOURS),
    )
    if not done:
        raise LeaseLost


def _fail(job: ExportJob, reason: str) -> None:
    ExportJob.objects.filter(pk=job.pk, state=State.RUNNING, attempt=job.attempt).update(
        state=State.FAILED, error=reason[:500], finished_at=timezone.now()
    )


def _delete(name: str) -> None:
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except OSError:
        logger.exception("could not delete %s", name)


class _Counter:
    """Counts rows as the writer takes them and tells the reporter now and then."""

    def __init__(self, reporter: _Reporter):
        self.reporter = reporter
        self.done = 0

    def wrap(self, rows):
        tick = self.reporter.tick
        n = 0
        for n, row in enumerate(rows, start=1):
            yield row
            if n % TICK_ROWS == 0:
                self.done = n
                tick(n)
        self.done = n


class _Reporter:
    """Writes progress and the heartbeat at most every PROGRESS_INTERVAL seconds: on a second
    connection while the rows are read in a transaction (PostgreSQL), so the page sees it."""

    def __init__(self, job: ExportJob):
        self.job = job
        self.last = 0.0
        self._side = None

    def start(self, total: int) -> None:
        self._write({"rows_total": total, "rows_done": 0})

    def tick(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        self._write({"rows_done": done})

    def _write(self, fields: dict[str, Any]) -> None:
        if connection.vendor != "postgresql":
            alive = ExportJob.objects.filter(
                pk=self.job.pk, state=State.RUNNING, attempt=self.job.attempt
            ).update(heartbeat_at=timezone.now(), **fields)
            if not alive:
                raise LeaseLost
            return
        # The result is not checked: in a test's transaction the row is invisible to this
        # connection; the final, fenced update decides.
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self._side.ops.quote_name(ExportJob._meta.db_table)
        columns = ", ".join(f"{name} = %s" for name in fields)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {columns}, heartbeat_at = %s "  # noqa: S608 (names are ours)
                "WHERE id = %s AND state = %s AND attempt = %s",
                [*fields.values(), timezone.now(), self.job.pk, State.RUNNING, self.job.attempt],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def sweep_exports(*, now=None) -> dict[str, int]:
    """Periodic: delete the files of expired exports, queue again jobs whose worker died
    (heartbeat older than the lease) or whose message was lost, fail jobs that lost their
    worker CXAUDIT_EXPORT_MAX_ATTEMPTS times. Returns counts of each."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(state=State.DONE, expires_at__lte=now).iterator():
        if job.file:
            _delete(job.file.name)
        expired += ExportJob.objects.filter(pk=job.pk, state=State.DONE).update(
            state=State.EXPIRED, file="", finished_at=job.finished_at
        )
    requeued, failed = _requeue_stalled(now)
    return {"expired": expired, "requeued": len(requeued), "failed": failed}


@transaction.atomic
def _requeue_stalled(now) -> tuple[list[int], int]:
    cutoff = now - timedelta(seconds=settings.CXAUDIT_EXPORT_LEASE_SECONDS)
    stalled = ExportJob.objects.select_for_update(skip_locked=True).filter(
        state__in=[State.RUNNING, State.QUEUED], heartbeat_at__lt=cutoff
    )
    queued: list[int] = []
    failed = 0
    for job in stalled:
        if job.state == State.RUNNING:
            # What the lost worker had written, if anything (finished or not).
            _delete(storage_name(job))
            _delete(f"{storage_name(job)}.part")
            if job.attempt >= settings.CXAUDIT_EXPORT_MAX_ATTEMPTS:
                job.state = State.FAILED
                job.error = (
                    f"The export stopped {job.attempt} times without finishing (the worker "
                    "was lost). Try a smaller export (filter by wave or location)."
                )
                job.finished_at = now
                job.save(update_fields=["state", "error", "finished_at"])
                failed += 1
                continue
        job.state = State.QUEUED
        job.heartbeat_at = now
        job.save(update_fields=["state", "heartbeat_at"])
        queued.append(job.pk)
    for pk in queued:
        enqueue_on_commit("downloads.run_export", pk)
    return queued, failed
