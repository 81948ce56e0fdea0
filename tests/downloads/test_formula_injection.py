"""Every export kind in both formats: no cell, header included, starts a formula."""

from __future__ import annotations

import io

import pytest

from cxaudit.downloads import services
from cxaudit.downloads.kinds import KINDS, Table
from cxaudit.exports import FORMULA_START

from .conftest import export, read_back
from .data import EVIL

pytestmark = pytest.mark.django_db

FILTERS = {"responses": {"survey": "visit"}, "answers": {"survey": "visit"}}


def formula_cells(rows) -> list:
    """Cells a spreadsheet would evaluate: text starting with a formula character (a number
    stored as a number is fine)."""
    return [c for row in rows for c in row if isinstance(c, str) and c.startswith(FORMULA_START)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_exported_cell_runs_as_a_formula(org, data, kind, fmt):
    filters = dict(FILTERS.get(kind, {}))
    if kind == "campaign":
        filters["campaign"] = data["campaign"].pk
    rows = export(org, kind, fmt, **filters)
    assert len(rows) > 1, "the export holds data rows"
    flat = [c for row in rows for c in row if isinstance(c, str)]
    # The hostile text is there, neutralised with a leading apostrophe.
    assert any(c.startswith("'=HYPERLINK") or c == "'" + EVIL for c in flat) or kind in (
        "contacts",
    ), flat
    assert formula_cells(rows) == [c for c in formula_cells(rows) if _is_number(c)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_contacts_names_are_neutralised(org, data, fmt):
    rows = export(org, "contacts", fmt)
    assert rows[1][:3] == ["pat@example.test", "'" + EVIL, "'+Lee"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_formula_start_is_neutralised_in_responses(org, data, fmt):
    rows = export(org, "responses", fmt, survey="visit")
    header = rows[0]
    notes = [row[header.index("note")] for row in rows[1:]]
    respondents = [row[header.index("respondent")] for row in rows[1:]]
    # Respondent references are stored as given; answers as the form cleaned them (leading
    # white space trimmed), so each hostile start appears in one or the other.
    expected = ["'" + EVIL, "'+1+2", "'-3+4", "'@SUM(A1)", "'\tTAB", "'\rCR"]
    assert sorted(respondents) == sorted(expected)
    assert "'" + EVIL in notes and "'@SUM(A1)" in notes
    assert formula_cells(rows) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_headers_are_neutralised_too(fmt):
    table = Table(
        stem="t",
        sheet="=Sheet",
        header=["=cmd", "+x", "-y", "@z", "\tt", "\rr", "ok"],
        count=lambda limit=None: 1,
        rows=lambda: iter([["=1+1", -3, "-3", "@a", "\tb", "\rc", "fine"]]),
    )
    handle = io.BytesIO()
    services.write_table(table, fmt, handle)
    rows = read_back(handle.getvalue(), fmt)
    cr = "\r"  # kept in XLSX too (written as &#13;, which XML does not normalise)
    assert rows[0] == ["'=cmd", "'+x", "'-y", "'@z", "'\tt", f"'{cr}r", "ok"]
    # A real number stays a number (text "-3" is a number too, left as it is).
    assert rows[1][:3] == ["'=1+1", "-3" if fmt == "csv" else -3, "-3"]
    assert rows[1][3:] == ["'@a", "'\tb", f"'{cr}c", "fine"]
