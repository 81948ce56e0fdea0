"""One writer for every CSV and XLSX cxaudit produces: cells a spreadsheet would read as a
formula are neutralised, headers included (docs/formats.md, "Spreadsheet safety").

A text cell that starts with "=", "+", "-", "@", a tab or a carriage return gets a leading
apostrophe, which spreadsheets show as text and never evaluate. Numbers stay numbers: a real
negative number (an int, float or Decimal, or a text that is exactly a number such as "-12.5")
is left as it is. CSV is streamed row by row; XLSX is written by openpyxl in write-only mode,
so neither holds the whole export in memory.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_text(value: str) -> str:
    """`value`, with a leading apostrophe when a spreadsheet would run it as a formula."""
    if value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """A cell for CSV or XLSX: numbers and dates as they are, None as empty, bools as
    true/false, everything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal | date | datetime):
        return value
    return safe_text(str(value))


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield "\ufeff"  # so that spreadsheets read UTF-8
    yield writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow(safe_row(row))


def write_csv(out, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> None:
    """Write a safe CSV to a text stream (management commands), without the byte-order mark."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow(safe_row(row))


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]):
    """A streamed CSV download (bounded memory whatever the number of rows)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str = "Data"
):
    """An XLSX download written in openpyxl's write-only mode to a temporary file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=safe_text(sheet)[:31])
    worksheet.append(safe_row(header))
    for row in rows:
        worksheet.append(safe_row(row))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
