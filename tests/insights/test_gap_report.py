"""The gap report: JSON shape, CSV, the command, the download view and constant query counts."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxaudit.accounts.models import Membership
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.insights.gaps.report import CSV_COLUMNS, build_gap_report
from surveys.models import Survey
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey

PERSPECTIVE_KEYS = {"n", "mean", "mean_100", "ci", "agree", "agree_ci"}
GAP_KEYS = {"diff", "diff_100", "ci", "p", "significant", "small_sample"}
GAP_NAMES = {
    "self_vs_perceived",
    "perceived_vs_expected",
    "knowledge",
    "delivery",
    "communication",
    "self_vs_perceived_share",
    "observed_vs_perceived_share",
}


def _check_group(entry):
    assert set(entry["perspectives"]) == {"self", "observed", "perceived", "expected"}
    for p in entry["perspectives"].values():
        assert set(p) == PERSPECTIVE_KEYS
    assert set(entry["gaps"]) == GAP_NAMES
    for g in entry["gaps"].values():
        assert set(g) == GAP_KEYS


@pytest.mark.django_db
def test_report_json_shape(data):
    report = build_gap_report(organization=data["org"], wave=data["w1"])
    assert report["organization"] == "acme-rail" and report["wave"] == "2026 Q3"
    assert set(report) >= {"organization", "wave", "standards", "dimensions", "metrics"}
    std = report["standards"][0]
    assert {k: std[k] for k in ("code", "name", "dimension", "touchpoint", "stage")} == {
        "code": "ANS",
        "name": "Standard ANS",
        "dimension": "responsiveness",
        "touchpoint": "Call",
        "stage": "Support",
    }
    for entry in report["standards"] + report["dimensions"] + report["touchpoints"]:
        _check_group(entry)
    assert report["standards"][0]["gaps"]["perceived_vs_expected"]["diff_100"] == -25.0
    assert report["metrics"]["nps"]["overall"]["score"] == 20.0
    json.dumps(report)  # JSON-ready: no tuples, NaN or Decimals


@pytest.mark.django_db
def test_command_prints_json(data, capsys):
    call_command("gap_report", "--org", "acme-rail", "--location", "MAN", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["location"] == "MAN"
    assert report["standards"][0]["perspectives"]["observed"]["n"] == 1


@pytest.mark.django_db
def test_command_prints_csv(data, capsys):
    call_command("gap_report", "--org", "acme-rail", "--wave", "2026 Q3", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == CSV_COLUMNS
    # 2 standards and 1 dimension x (4 perspectives + 5 mean gaps + 2 share gaps)
    assert len(rows) == 33
    gap5 = next(
        r for r in rows if r["standard"] == "ANS" and r["measure"] == "perceived_vs_expected"
    )
    assert (gap5["kind"], gap5["method"], gap5["n_a"]) == ("gap", "paired_t", "3")
    assert float(gap5["diff_100"]) == -25.0 and gap5["significant"] == "false"
    observed = next(r for r in rows if r["standard"] == "ANS" and r["measure"] == "observed")
    assert (observed["n"], observed["scale"], observed["agree"]) == ("3", "yes_no", "1.0")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope"], "No organisation"),
        (["--org", "acme-rail", "--wave", "1999"], "No wave"),
        (["--org", "acme-rail", "--location", "ZZZ"], "No location"),
    ],
)
def test_command_rejects_unknown_names(org, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("gap_report", *args)


@pytest.mark.django_db
def test_download_view_json_and_csv(data, admin_client_org):
    url = reverse("insights:gap_report_download", kwargs={"org_slug": "acme-rail"})
    response = admin_client_org.get(url, {"wave": "2026 Q3", "format": "json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert 'filename="gap-report-acme-rail-2026-q3.json"' in response["Content-Disposition"]
    assert json.loads(response.content)["wave"] == "2026 Q3"
    response = admin_client_org.get(url, {"format": "csv", "location": "KGX"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith(",".join(CSV_COLUMNS))
    assert admin_client_org.get(url, {"wave": "nope"}).status_code == 404
    assert admin_client_org.get(url, {"format": "xml"}).status_code == 404


@pytest.mark.django_db
def test_download_respects_a_managers_locations(data, manager, client):
    Membership.objects.get(user=manager).locations.add(data["man"])
    client.force_login(manager)
    url = reverse("insights:gap_report_download", kwargs={"org_slug": "acme-rail"})
    report = json.loads(client.get(url).content)
    assert [r["location"] for r in report["locations"]] == ["MAN"]
    assert report["standards"][0]["perspectives"]["observed"]["n"] == 1
    assert client.get(url, {"location": "KGX"}).status_code == 404


def _respond(survey, count, location, offset=0):
    for i in range(count):
        record_response(
            survey=survey,
            source="customer",
            location=location,
            raw_answers={"p": 1 + (i + offset) % 5, "e": 5 - (i + offset) % 3, "n": i % 11},
        )


@pytest.mark.django_db
def test_query_count_is_constant_as_data_grows(org, location):
    std = make_standard(org, "Q1")
    survey = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "p", "type": "csat", "standard": std, "aspect": "perception"},
                    {"code": "e", "type": "csat", "standard": std, "aspect": "expectation"},
                    {"code": "n", "type": "nps"},
                ]
            }
        ],
        kind=Survey.Kind.CUSTOMER,
    )
    counts = []
    for more in (10, 90):
        _respond(survey, more, location, offset=len(counts))
        with CaptureQueriesContext(connection) as ctx:
            build_gap_report(organization=org)
        counts.append(len(ctx.captured_queries))
    # Six for the gap engine, one for the KPIs (none here; three when there are some).
    assert counts[0] == counts[1] == 7
    analysis = analyse_gaps(organization=org)
    assert analysis.rows("standard")[0].perspectives["perceived"].n == 100


@pytest.mark.django_db
def test_report_query_count_is_asserted(data, django_assert_num_queries):
    with django_assert_num_queries(7):
        build_gap_report(organization=data["org"])


def _doc_block(after: str, fence: str) -> str:
    """The first fenced block of docs/formats.md after the line containing `after`."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text()
    rest = text[text.index(after) :]
    start = rest.index(f"```{fence}\n") + len(fence) + 4
    return rest[start : rest.index("```", start)]


@pytest.mark.django_db
def test_the_documented_json_example_is_what_the_report_says(data):
    documented = json.loads(_doc_block("A complete example (the dataset of", "json"))
    report = json.loads(json.dumps(build_gap_report(organization=data["org"], wave=data["w1"])))
    assert documented == report


@pytest.mark.django_db
def test_the_documented_csv_example_is_what_the_report_says(data):
    out = io.StringIO()
    call_command(
        "gap_report", "--org", "acme-rail", "--wave", "2026 Q3", "--format", "csv", stdout=out
    )
    documented = _doc_block("Example (same dataset):", "csv")
    assert out.getvalue() == documented
