from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from cxaudit.accounts.scope import LocationScope
from cxaudit.downloads import services
from cxaudit.downloads.kinds import KINDS

from .data import build


@pytest.fixture
def data(org, location, program_admin):
    return build(org, location, program_admin)


def read_back(content: bytes, fmt: str) -> list[list]:
    """Every row (header first) of a written CSV or XLSX file."""
    if fmt == "csv":
        text = content.decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:], newline="")))
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def export(org, kind: str, fmt: str, *, location_ids=None, **filters) -> list[list]:
    """Build one export as the worker does and read it back."""
    scope = LocationScope(org, location_ids)
    req = services.resolve(
        scope=scope, kind=KINDS[kind], fmt=fmt, filters=services.Filters(**filters)
    )
    table = KINDS[kind].build(req)
    handle = io.BytesIO()
    services.write_table(table, fmt, handle)
    return read_back(handle.getvalue(), fmt)
