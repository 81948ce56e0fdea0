"""A location with an approved shop (a photo, a narrative with markup, one failed item) in a
wave, and a second location with another approved shop; helpers to read PDFs."""

from __future__ import annotations

import io
import uuid

import pytest
from django.conf import settings

from cxaudit.accounts.models import Location
from tests.conftest import skip_or_fail, start_worker
from tests.shoppers import conftest as _shoppers
from tests.shoppers.shops import approved, approved_with_photo

# The shopper programme's fixtures (tests/shoppers/conftest.py), shared here.
ann, bob, job, programme = _shoppers.ann, _shoppers.bob, _shoppers.job, _shoppers.programme
scenario, second_location = _shoppers.scenario, _shoppers.second_location
std, visit_form = _shoppers.std, _shoppers.visit_form
wave, window = _shoppers.wave, _shoppers.window


@pytest.fixture(autouse=True)
def _weasyprint():
    """WeasyPrint needs Pango and HarfBuzz (scripts/pdf-libs.sh installs them)."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # the system libraries are missing
        skip_or_fail(f"WeasyPrint cannot load its system libraries: {exc}")


@pytest.fixture
def full_shop(org, job, ann, reviewer):
    """An approved shop with a photo, a narrative with markup and one failed item (50 %)."""
    return approved_with_photo(
        job, ann, reviewer, 'Waited <b>4 minutes</b>; <img src="http://169.254.169.254/latest">'
    )


@pytest.fixture
def other_shop(scenario, second_location, wave, bob):
    """Manchester: one approved shop scoring 100 %."""
    return approved(scenario, second_location, wave, bob, {"greet": "yes", "smile": "yes"})


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_images(data: bytes) -> list:
    """The distinct images of the PDF (pages may share one image object)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    found = {img.data: img for page in reader.pages for img in page.images}
    return list(found.values())


def locations_of(org) -> list[Location]:
    return list(Location.objects.for_org(org).order_by("code"))


@pytest.fixture
def pdf_queue(redis_url):
    """A broker queue of the test's own (tasks queued meanwhile go there)."""
    from cxaudit.celery import app

    name = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-pdfs-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(name)


def worker(queue, log):
    """A real worker on `queue`, writing the zips where this test process reads them."""
    return start_worker(queue, log, {"MEDIA_ROOT": str(settings.MEDIA_ROOT)})
