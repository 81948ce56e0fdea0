"""Class 5 of the hostile-input issue: every list cxaudit stores or renders from one request's
input is bounded, and the page says how many there were in all.

Before the fix: a responses CSV whose header held 100,000 unknown columns stored 100,000 errors
(and rendered them all); a journey or survey JSON with thousands of unknown keys listed them
all; the location, KPI and definition pages counted only the listed problems; a form post
forging 2,000 fields answered with 2,000 error lines; a draft took any number of uploads."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from PIL import Image

from cxaudit.errors import MAX_LISTED, ValidationFailed
from surveys.imports import services as imports
from surveys.imports.rows import MAX_LISTED_ERRORS
from surveys.models import Evidence, ResponseImport
from surveys.responses import services
from tests.factories import make_survey
from tests.surveys.import_helpers import GOOD_ROWS, HEADER, make_import_context

pytestmark = pytest.mark.django_db

FLOOD = 100_000
PAGE_LIMIT = 1_000_000  # bytes: a refusal page stays small whatever the file


def test_a_refusal_lists_a_bounded_number_and_counts_them_all():
    exc = ValidationFailed("bad", [(f"line {i}", "x") for i in range(FLOOD)])
    assert len(exc.errors) == MAX_LISTED and exc.total == FLOOD
    assert exc.unlisted == FLOOD - MAX_LISTED
    assert exc.lines()[-1] == f"... and {FLOOD - MAX_LISTED} more problem(s) ({FLOOD} in all)."
    assert ValidationFailed("bad", [("a", "b")], total=7).unlisted == 6


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- responses CSV ---------------------------------------------------------------------------


def _run_import(org, data: bytes) -> ResponseImport:
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=ContentFile(data, name="r.csv"),
        enqueue=False,
    )
    return imports.run_import(import_id=imp.pk)


def test_a_header_of_100000_unknown_columns_stores_a_bounded_list(org, reviewer):
    make_import_context(org)
    header = "source,location,wave," + ",".join(f"x{i}" for i in range(FLOOD))
    imp = _run_import(org, (header + "\n" + GOOD_ROWS[0] + "\n").encode())
    assert imp.status == "failed"
    assert len(imp.errors) == MAX_LISTED_ERRORS
    assert imp.error_total == FLOOD + 1  # every unknown column, and submitted_at missing
    assert imp.errors[0] == {
        "line": 1,
        "column": "submitted_at",
        "reason": "required column missing",
    }
    page = _client(reviewer).get(reverse("surveys:import_detail", args=[org.slug, imp.pk]))
    text = page.content.decode()
    assert f"because {FLOOD + 1} problems were found" in text
    assert f"only the first {MAX_LISTED_ERRORS} are listed" in text
    assert len(page.content) < PAGE_LIMIT
    status = _client(reviewer).get(reverse("surveys:import_status", args=[org.slug, imp.pk]))
    assert status.json()["error_count"] == FLOOD + 1


def test_many_bad_rows_store_a_bounded_list_and_count_every_problem(org):
    make_import_context(org)
    bad = GOOD_ROWS[0].replace("shopper,", "robot,").replace(",9,", ",99,")
    imp = _run_import(org, ("\n".join([HEADER, *[bad] * 1500]) + "\n").encode())
    assert len(imp.errors) == MAX_LISTED_ERRORS and imp.error_total == 3000
    assert all(e["line"] is not None for e in imp.errors)  # no summary row posing as a problem


def test_the_import_command_says_how_many_problems_in_all(org, tmp_path):
    make_import_context(org)
    path = tmp_path / "flood.csv"
    header = HEADER + "," + ",".join(f"x{i}" for i in range(5000))
    path.write_text(header + "\n" + GOOD_ROWS[0] + "\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"5000 problem\(s\); the first 2000 are listed"):
        call_command(
            "import_responses", str(path), "--org", org.slug, "--survey", "visit", stderr=err
        )
    assert err.getvalue().count("not a question code") == MAX_LISTED_ERRORS


# --- locations and KPI CSV ---------------------------------------------------------------------


def test_a_location_header_flood_renders_a_bounded_page_with_the_total(org, admin_client_org):
    header = "code,name," + ",".join(f"x{i}" for i in range(FLOOD))
    upload = SimpleUploadedFile("l.csv", (header + "\nL1,One\n").encode(), "text/csv")
    page = admin_client_org.post(
        reverse("accounts:location_import", args=[org.slug]), {"file": upload}
    )
    text = page.content.decode()
    assert f"Fix these {FLOOD} problems (the first {MAX_LISTED} are listed)" in text
    assert text.count("unknown column") == MAX_LISTED
    assert len(page.content) < PAGE_LIMIT


def test_a_kpi_header_flood_renders_a_bounded_page_with_the_total(org, admin_client_org):
    header = "kpi,location,wave,value," + ",".join(f"x{i}" for i in range(FLOOD))
    upload = SimpleUploadedFile("k.csv", (header + "\n").encode(), "text/csv")
    page = admin_client_org.post(reverse("insights:kpi_import", args=[org.slug]), {"file": upload})
    text = page.content.decode()
    assert f"Fix these {FLOOD} problems (the first {MAX_LISTED} are listed)" in text
    assert len(page.content) < PAGE_LIMIT


# --- journey and survey JSON ---------------------------------------------------------------------

KEYS = 20_000


def test_a_journey_with_thousands_of_unknown_keys_renders_a_bounded_page(org, admin_client_org):
    from tests.journeys.test_definition import doc

    document = doc()
    document["journey"].update({f"junk{i}": 1 for i in range(KEYS)})
    upload = SimpleUploadedFile("j.json", json.dumps(document).encode(), "application/json")
    page = admin_client_org.post(
        reverse("journeys:journey_import", args=[org.slug]), {"file": upload}
    )
    text = page.content.decode()
    assert f"Fix these {KEYS} problems (the first {MAX_LISTED} are listed)" in text
    assert text.count("unknown key") == MAX_LISTED
    assert len(page.content) < PAGE_LIMIT


def test_a_survey_with_thousands_of_unknown_fields_renders_a_bounded_page(org, admin_client_org):
    from tests.surveys.definition_example import example, example_standards

    example_standards(org)
    document = example()
    document.update({f"junk{i}": 1 for i in range(KEYS)})
    upload = SimpleUploadedFile("s.json", json.dumps(document).encode(), "application/json")
    page = admin_client_org.post(
        reverse("surveys:survey_import", args=[org.slug]), {"file": upload}
    )
    text = page.content.decode()
    assert f"Fix these {KEYS} problems (the first {MAX_LISTED} are listed)" in text
    assert len(page.content) < PAGE_LIMIT


def test_the_journey_command_says_how_many_more(org, tmp_path):
    from tests.journeys.test_definition import doc

    document = doc()
    document["journey"].update({f"junk{i}": 1 for i in range(KEYS)})
    path = tmp_path / "j.json"
    path.write_text(json.dumps(document))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_journey", str(path), "--org", org.slug, stderr=err)
    assert f"... and {KEYS - MAX_LISTED} more problem(s) ({KEYS} in all)." in err.getvalue()


# --- the form engine ---------------------------------------------------------------------------


@pytest.fixture
def draft(org, shopper):
    survey = make_survey(
        org,
        [{"questions": [{"code": "ok", "type": "yes_no"}, {"code": "photo", "type": "file"}]}],
        code="bounds",
    )
    return services.start_response(survey=survey, source="shopper", respondent=shopper)


def test_a_post_forging_many_fields_answers_with_one_line(org, shopper, draft):
    data = {f"q-forged{i}": "x" for i in range(1900)} | {"q-ok": "yes"}
    url = reverse("surveys:submit", args=[org.slug, draft.client_id])
    page = _client(shopper).post(url, data)
    text = page.content.decode()
    assert page.status_code == 200
    assert "1900 field(s) not a question of this survey" in text and "and 1895 more" in text
    assert text.count("forged") < 20


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(out, "PNG")
    return out.getvalue()


def test_a_draft_takes_a_bounded_number_of_uploads_per_question(org, shopper, draft):
    url = reverse("surveys:upload", args=[org.slug, draft.client_id])
    client = _client(shopper)
    limit = services.EVIDENCE_PER_QUESTION_MAX
    for i in range(limit):
        upload = SimpleUploadedFile(f"p{i}.png", _png())
        assert client.post(url, {"question": "photo", "file": upload}).status_code == 200
    answer = client.post(url, {"question": "photo", "file": SimpleUploadedFile("x.png", _png())})
    assert (
        answer.status_code == 400
        and f"already has {limit} uploaded files" in answer.json()["error"]
    )
    assert Evidence.objects.filter(response=draft).count() == limit
