"""PDF report cards in bulk and by email.

* `request_batch` writes a PdfBatch (every location of a wave the requester sees) and queues
  `reportpdfs.build_batch` after commit; `build_batch` claims it (conditional update), renders
  one PDF per location into a zip on a temporary file (memory bounded by one PDF), reports
  progress with a heartbeat, stores the zip and marks it ready until `expires_at`. Every write
  after the claim is fenced by the attempt number (models.PdfBatch).
* `sweep` (beat): deletes expired zips, hands a batch whose worker stopped beating back to the
  queue (failing it after MAX_ATTEMPTS), re-sends queued batches whose task message was lost.
* `queue_wave_report_emails`: when a wave closes, one outbox message per (wave, location,
  manager) with a link to the location's PDF, which needs a login and the same permission as
  the page (docs/pdf-reports.md says why a link rather than an attachment).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cxaudit.accounts.models import Location, Membership, Organization
from cxaudit.accounts.roles import Role
from cxaudit.enqueue import enqueue_on_commit, send_now
from cxaudit.errors import DomainError
from cxaudit.journeys.models import Wave
from cxaudit.messaging.services import NewMessage, queue_messages
from shoppers.models import Assignment

from .emails import WAVE_REPORT
from .models import PdfBatch, PdfSettings
from .rendering import location_filename, location_pdf

log = logging.getLogger(__name__)

State = PdfBatch.State
STALE_AFTER: Final = timedelta(minutes=2)  # a running batch silent this long lost its worker
MAX_ATTEMPTS: Final = 3


def keep_for() -> timedelta:
    return timedelta(hours=settings.CXAUDIT_PDF_KEEP_HOURS)


@transaction.atomic
def request_batch(
    *, organization: Organization, wave: Wave, requested_by, locations: list[Location]
) -> PdfBatch:
    """A zip of the report cards of `locations` for `wave`, built in Celery. The same request
    while such a batch is waiting, building or ready returns that batch (a double click)."""
    if wave.organization_id != organization.pk:
        raise DomainError("That wave is not one of this organisation's.", field="wave")
    ids = sorted({loc.pk for loc in locations if loc.organization_id == organization.pk})
    if not ids:
        raise DomainError("There are no locations to put in the zip.", field="wave")
    if len(ids) > settings.CXAUDIT_PDF_BATCH_MAX:
        raise DomainError(
            f"A zip holds at most {settings.CXAUDIT_PDF_BATCH_MAX} locations; "
            f"this wave has {len(ids)}.",
            field="wave",
        )
    same = (
        PdfBatch.objects.for_org(organization)
        .select_for_update()
        .filter(wave=wave, location_ids=ids, state__in=[State.QUEUED, State.RUNNING, State.READY])
        .first()
    )
    if same is not None:
        return same
    batch = PdfBatch.objects.create(
        organization=organization,
        wave=wave,
        requested_by=requested_by,
        location_ids=ids,
        total=len(ids),
    )
    enqueue_on_commit("reportpdfs.build_batch", batch.pk)
    return batch


class LeaseLost(Exception):
    """The sweeper gave this batch to another worker."""


def build_batch(*, batch_id: int) -> PdfBatch | None:
    """Claim the batch and build its zip (None when another worker has it or it is done).
    Not one transaction: progress must be visible to the page while it runs."""
    batch = PdfBatch.objects.select_related("organization", "wave").filter(pk=batch_id).first()
    if batch is None or not batch.claim():
        return None
    org = batch.organization
    waves = list(Wave.objects.for_org(org))
    locations = list(Location.objects.for_org(org).filter(pk__in=batch.location_ids))
    locations.sort(key=lambda loc: loc.code)
    name = f"reportpdfs/{org.pk}/{uuid.uuid4().hex}.zip"
    try:
        with tempfile.TemporaryFile() as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
                for i, location in enumerate(locations, start=1):
                    pdf = location_pdf(
                        organization=org, location=location, wave=batch.wave, waves=waves
                    )
                    # PDFs are compressed already; the zip only stores them.
                    zf.writestr(location_filename(location, batch.wave), pdf)
                    if not batch.record_progress(i):
                        raise LeaseLost
            size = tmp.tell()
            tmp.seek(0)
            stored = default_storage.save(name, File(tmp, name=name))
    except LeaseLost:
        log.info("PDF batch %s: lost its claim; stopping", batch.pk)
        return None
    except Exception as exc:
        log.exception("PDF batch %s failed", batch.pk)
        batch.mark_failed(f"Building the PDFs failed: {type(exc).__name__}.")
        return batch
    batch.total = len(locations)
    if not batch.mark_ready(name=stored, size=size, keep=keep_for()):
        default_storage.delete(stored)  # the sweeper gave it away meanwhile
        return None
    return batch


@dataclass(frozen=True)
class SweepReport:
    deleted: int
    requeued: list[int]
    failed: int


def sweep(*, stale_after: timedelta = STALE_AFTER, max_attempts: int = MAX_ATTEMPTS) -> SweepReport:
    """Periodic: delete expired zips, re-queue batches a killed worker or a lost message left
    behind, fail those that lost their worker `max_attempts` times."""
    now = timezone.now()
    deleted = 0
    for batch in PdfBatch.objects.expired(now):
        # Conditional: only the sweeper that flips it deletes the file.
        if PdfBatch.objects.filter(pk=batch.pk, state=State.READY).update(
            state=State.EXPIRED, file=""
        ):
            if batch.file.name:
                default_storage.delete(batch.file.name)
            deleted += 1
    cutoff = now - stale_after
    stalled = PdfBatch.objects.filter(state=State.RUNNING, heartbeat_at__lt=cutoff)
    failed = stalled.filter(attempt__gte=max_attempts).update(
        state=State.FAILED,
        finished_at=now,
        error=f"The worker stopped {max_attempts} times before the zip was finished.",
    )
    requeued = list(
        PdfBatch.objects.filter(
            Q(state=State.RUNNING) | Q(state=State.QUEUED), heartbeat_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in requeued:
        PdfBatch.objects.filter(pk=pk, state__in=[State.RUNNING, State.QUEUED]).update(
            state=State.QUEUED, heartbeat_at=now
        )
        send_now("reportpdfs.build_batch", pk)
    return SweepReport(deleted=deleted, requeued=requeued, failed=failed)


def managers_of(location: Location, memberships: list[Membership]) -> list[Membership]:
    """Client managers limited to `location` (among others): the manager of that location.
    Managers who see every location are not emailed one message per location."""
    return [m for m in memberships if any(x.pk == location.pk for x in m.locations.all())]


@transaction.atomic
def queue_wave_report_emails(*, wave_id: int) -> int:
    """When `wave` is closed and its organisation asked for it: one email per (wave, location,
    manager) linking the location's PDF report card, for each location with approved shops.
    Idempotent: the outbox's (purpose, key) makes a second close send nothing more."""
    wave = Wave.objects.select_related("organization").filter(pk=wave_id).first()
    if wave is None or wave.status != Wave.Status.CLOSED:
        return 0
    org = wave.organization
    if not PdfSettings.of(org).email_managers_on_close:
        return 0
    with_shops = set(
        Assignment.objects.for_org(org)
        .filter(wave=wave, status=Assignment.Status.APPROVED)
        .values_list("location_id", flat=True)
    )
    memberships = list(
        Membership.objects.active()
        .filter(organization=org, role=Role.CLIENT_MANAGER)
        .select_related("user")
        .prefetch_related("locations")
    )
    wanted = []
    for location in Location.objects.for_org(org).filter(pk__in=with_shops).order_by("code"):
        for m in managers_of(location, memberships):
            wanted.append(
                NewMessage(
                    purpose=WAVE_REPORT,
                    key=f"wave:{wave.pk}:location:{location.pk}:user:{m.user_id}",
                    to_email=m.user.email,
                    to_name=m.user.get_full_name(),
                    organization_id=org.pk,
                    context={
                        "wave_id": wave.pk,
                        "location_id": location.pk,
                        "user_id": m.user_id,
                    },
                )
            )
    return queue_messages(wanted)


@transaction.atomic
def set_pdf_settings(*, organization: Organization, email_managers_on_close: bool) -> PdfSettings:
    """Store the organisation's PDF report card choices."""
    found, _ = PdfSettings.objects.update_or_create(
        organization=organization,
        defaults={"email_managers_on_close": email_managers_on_close},
    )
    return found
