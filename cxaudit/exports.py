"""One writer for every CSV and XLSX cxaudit produces: cells a spreadsheet would read as a
formula are neutralised, headers included (docs/formats.md, "Spreadsheet safety").

A text cell that starts with "=", "+", "-", "@" (or their full-width forms), a tab or a line
break gets a leading apostrophe, which spreadsheets show as text and never evaluate. Numbers
stay numbers: a real negative number (an int, float or Decimal, or a text that is exactly a
number such as "-12.5") is left as it is. XLSX cells never hold what XML cannot (a control
character is written as U+FFFD) nor a time zone (moments in the site's local time). CSV is
streamed row by row; XLSX is written by openpyxl in write-only mode, so neither holds the
whole export in memory. Use `csv_response` / `xlsx_response` for downloads and `write_csv`
for a command's standard output; never `csv.writer` or openpyxl directly.
"""

from __future__ import annotations

import csv
import math
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse

# The characters a spreadsheet starts a formula with (OWASP), their full-width forms (read as
# formulas by some East Asian spreadsheet locales), and the white space a cell may hide them
# behind.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# What XLSX (XML 1.0) cannot hold: control characters other than tab and line breaks. Text from
# before cxaudit.textinput refused them may still hold one; it is shown as U+FFFD, never a crash.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
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


def write_csv_file(handle: IO[str], header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> None:
    """Write a safe CSV, with the byte-order mark spreadsheets need, to a text file (an export
    built in the background); rows are consumed as they come. Lines end with CRLF (RFC 4180),
    so that a field holding a bare carriage return is quoted too (the csv module quotes only
    the characters of the line terminator)."""
    writer = csv.writer(handle, lineterminator="\r\n")
    handle.write("\ufeff")
    writer.writerow(safe_row(header))
    writer.writerows(map(safe_row, rows))


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]):
    """A streamed CSV download (bounded memory whatever the number of rows)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx_cell(value: Any) -> Any:
    """A safe cell as XLSX takes it: no XML-illegal characters, no time zone (a moment is
    written in the site's local time)."""
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("\ufffd", value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def _sheet_title(name: str) -> str:
    """A worksheet title XLSX accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", _XML_ILLEGAL.sub("", name)).strip()[:31]
    return cleaned or "Data"


def xlsx_row(row: Iterable[Any]) -> list[Any]:
    return [_xlsx_cell(v) for v in safe_row(row)]


def write_xlsx_file(
    handle: IO[bytes], header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str = "Data"
) -> None:
    """Write a safe XLSX to a binary file, in openpyxl's write-only mode (rows go to a
    temporary file as they come, never all in memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(title=_sheet_title(sheet))
    worksheet.append(xlsx_row(header))
    for row in rows:
        worksheet.append(xlsx_row(row))
    workbook.save(handle)


def xlsx_response(
    filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str = "Data"
):
    """An XLSX download written in openpyxl's write-only mode to a temporary file."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx_file(handle, header, rows, sheet=sheet)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
