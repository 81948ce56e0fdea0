"""Permission matrix rows of the exports pages (tests/test_permission_matrix.py)."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from cxaudit.accounts.permissions import Cap
from cxaudit.downloads.models import ExportJob
from tests.matrix_row import Row


def ready_job(org, user=None, kind: str = "shops") -> ExportJob:
    """A finished export of `org` requested by `user`, with its file."""
    job = ExportJob.objects.create(
        organization=org,
        requested_by=user if user is not None and user.is_authenticated else None,
        kind=kind,
        format="csv",
        state=ExportJob.State.DONE,
        rows_total=1,
        rows_done=1,
        file_name="shops.csv",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    job.file.save(f"{job.public_id.hex}.csv", ContentFile(b"\xef\xbb\xbfshop\r\n1\r\n"))
    return job


ROWS = [
    Row("downloads:export_list", Cap.EXPORT_DATA),
    Row("downloads:export_start", Cap.EXPORT_DATA, method="post", allowed=(400,)),
    Row("downloads:export_status", Cap.EXPORT_DATA),
    Row(
        "downloads:export_download",
        Cap.EXPORT_DATA,
        kwargs=lambda org, user: {"public_id": ready_job(org, user).public_id},
        per_user=True,
        allowed=(200,),
    ),
]
