"""Every upload field checks what it was given before reading it as data: a photo offered as a
CSV or JSON file is refused at once with the reason, shown as an error of the field (styled,
announced and tied to it with aria-describedby)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cxaudit.uploads import check_upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"

UPLOAD_PAGES = [
    ("accounts:location_import", {}, "CSV"),
    ("surveys:import_new", {"survey": ""}, "CSV"),
    ("insights:kpi_import", {}, "CSV"),
    ("journeys:journey_import", {}, "JSON"),
    ("surveys:survey_import", {}, "JSON"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "extra", "label"), UPLOAD_PAGES)
def test_a_photo_offered_as_an_import_is_refused_with_the_reason_on_the_field(
    org, admin_client_org, name, extra, label
):
    upload = SimpleUploadedFile("photo.png", PNG, "image/png")
    response = admin_client_org.post(reverse(name, args=[org.slug]), {**extra, "file": upload})
    assert response.status_code == 200
    html = response.content.decode()
    reason = f"This file is a PNG file (image/png), not a {label} file"
    error = re.search(r'<div id="(id_file_error)" class="invalid-feedback">(.*?)</div>', html, re.S)
    assert error and reason in error.group(2), html
    field = re.search(r'<input type="file" name="file"[^>]*>', html).group(0)
    assert "is-invalid" in field and 'aria-invalid="true"' in field
    assert "id_file_error" in re.search(r'aria-describedby="([^"]*)"', field).group(1)


def test_check_upload_names_what_it_was_given():
    with pytest.raises(forms.ValidationError, match="a PDF file"):
        check_upload(SimpleUploadedFile("report.csv", PDF), "csv")
    with pytest.raises(forms.ValidationError, match="not text"):
        check_upload(SimpleUploadedFile("data.csv", b"a,b\n1,\x00\n"), "csv")
    with pytest.raises(forms.ValidationError, match=r"ends in \.xlsx; choose a \.csv file"):
        check_upload(SimpleUploadedFile("data.xlsx", b"a,b\n1,2\n"), "csv")
    upload = SimpleUploadedFile("data.csv", b"\xef\xbb\xbfcode,name\nKGX,Kings\n")
    check_upload(upload, "csv")  # a UTF-8 CSV passes, and is read from the start afterwards
    assert upload.read() == b"\xef\xbb\xbfcode,name\nKGX,Kings\n"
    check_upload(SimpleUploadedFile("journey.json", b'{"format": "x"}'), "json")
    check_upload(SimpleUploadedFile("x.JSON", b"{}"), "json")
