"""Permission matrix rows of the PDF report cards: a shop's PDF follows its report card (every
member, then by role and location), a location's PDF and the zips need VIEW_INSIGHTS (a zip
only for members who see all its locations), the email setting MANAGE_ORG."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from cxaudit.accounts.models import Location
from cxaudit.accounts.permissions import Cap
from cxaudit.reportpdfs.models import PdfBatch
from tests.factories import make_wave
from tests.matrix_row import Row
from tests.shoppers.matrix_review import report, report_at


def _wave(org):
    return org.waves.filter(name="Matrix PDF").first() or make_wave(org, "Matrix PDF")


def _location(org) -> Location:
    loc, _ = Location.objects.get_or_create(organization=org, code="MX", name="Matrix")
    return loc


def location_pdf(org) -> dict:
    _wave(org)
    return {"code": _location(org).code}


def location_pdf_at(org, location, user) -> dict:
    return {"code": location.code, "?": f"wave={_wave(org).pk}"}


def _batch(org, location, *, ready: bool = False) -> PdfBatch:
    batch = PdfBatch.objects.create(
        organization=org, wave=_wave(org), location_ids=[location.pk], total=1
    )
    if ready:
        batch.file.save(f"matrix-{batch.pk}.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
        now = timezone.now()
        PdfBatch.objects.filter(pk=batch.pk).update(
            state=PdfBatch.State.READY, done=1, expires_at=now + dt.timedelta(hours=1)
        )
    return batch


def batch(org) -> dict:
    return {"pk": _batch(org, _location(org)).pk}


def batch_at(org, location, user) -> dict:
    return {"pk": _batch(org, location).pk}


def ready(org) -> dict:
    return {"pk": _batch(org, _location(org), ready=True).pk}


def ready_at(org, location, user) -> dict:
    return {"pk": _batch(org, location, ready=True).pk}


ROWS: list[Row] = [
    Row("reportpdfs:shop_pdf", Cap.VIEW_ORG, report, per_user=True, located=report_at),
    Row("reportpdfs:location_pdf", Cap.VIEW_INSIGHTS, location_pdf, located=location_pdf_at),
    Row("reportpdfs:batches", Cap.VIEW_INSIGHTS),
    Row("reportpdfs:batch", Cap.VIEW_INSIGHTS, batch, located=batch_at),
    Row("reportpdfs:batch_status", Cap.VIEW_INSIGHTS, batch, located=batch_at),
    Row("reportpdfs:batch_download", Cap.VIEW_INSIGHTS, ready, located=ready_at),
    Row("reportpdfs:settings", Cap.MANAGE_ORG, method="post"),
]
