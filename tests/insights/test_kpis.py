"""Operational KPIs: the values import (all or nothing, every problem named), the figures, and
where they are shown (standard page, report card, heatmap drill-down, gap report)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from cxaudit.accounts.models import Location
from cxaudit.errors import ValidationFailed
from cxaudit.insights.gaps.report import build_gap_report
from cxaudit.insights.kpis.models import Direction, Kpi, KpiValue
from cxaudit.insights.kpis.services import import_kpi_values, kpi_figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(data, org):
    answer = Kpi.objects.create(
        organization=org,
        code="ANSWER-SECS",
        name="Time to answer",
        unit="s",
        direction=Direction.LOWER,
        target=Decimal("60"),
    )
    answer.standards.add(data["ans"] if "ans" in data else _standard(org, "ANS"))
    fcr = Kpi.objects.create(
        organization=org,
        code="FCR",
        name="First-contact resolution",
        unit="%",
        direction=Direction.HIGHER,
        target=Decimal("75"),
    )
    return {"answer": answer, "fcr": fcr}


def _standard(org, code):
    from cxaudit.journeys.models import Standard

    return Standard.objects.get(organization=org, code=code)


GOOD = b"""kpi,location,wave,value
ANSWER-SECS,KGX,2026 Q3,48
answer-secs,MAN,2026 Q3,"80,5"
FCR,KGX,2026 Q3,71.5
ANSWER-SECS,KGX,2026 Q4,40
"""


def test_importing_values_then_replacing_them(org, kpis):
    report = import_kpi_values(organization=org, data=GOOD)
    assert (report.created, report.updated) == (4, 0)
    first = KpiValue.objects.get(kpi=kpis["fcr"]).imported_at
    again = import_kpi_values(
        organization=org, data=b"kpi,location,wave,value\nFCR,KGX,2026 Q3,77\n"
    )
    assert (again.created, again.updated) == (0, 1)
    replaced = KpiValue.objects.get(kpi=kpis["fcr"])
    assert replaced.value == Decimal("77") and replaced.imported_at > first
    assert KpiValue.objects.get(kpi=kpis["answer"], location__code="MAN").value == Decimal("80.5")


@pytest.mark.parametrize(
    "body, where, reason",
    [
        (b"kpi,location,wave,value\nNOPE,KGX,2026 Q3,1\n", "line 2, kpi", "no KPI 'NOPE'"),
        (b"kpi,location,wave,value\nFCR,XXX,2026 Q3,1\n", "line 2, location", "no location"),
        (b"kpi,location,wave,value\nFCR,KGX,1999,1\n", "line 2, wave", "no wave"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,abc\n", "line 2, value", "not a number"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,1e999\n", "line 2, value", "too large"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,NaN\n", "line 2, value", "not a finite"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,-Infinity\n", "line 2, value", "not a finite"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,1.23456\n", "line 2, value", "4 decimal"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,1\nFCR,kgx,2026 q3,2\n", "line 3", "as line 2"),
        (
            b"kpi,location,wave,value,extra\nFCR,KGX,2026 Q3,1,x\n",
            "line 1, column 5",
            "unknown column",
        ),
        (b"kpi,location,wave,value,value\n", "line 1, column 5", "appears twice"),
        (b"kpi,location,value\nFCR,KGX,1\n", "line 1", "missing column(s): wave"),
        (b"kpi,location,wave,value\nFCR,KGX\n", "line 2", "2 cells"),
        (b"kpi,location,wave,value\n", "file", "no data rows"),
        (b"\xff\xfekpi", "line 1", "not UTF-8"),
        (b"kpi,location,wave,value\nFCR,KGX,2026 Q3,\x001\n", "line 2", "NUL"),
        (b"", "file", "no header"),
    ],
)
def test_bad_files_are_refused_with_line_and_reason_and_nothing_is_written(
    org, kpis, body, where, reason
):
    with pytest.raises(ValidationFailed) as exc:
        import_kpi_values(organization=org, data=body)
    assert any(w == where and reason in r for w, r in exc.value.errors), exc.value.errors
    assert not KpiValue.objects.exists()


def test_a_file_with_many_bad_rows_lists_a_bounded_number_and_says_how_many(org, kpis):
    body = b"kpi,location,wave,value\n" + b"NOPE,KGX,2026 Q3,1\n" * 500
    with pytest.raises(ValidationFailed) as exc:
        import_kpi_values(organization=org, data=body)
    assert len(exc.value.errors) == 200 and exc.value.message.startswith("500 problem(s)")


def test_the_command(org, kpis, tmp_path, capsys):
    path = tmp_path / "kpis.csv"
    path.write_bytes(GOOD)
    call_command("import_kpis", str(path), "--org", org.slug)
    assert "4 new" in capsys.readouterr().out
    path.write_bytes(b"kpi,location,wave,value\nNOPE,KGX,2026 Q3,1\n")
    with pytest.raises(CommandError, match="line 2, kpi"):
        call_command("import_kpis", str(path), "--org", org.slug)
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_kpis", str(path), "--org", "nope")


def test_figures_mean_target_and_trend(org, kpis, data):
    import_kpi_values(organization=org, data=GOOD)
    by_code = {f.kpi.code: f for f in kpi_figures(organization=org, wave=data["w1"])}
    answer = by_code["ANSWER-SECS"]
    # (48 + 80.5) / 2 = 64.25 > 60 with lower better: not met; KGX alone (48) meets it.
    assert answer.value == Decimal("64.25") and answer.meets is False and answer.locations == 2
    assert answer.by_location == [
        ("KGX", Decimal("48.0000"), True),
        ("MAN", Decimal("80.5000"), False),
    ]
    assert answer.trend == [("2026 Q3", Decimal("64.25")), ("2026 Q4", Decimal("40"))]
    assert by_code["FCR"].meets is False  # 71.5 < 75, higher better
    kgx = Location.objects.get(organization=org, code="KGX")
    only = {f.kpi.code: f for f in kpi_figures(organization=org, wave=data["w2"], location=kgx)}
    assert only["ANSWER-SECS"].value == Decimal("40") and only["ANSWER-SECS"].meets is True
    # Linked to the ANS standard only.
    linked = kpi_figures(organization=org, standard_ids=[_standard(org, "ANS").pk])
    assert [f.kpi.code for f in linked] == ["ANSWER-SECS"]


def test_the_gap_report_carries_the_kpis(org, kpis, data):
    import_kpi_values(organization=org, data=GOOD)
    report = build_gap_report(organization=org, wave=data["w1"])
    entry = next(k for k in report["kpis"] if k["code"] == "ANSWER-SECS")
    assert (
        entry["value"] == 64.25 and entry["meets_target"] is False and entry["standards"] == ["ANS"]
    )
    json.dumps(report)
    out = io.StringIO()
    call_command(
        "gap_report", "--org", org.slug, "--wave", "2026 Q3", "--format", "csv", stdout=out
    )
    rows = [r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["level"] == "kpi"]
    assert {r["measure"]: (r["mean"], r["target"], r["meets_target"]) for r in rows} == {
        "ANSWER-SECS": ("64.25", "60.0", "false"),
        "FCR": ("71.5", "75.0", "false"),
    }


def test_a_name_that_looks_like_a_formula_is_neutralised_in_the_gap_csv(org, data):
    std = _standard(org, "ANS")
    std.name = '=HYPERLINK("http://evil.test")'
    std.save()
    out = io.StringIO()
    call_command("gap_report", "--org", org.slug, "--format", "csv", stdout=out)
    names = {r["name"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert '\'=HYPERLINK("http://evil.test")' in names
    assert not any(n.startswith("=") for n in names)
    # A real negative number is still a number.
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert any(r["diff_100"].startswith("-") and float(r["diff_100"]) < 0 for r in rows)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_pages_show_the_kpis_beside_the_other_perspectives(org, kpis, data, manager):
    import_kpi_values(organization=org, data=GOOD)
    c = _client(manager)
    ans = _standard(org, "ANS")
    page = c.get(reverse("insights:standard_detail", args=[org.slug, ans.pk]), {"wave": "2026 Q3"})
    assert b"Time to answer" in page.content and b"First-contact" not in page.content
    card = c.get(reverse("insights:report_card", args=[org.slug, "KGX"]), {"wave": data["w1"].pk})
    assert b"Time to answer" in card.content and b"met" in card.content
    drill = c.get(
        reverse("insights:heatmap_touchpoint", args=[org.slug, ans.touchpoint_id]),
        {"wave": data["w1"].pk},
    )
    assert b"Operational KPIs" in drill.content and b"Time to answer" in drill.content
    listing = c.get(reverse("insights:kpi_list", args=[org.slug]))
    assert b"First-contact resolution" in listing.content


def test_defining_a_kpi_and_importing_from_the_page(org, data, program_admin):
    c = _client(program_admin)
    response = c.post(
        reverse("insights:kpi_create", args=[org.slug]),
        {
            "code": "AHT",
            "name": "Handling <time>",
            "unit": "s",
            "direction": "lower",
            "target": "300",
            "standards": [_standard(org, "ANS").pk],
        },
        follow=True,
    )
    assert b"Handling &lt;time&gt;" in response.content
    dup = c.post(
        reverse("insights:kpi_create", args=[org.slug]),
        {"code": "aht", "name": "x", "direction": "lower"},
    )
    assert "Another KPI has this code." in dup.context["form"].errors["code"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = c.post(
        reverse("insights:kpi_import", args=[org.slug]),
        {"file": SimpleUploadedFile("k.csv", b"kpi,location,wave,value\nAHT,KGX,2026 Q3,zz\n")},
    )
    assert b"line 2, value" in bad.content and b"Nothing was imported" in bad.content
    ok = c.post(
        reverse("insights:kpi_import", args=[org.slug]),
        {"file": SimpleUploadedFile("k.csv", b"kpi,location,wave,value\nAHT,KGX,2026 Q3,280\n")},
        follow=True,
    )
    assert b"1 new" in ok.content
