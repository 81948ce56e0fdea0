"""Response import pages: upload, template CSV, status JSON, error list, past imports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from surveys.imports import services as imports
from surveys.models import ResponseImport
from tests.conftest import SentTask
from tests.surveys.import_helpers import (  # noqa: F401 (media_root is a fixture)
    GOOD_ROWS,
    HEADER,
    csv_file,
    make_import_context,
    media_root,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def survey(org):
    return make_import_context(org)


def url(name, org, **kw):
    return reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, **kw})


def test_upload_creates_a_pending_import_queued_after_commit(
    org, survey, reviewer, client, django_capture_on_commit_callbacks, sent_tasks
):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            url("import_new", org),
            {"survey": "visit", "file": csv_file([HEADER, *GOOD_ROWS], name="history.csv")},
        )
    imp = ResponseImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("import_detail", org, pk=imp.pk)
    assert imp.status == "pending" and imp.uploaded_by == reviewer
    assert imp.original_name == "history.csv"
    assert len(callbacks) == 1  # the task is sent only once the import row is committed
    assert sent_tasks == []
    callbacks[0]()
    assert sent_tasks == [SentTask("surveys.run_response_import", [imp.pk], {})]
    page = client.get(response["Location"]).content.decode()
    assert "import_progress.js" in page and "data-status-url" in page
    assert "Refresh" in page  # works without JavaScript
    assert "<script>" not in page  # CSP: no inline scripts


def test_upload_page_explains_the_columns_of_the_chosen_survey(org, survey, reviewer, client):
    client.force_login(reviewer)
    page = client.get(url("import_new", org) + "?survey=visit").content.decode()
    for column in ("submitted_at", "respondent", "greet", "extras", "desk_a"):
        assert column in page
    assert url("import_template", org, survey_code="visit") in page
    assert "seconds, mm:ss or hh:mm:ss" in page


def test_template_csv_is_the_header_row_of_the_survey(org, survey, reviewer, client):
    client.force_login(reviewer)
    response = client.get(url("import_template", org, survey_code="visit"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # written by cxaudit.exports
    assert body.decode("utf-8-sig").strip() == HEADER
    assert client.get(url("import_template", org, survey_code="nope")).status_code == 404


def test_upload_errors_are_shown_on_the_form(org, survey, reviewer, client):
    client.force_login(reviewer)
    client.post(url("import_new", org), {"survey": "visit", "file": csv_file([HEADER, *GOOD_ROWS])})
    again = client.post(
        url("import_new", org), {"survey": "visit", "file": csv_file([HEADER, *GOOD_ROWS])}
    )
    assert again.status_code == 200 and "already uploaded" in again.content.decode()
    assert ResponseImport.objects.count() == 1


def test_status_json_reports_progress(org, survey, reviewer, client):
    client.force_login(reviewer)
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, *GOOD_ROWS]),
        enqueue=False,
    )
    ResponseImport.objects.filter(pk=imp.pk).update(
        status="running", phase="writing", total_rows=4, processed_rows=2
    )
    data = client.get(url("import_status", org, pk=imp.pk)).json()
    assert data["status"] == "running" and data["percent"] == 75 and not data["finished"]
    assert data["phase_label"] == "Saving responses"


def test_rejected_import_lists_every_problem_escaped(org, survey, reviewer, client):
    client.force_login(reviewer)
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, "<script>alert(1)</script>,KGX,2026 Q3,2026-07-01,,yes,,,,,,,,,"]),
        enqueue=False,
    )
    imports.run_import(import_id=imp.pk)
    page = client.get(url("import_detail", org, pk=imp.pk)).content.decode()
    assert "Nothing was imported because 1 problem was found" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "<td>2</td><td><code>source</code></td>" in page
    data = client.get(url("import_status", org, pk=imp.pk)).json()
    assert data["finished"] and data["error_count"] == 1


def test_another_organisations_import_is_not_found(org, survey, outsider, client, other_org):
    imp = ResponseImport.objects.create(organization=org, survey=survey, file="imports/x.csv")
    client.force_login(outsider)
    other = reverse("surveys:import_detail", kwargs={"org_slug": other_org.slug, "pk": imp.pk})
    assert client.get(other).status_code == 404


def test_import_list_runs_a_constant_number_of_queries(
    org, survey, reviewer, client, django_assert_max_num_queries
):
    client.force_login(reviewer)

    def add(n):
        for _ in range(n):
            ResponseImport.objects.create(
                organization=org, survey=survey, uploaded_by=reviewer, file="imports/x.csv"
            )

    add(2)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("import_list", org)).status_code == 200
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url("import_list", org)).content.decode()
    assert page.count(url("import_detail", org, pk=ResponseImport.objects.first().pk)) == 1
