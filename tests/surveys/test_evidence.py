"""Evidence uploads: allow-list by content, size limit, re-encoding, location, safe serving."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from surveys.models import Evidence
from surveys.responses import services
from tests.factories import make_survey

GPS = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 30.0)}


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x8825] = GPS
    exif[0x010F] = "SecretCam"  # Make: must not survive
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def survey(org):
    return make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "ok", "type": "yes_no"},
                    {"code": "photo", "type": "file", "points": 0},
                ]
            }
        ],
        code="ev",
    )


@pytest.fixture
def draft(survey, shopper):
    return services.start_response(survey=survey, source="shopper", respondent=shopper)


def _upload(org, user, draft, content: bytes, name: str):
    c = Client()
    c.force_login(user)
    url = reverse("surveys:upload", kwargs={"org_slug": org.slug, "client_id": draft.client_id})
    return c.post(url, {"question": "photo", "file": SimpleUploadedFile(name, content)})


def test_jpeg_is_reencoded_and_exif_stripped(org, shopper, draft):
    r = _upload(org, shopper, draft, _jpeg_with_gps(), "IMG_1.jpg")
    assert r.status_code == 200, r.content
    evidence = Evidence.objects.get(key=r.json()["key"])
    assert evidence.content_type == "image/jpeg" and (evidence.width, evidence.height) == (40, 30)
    assert evidence.gps_lat is None
    stored = Image.open(evidence.file.open("rb"))
    assert not stored.getexif()
    assert evidence.file.name.startswith(f"evidence/{org.pk}/{draft.client_id}/")
    assert "IMG_1" not in evidence.file.name and evidence.original_name == "IMG_1.jpg"


def test_gps_kept_only_when_the_survey_asks(org, shopper, draft, survey):
    survey.keep_photo_location = True
    survey.save()
    r = _upload(org, shopper, draft, _jpeg_with_gps(), "a.jpg")
    evidence = Evidence.objects.get(key=r.json()["key"])
    assert evidence.gps_lat == pytest.approx(51.5)
    assert evidence.gps_lon == pytest.approx(-(7 / 60 + 30 / 3600))
    exif = Image.open(evidence.file.open("rb")).getexif()
    assert 0x010F not in exif and exif.get_ifd(0x8825)[1] == "N"


def test_html_named_png_is_rejected(org, shopper, draft):
    r = _upload(org, shopper, draft, b"<html><script>alert(1)</script></html>", "cat.png")
    assert r.status_code == 400 and "not accepted" in r.json()["error"]
    assert not Evidence.objects.exists()


def test_png_with_appended_html_keeps_only_pixels(org, shopper, draft):
    payload = _png() + b"<html><script>alert(document.cookie)</script></html>"
    r = _upload(org, shopper, draft, payload, "x.png")
    assert r.status_code == 200
    data = Evidence.objects.get(key=r.json()["key"]).file.open("rb").read()
    assert b"<script>" not in data and b"<html>" not in data


def test_25_mb_upload_gets_a_clear_error(org, shopper, draft):
    r = _upload(org, shopper, draft, b"\xff\xd8\xff" + b"0" * (25 * 1024 * 1024), "big.jpg")
    assert r.status_code == 400 and "too large" in r.json()["error"]


def test_size_limit_is_checked_by_the_service_too(org, draft, settings):
    settings.CXAUDIT_EVIDENCE_MAX_BYTES = 100
    from surveys.responses.evidence import EvidenceRejected

    with pytest.raises(EvidenceRejected, match="too large"):
        services.attach_evidence(
            response=draft,
            question=draft.survey.questions.get(code="photo"),
            upload=SimpleUploadedFile("a.png", _png() + b"0" * 200),
        )


def test_pdf_is_served_as_attachment_with_safe_headers(org, shopper, draft, reviewer, manager):
    r = _upload(org, shopper, draft, b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n", "r.pdf")
    key = r.json()["key"]
    url = reverse("surveys:evidence_file", kwargs={"org_slug": org.slug, "key": key})
    c = Client()
    c.force_login(shopper)
    served = c.get(url)
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    # Staff may see it; another shopper's evidence is not found.
    c.force_login(reviewer)
    assert c.get(url).status_code == 200


def test_image_is_served_inline_never_as_html(org, shopper, draft):
    key = _upload(org, shopper, draft, _png(), "p.png").json()["key"]
    c = Client()
    c.force_login(shopper)
    served = c.get(reverse("surveys:evidence_file", kwargs={"org_slug": org.slug, "key": key}))
    assert served["Content-Type"] == "image/png"
    assert "html" not in served["Content-Type"]
    assert served["X-Content-Type-Options"] == "nosniff"


def test_file_answer_must_be_evidence_of_this_response(org, shopper, draft, survey):
    other = services.start_response(survey=survey, source="shopper", respondent=shopper)
    foreign_key = _upload(org, shopper, other, _png(), "p.png").json()["key"]
    with pytest.raises(Exception, match="need attention"):
        services.submit_form(response=draft, raw_answers={"photo": foreign_key})
    own_key = _upload(org, shopper, draft, _png(), "p.png").json()["key"]
    submitted = services.submit_form(response=draft, raw_answers={"photo": own_key})
    assert submitted.answers.get(question__code="photo").value == own_key


def test_upload_without_javascript_through_the_form(org, shopper, draft):
    c = Client()
    c.force_login(shopper)
    url = reverse("surveys:submit", kwargs={"org_slug": org.slug, "client_id": draft.client_id})
    r = c.post(url, {"q-ok": "yes", "f-photo": SimpleUploadedFile("p.png", _png())})
    assert r.status_code == 302
    evidence = Evidence.objects.get(response=draft)
    assert draft.answers.get(question__code="photo").value == str(evidence.key)


def _jpeg_taken(when: str, offset: str | None = None, colour: str = "green") -> bytes:
    image = Image.new("RGB", (20, 20), colour)
    exif = Image.Exif()
    sub = {0x9003: when}
    if offset:
        sub[0x9011] = offset
    exif[0x8769] = sub
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_taken_time_and_hash_of_the_original_are_kept_not_the_exif(org, shopper, draft):
    import datetime as dt
    import hashlib

    content = _jpeg_taken("2026:10:05 14:30:00", "+01:00")
    r = _upload(org, shopper, draft, content, "receipt.jpg")
    evidence = Evidence.objects.get(key=r.json()["key"])
    assert evidence.taken_at == dt.datetime(2026, 10, 5, 13, 30, tzinfo=dt.UTC)
    assert evidence.content_hash == hashlib.sha256(content).hexdigest()
    assert not Image.open(evidence.file.open("rb")).getexif()  # the time is not in the file


def test_a_photo_without_or_with_a_malformed_time_has_none(org, shopper, draft):
    for content in (_png(), _jpeg_taken("not a date"), _jpeg_taken("2026:13:45 99:00:00")):
        r = _upload(org, shopper, draft, content, "x.jpg")
        evidence = Evidence.objects.get(key=r.json()["key"])
        assert evidence.taken_at is None and len(evidence.content_hash) == 64


def test_a_shops_evidence_reaches_managers_only_once_it_counts(
    org, shopper, draft, reviewer, manager
):
    from surveys.models import Response

    key = _upload(org, shopper, draft, _png(), "p.png").json()["key"]
    url = reverse("surveys:evidence_file", kwargs={"org_slug": org.slug, "key": key})
    Response.objects.filter(pk=draft.pk).update(counted=False)
    c = Client()
    c.force_login(manager)
    assert c.get(url).status_code == 404  # awaiting review: the reviewers' business
    c.force_login(reviewer)
    assert c.get(url).status_code == 200
    Response.objects.filter(pk=draft.pk).update(counted=True)  # approved
    c.force_login(manager)
    assert c.get(url).status_code == 200
