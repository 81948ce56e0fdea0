"""Importing responses from CSV (history from another tool, or paper forms keyed in).

All or nothing: every row is checked first and, when any row is bad, the import is rejected with
every problem listed (line, column, reason) and nothing is written. Otherwise every response and
answer is written in one transaction, scored exactly as `record_response` scores a form.

Safe to run twice, or after a crash:
- a job is claimed with a conditional update (pending -> running); a finished job is never
  claimed again, so a redelivered task message does nothing;
- the running worker refreshes a heartbeat; `requeue_stalled_imports` (a periodic task) hands a
  job whose heartbeat stopped back to the queue, and re-sends a pending job whose message was lost;
- each response's client_id is derived from (import, line), so even two workers racing on the
  same job cannot store a row twice (the unique index refuses the second);
- the success mark is written in the same transaction as the responses, fenced by the attempt
  number, so a worker that lost its lease rolls back instead of committing.

Progress is written outside the import's transaction so that the page sees it while it runs:
on the main connection while checking (autocommit), and on a second connection while writing
(PostgreSQL only; on SQLite the write phase reports no progress).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import islice
from typing import Final

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import (
    DEFAULT_DB_ALIAS,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import F
from django.utils import timezone

from cxaudit.accounts.models import Organization, User
from cxaudit.enqueue import enqueue_on_commit
from cxaudit.errors import DomainError

from ..questionnaire.models import Survey
from ..questionnaire.structure import Structure, load_structure
from ..responses.models import Answer, Response
from ..responses.services import answer_rows, store_score
from ..scoring import score_response
from .models import ResponseImport
from .rows import (
    MAX_BYTES,
    MAX_LISTED_ERRORS,
    CleanRow,
    FileRejected,
    Lookups,
    RowError,
    RowReader,
    decode,
    delimiter_of,
    read_header,
    records,
    size_error,
)

logger = logging.getLogger(__name__)

Status = ResponseImport.Status
Phase = ResponseImport.Phase

# A running job whose heartbeat is older than this is taken to have lost its worker.
STALE_AFTER: Final = timedelta(minutes=2)
# A job that lost its worker this many times is failed rather than retried forever.
MAX_ATTEMPTS: Final = 3
PROGRESS_INTERVAL: Final = 0.5  # seconds between progress writes
BATCH_SIZE: Final = 500  # responses per bulk insert
_CLIENT_ID_NAMESPACE: Final = uuid.UUID("6f1d9a53-4a1e-4f3e-9a52-0c6f2f0e8b31")

ProgressCallback = Callable[[str, int, int], None]  # (phase, rows done, total rows)


class LeaseLost(Exception):
    """Another worker now owns the job (ours was taken for dead): stop without writing."""


def response_client_id(import_id: int, line: int) -> uuid.UUID:
    """The id of the response imported from `line` of import `import_id`: the same on re-runs."""
    return uuid.uuid5(_CLIENT_ID_NAMESPACE, f"response-import:{import_id}:{line}")


def published_survey(*, organization: Organization, code: str) -> Survey:
    survey = Survey.objects.for_org(organization).published().filter(code=code).first()
    if survey is None:
        raise DomainError(f"No published survey with code {code!r}.", field="survey")
    return survey


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def create_import(
    *,
    organization: Organization,
    survey_code: str,
    uploaded_by: User | None,
    file: File,
    enqueue: bool = True,
) -> ResponseImport:
    """Store the uploaded file and create a pending import of it into the published version of
    `survey_code`; the import task is queued after commit (unless `enqueue` is off)."""
    survey = published_survey(organization=organization, code=survey_code)
    if file.size is not None and file.size > MAX_BYTES:
        raise DomainError(_sentence(size_error(file.size)), field="file")
    data = b"".join(file.chunks())
    if len(data) > MAX_BYTES:
        raise DomainError(_sentence(size_error(len(data))), field="file")
    if not data.strip():
        raise DomainError("The file is empty.", field="file")
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        # Serialises uploads into one survey, so the duplicate check below cannot race.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        clash = (
            ResponseImport.objects.for_org(organization)
            .filter(survey__code=survey.code, content_sha256=digest)
            .exclude(status=Status.FAILED)
            .first()
        )
        if clash is not None:
            when = timezone.localtime(clash.created_at).strftime("%d %b %Y %H:%M")
            raise DomainError(
                f"This file was already uploaded into this survey on {when} "
                f"(import #{clash.pk}, {clash.get_status_display().lower()}); importing it "
                "again would duplicate its responses.",
                field="file",
            )
        imp = ResponseImport(
            organization=organization,
            survey=survey,
            uploaded_by=uploaded_by,
            original_name=(file.name or "responses.csv")[-255:],
            content_sha256=digest,
            heartbeat_at=timezone.now(),  # for a pending job: when it was queued
        )
        imp.file.save(f"{organization.slug}/{uuid.uuid4().hex}.csv", ContentFile(data), save=False)
        imp.save()
        if enqueue:
            enqueue_on_commit("surveys.run_response_import", imp.pk)
    return imp


def claim_import(*, import_id: int) -> ResponseImport | None:
    """Take a pending job for this worker (pending -> running); None when it is not pending."""
    now = timezone.now()
    claimed = ResponseImport.objects.filter(pk=import_id, status=Status.PENDING).update(
        status=Status.RUNNING,
        attempt=F("attempt") + 1,
        phase=Phase.VALIDATING,
        started_at=now,
        heartbeat_at=now,
        processed_rows=0,
        imported_count=0,
        errors=[],
    )
    if not claimed:
        return None
    return ResponseImport.objects.select_related("organization", "survey").get(pk=import_id)


def run_import(
    *, import_id: int, progress: ProgressCallback | None = None
) -> ResponseImport | None:
    """Claim the import, check every row, then write all its responses in one transaction (or
    mark it failed with every problem); None when the job was not ours to run.

    Not wrapped in one transaction on purpose: progress and the heartbeat must be visible to
    other connections while the job runs."""
    imp = claim_import(import_id=import_id)
    if imp is None:
        return None
    reporter = _Reporter(imp, progress)
    try:
        structure = load_structure(imp.survey)
        text = _read(imp)
        errors, total = _check(imp, structure, text, reporter)
        if total:
            _fail(imp, errors, total)
        else:
            _write(imp, structure, text, reporter)
    except FileRejected as exc:
        _fail(imp, exc.errors, exc.total)
    except LeaseLost:
        logger.warning("response import %s: lease lost, another worker owns it", import_id)
        return None
    except IntegrityError:
        if not _still_ours(imp):
            # A worker that took the job over committed these rows first: they are imported.
            logger.warning("response import %s: finished by another worker", import_id)
            return None
        logger.exception("response import %s failed unexpectedly", import_id)
        _fail(imp, [RowError(None, "", "an unexpected error stopped the import; try again")])
        raise
    except (OperationalError, InterfaceError):
        # The database went away: leave the job running; the sweeper retries it.
        raise
    except Exception:
        logger.exception("response import %s failed unexpectedly", import_id)
        _fail(imp, [RowError(None, "", "an unexpected error stopped the import; try again")])
        raise
    finally:
        reporter.close()
    imp.refresh_from_db()
    return imp


def _still_ours(imp: ResponseImport) -> bool:
    return ResponseImport.objects.filter(
        pk=imp.pk, status=Status.RUNNING, attempt=imp.attempt
    ).exists()


def _read(imp: ResponseImport) -> str:
    with imp.file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    return decode(data)


def _data_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    rows = records(text, delimiter_of(text))
    header = next(rows, None)
    if header is None:
        raise FileRejected([RowError(None, "", "the file is empty: no header row")])
    return header[1], rows


def _check(
    imp: ResponseImport, structure: Structure, text: str, reporter: _Reporter
) -> tuple[list[RowError], int]:
    """The file's problems, listed up to MAX_LISTED_ERRORS, and how many there are in all
    (every row is read and counted)."""
    header, rows = _data_rows(text)
    total = sum(1 for _ in rows)
    reporter.start(Phase.VALIDATING, total)
    if total == 0:
        return [RowError(None, "", "no data rows below the header")], 1
    header, rows = _data_rows(text)
    reader = RowReader(structure, read_header(header, structure), Lookups.load(imp.organization))
    errors: list[RowError] = []
    problems = 0
    for done, (line, cells) in enumerate(rows, start=1):
        result = reader.clean(line, cells)
        if isinstance(result, list):
            problems += len(result)
            errors.extend(result[: max(0, MAX_LISTED_ERRORS - len(errors))])
        reporter.tick(done)
    return errors, problems


def _clean_rows(imp: ResponseImport, structure: Structure, text: str) -> Iterator[CleanRow]:
    header, rows = _data_rows(text)
    reader = RowReader(structure, read_header(header, structure), Lookups.load(imp.organization))
    for line, cells in rows:
        result = reader.clean(line, cells)
        if isinstance(result, list):  # the file was checked a moment ago: cannot happen
            raise RuntimeError(f"line {line} changed between checking and writing")
        yield result


def _response(imp: ResponseImport, structure: Structure, row: CleanRow) -> Response:
    """The response `record_response` would store for this row, scored the same way."""
    response = Response(
        organization_id=imp.organization_id,
        survey_id=imp.survey_id,
        source=row.source,
        status=Response.Status.SUBMITTED,
        client_id=response_client_id(imp.pk, row.line),
        respondent_id=row.respondent_id,
        respondent_ref=row.respondent_ref,
        location_id=row.location_id,
        wave_id=row.wave_id,
        submitted_at=row.submitted_at,
        draft={},
    )
    score = score_response(
        structure.rules, structure.sections, row.submission.answers, row.submission.visible
    )
    store_score(response, score)
    return response


def _write(imp: ResponseImport, structure: Structure, text: str, reporter: _Reporter) -> None:
    total = imp.total_rows
    reporter.start(Phase.WRITING, total)
    written = 0
    rows = _clean_rows(imp, structure, text)
    with transaction.atomic():
        while batch := list(islice(rows, BATCH_SIZE)):
            responses = [_response(imp, structure, row) for row in batch]
            Response.objects.bulk_create(responses)
            Answer.objects.bulk_create(
                [
                    answer
                    for response, row in zip(responses, batch, strict=True)
                    for answer in answer_rows(response, structure, row.submission)
                ],
                batch_size=5000,
            )
            written += len(batch)
            reporter.tick(written)
        finished = ResponseImport.objects.filter(
            pk=imp.pk, status=Status.RUNNING, attempt=imp.attempt
        ).update(
            status=Status.SUCCEEDED,
            phase="",
            processed_rows=total,
            imported_count=written,
            errors=[],
            finished_at=timezone.now(),
        )
        if not finished:
            raise LeaseLost  # rolls the responses back: the job's new owner writes them
    reporter.done(written)


def _fail(imp: ResponseImport, errors: list[RowError], total: int | None = None) -> None:
    """Mark the job failed with its problems (at most MAX_LISTED_ERRORS stored) and their
    number in all."""
    listed = errors[:MAX_LISTED_ERRORS]
    ResponseImport.objects.filter(pk=imp.pk, status=Status.RUNNING, attempt=imp.attempt).update(
        status=Status.FAILED,
        phase="",
        imported_count=0,
        errors=[e.to_json() for e in listed],
        error_total=max(total or 0, len(errors)),
        finished_at=timezone.now(),
    )


class _Reporter:
    """Writes progress and the heartbeat, at most every PROGRESS_INTERVAL seconds."""

    def __init__(self, imp: ResponseImport, callback: ProgressCallback | None):
        self.imp = imp
        self.callback = callback
        self.phase = Phase.VALIDATING
        self.total = 0
        self.last = 0.0
        self._side = None

    def start(self, phase: str, total: int) -> None:
        self.phase, self.total, self.last = phase, total, 0.0
        fields = {"phase": phase, "total_rows": total, "processed_rows": 0}
        self.imp.total_rows = total
        if phase == Phase.WRITING:
            self._side_update(fields)
        else:
            self._update(fields)
        if self.callback:
            self.callback(phase, 0, total)

    def tick(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL and done < self.total:
            return
        self.last = now
        if self.phase == Phase.WRITING:
            self._side_update({"processed_rows": done})
        else:
            self._update({"processed_rows": done})
        if self.callback:
            self.callback(self.phase, done, self.total)

    def done(self, count: int) -> None:
        if self.callback:
            self.callback("done", count, self.total)

    def _update(self, fields: dict) -> None:
        alive = ResponseImport.objects.filter(
            pk=self.imp.pk, status=Status.RUNNING, attempt=self.imp.attempt
        ).update(heartbeat_at=timezone.now(), **fields)
        if not alive:
            raise LeaseLost

    def _side_update(self, fields: dict) -> None:
        """Inside the write transaction: a second connection, so the page sees the progress.
        Its result is not checked (the row may be invisible to it in a test's transaction);
        the final, fenced update in the transaction decides."""
        if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
            return
        if self._side is None:
            self._side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self._side.ops.quote_name(ResponseImport._meta.db_table)
        columns = ", ".join(f"{name} = %s" for name in fields)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {columns}, heartbeat_at = %s "  # noqa: S608 (names are ours)
                "WHERE id = %s AND status = %s AND attempt = %s",
                [*fields.values(), timezone.now(), self.imp.pk, Status.RUNNING, self.imp.attempt],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


@transaction.atomic
def requeue_stalled_imports(
    *, stale_after: timedelta = STALE_AFTER, max_attempts: int = MAX_ATTEMPTS
) -> list[int]:
    """Queue again the jobs whose worker died (heartbeat older than `stale_after`) and pending
    jobs whose message seems lost; fail jobs that lost their worker `max_attempts` times.
    Returns the ids queued."""
    cutoff = timezone.now() - stale_after
    queued: list[int] = []
    stalled = ResponseImport.objects.select_for_update(skip_locked=True).filter(
        status__in=[Status.RUNNING, Status.PENDING], heartbeat_at__lt=cutoff
    )
    for imp in stalled:
        if imp.status == Status.RUNNING and imp.attempt >= max_attempts:
            imp.status = Status.FAILED
            imp.phase = ""
            imp.finished_at = timezone.now()
            imp.errors = [
                RowError(
                    None,
                    "",
                    f"the import stopped {imp.attempt} times without finishing (the worker "
                    "crashed); nothing was imported. Try a smaller file.",
                ).to_json()
            ]
            imp.error_total = 1
            imp.save(update_fields=["status", "phase", "finished_at", "errors", "error_total"])
            continue
        imp.status = Status.PENDING
        imp.phase = ""
        imp.heartbeat_at = timezone.now()
        imp.save(update_fields=["status", "phase", "heartbeat_at"])
        queued.append(imp.pk)
    for pk in queued:
        enqueue_on_commit("surveys.run_response_import", pk)
    return queued
