"""Class 3 of the hostile-input issue: every CSV and XLSX cxaudit writes goes through one
formula-safe writer (cxaudit/exports.py), headers included, without mangling real numbers.

Before the fix: the gap report CSV wrote names as they were (fixed by the earlier commit, kept
here), the responses CSV template was written with a bare csv.writer, and an action title
holding a control character made the XLSX export answer with a server error."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cxaudit.exports import csv_lines, safe_cell, safe_text, write_csv, xlsx_response

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+cmd",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\n=1",
        "＝1+1",
        "＋1",
        "－1",
        "＠x",
        '=HYPERLINK("http://evil.test","click")',
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(value):
    assert safe_text(value) == "'" + value


@pytest.mark.parametrize("value", ["-12.5", "-3", "+7", "-1e5", "1.5", "plain", "a=b", ""])
def test_numbers_and_ordinary_text_are_left_as_they_are(value):
    assert safe_text(value) == value


def test_numbers_stay_numbers():
    assert safe_cell(-12.5) == -12.5
    assert safe_cell(Decimal("-3")) == Decimal("-3")
    assert safe_cell(-7) == -7
    assert safe_cell(None) == "" and safe_cell(True) == "true"


def test_headers_are_neutralised_in_csv():
    lines = list(csv_lines(["=evil", "name"], [["-2+3", -4]]))
    assert lines[0] == "\ufeff"
    assert lines[1] == "'=evil,name\n" and lines[2] == "'-2+3,-4\n"
    out = io.StringIO()
    write_csv(out, ["@head"], [["=x"]])
    assert out.getvalue() == "'@head\n'=x\n"


def _xlsx_rows(response) -> list[list]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[c.value for c in row] for row in book.active.iter_rows()]


def test_xlsx_neutralises_headers_and_never_fails_on_stored_text(settings):
    moment = timezone.make_aware(dt.datetime(2026, 7, 3, 14, 5))
    response = xlsx_response(
        "x.xlsx",
        ["=head", "n"],
        [["bell\x07and\x1bescape", -2.5], [moment, float("nan")]],
        sheet="a/b:c*[d]?",
    )
    rows = _xlsx_rows(response)
    assert rows[0] == ["'=head", "n"]
    assert rows[1] == ["bell\ufffdand\ufffdescape", -2.5]
    assert rows[2][0] == dt.datetime(2026, 7, 3, 14, 5) and rows[2][1] is None


@pytest.mark.django_db
def test_the_action_exports_survive_a_title_stored_with_a_control_character(
    org, location, manager, sent_tasks
):
    from cxaudit.insights.actions.models import ActionItem
    from tests.insights.matrix_actions import _item

    _item(org)
    ActionItem.objects.update(title="=1+1\x01", description="-2+3")
    client = Client()
    client.force_login(manager)
    xlsx = client.get(reverse("insights:action_export_xlsx", args=[org.slug]))
    assert xlsx.status_code == 200
    header, row = _xlsx_rows(xlsx)[:2]
    cells = dict(zip(header, row, strict=True))
    assert cells["title"] == "'=1+1\ufffd" and cells["description"] == "'-2+3"
    body = b"".join(
        client.get(reverse("insights:action_export_csv", args=[org.slug])).streaming_content
    )
    cells = next(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert cells["title"] == "'=1+1\x01" and cells["description"] == "'-2+3"


@pytest.mark.django_db
def test_the_gap_report_download_and_command_neutralise_names(org, program_admin):
    from tests.factories import make_standard

    make_standard(org, "EVIL", name="=HYPERLINK(1)")
    out = io.StringIO()
    call_command("gap_report", "--org", org.slug, "--format", "csv", stdout=out)
    assert "'=HYPERLINK(1)" in out.getvalue()
    client = Client()
    client.force_login(program_admin)
    body = client.get(
        reverse("insights:gap_report_download", args=[org.slug]) + "?format=csv"
    ).content.decode()
    assert "'=HYPERLINK(1)" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


@pytest.mark.django_db
def test_the_responses_template_goes_through_the_writer(org, reviewer, monkeypatch):
    import cxaudit.exports as exports
    from tests.surveys.import_helpers import make_import_context

    make_import_context(org)
    written = []
    original = exports.safe_row
    monkeypatch.setattr(exports, "safe_row", lambda row: written.append(row) or original(row))
    client = Client()
    client.force_login(reviewer)
    response = client.get(reverse("surveys:import_template", args=[org.slug, "visit"]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith("source,location,wave") and written


def test_nothing_writes_csv_or_xlsx_but_the_one_writer():
    """A new export must use cxaudit.exports; a bare csv.writer or openpyxl workbook is how a
    formula slips through."""
    offenders = []
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|openpyxl|xlsxwriter")
    for folder in ("cxaudit", "surveys", "shoppers"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "exports.py" and path.parent.name == "cxaudit":
                continue
            if pattern.search(path.read_text()):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"write CSV/XLSX through cxaudit/exports.py: {offenders}"
