"""The PDFs themselves: they parse, name the shop / location, carry the score figures and the
evidence photo, and load nothing but the app's own files."""

from __future__ import annotations

import pytest

from cxaudit.journeys.models import Wave
from cxaudit.reportpdfs.rendering import location_pdf

from .conftest import pdf_images, pdf_text

pytestmark = pytest.mark.django_db


def test_location_pdf_names_the_location_and_its_scores(org, location, wave, full_shop, other_shop):
    data = location_pdf(
        organization=org, location=location, wave=wave, waves=list(Wave.objects.for_org(org))
    )
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert location.name in text and wave.name in text
    open("/tmp/loc.pdf", "wb").write(data)  # noqa
    print(text)

