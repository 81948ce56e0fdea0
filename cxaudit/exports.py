"""One writer for every CSV and XLSX cxaudit produces: cells a spreadsheet would read as a
formula are neutralised, headers included (docs/formats.md, "Spreadsheet safety").

A text cell that starts with "=", "+", "-", "@" (or their full-width forms), a tab or a line
break gets a leading apostrophe, which spreadsheets show as text and never evaluate. Numbers
stay numbers: a real negative number (an int, float or Decimal, or a text that is exactly a
number such as "-12.5") is left as it is. XLSX cells never hold what XML cannot (a control
character is written as U+FFFD) nor a time zone (moments in the site's local time). CSV is
streamed row by row; XLSX sheet XML is streamed into its zip as rows come (write_xlsx_file),
so neither holds the whole export in memory. Use `csv_response` / `xlsx_response` for
downloads, `write_csv_file` / `write_xlsx_file` for files built in the background and
`write_csv` for a command's standard output; never `csv.writer` or openpyxl directly.
"""

from __future__ import annotations

import csv
import math
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
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


def _memo(convert: Callable[[Any], Any], limit: int = 20_000) -> Callable[[Any], Any]:
    """`convert`, remembering the result for values seen before (answers repeat a lot: yes,
    no, 1-5…); keyed by type as well, since True == 1 == 1.0. Holds at most `limit` values."""
    seen: dict[tuple[type, Any], Any] = {}

    def cached(value: Any) -> Any:
        key = (value.__class__, value)
        try:
            return seen[key]
        except KeyError:
            result = convert(value)
            if len(seen) < limit:
                seen[key] = result
            return result
        except TypeError:  # not hashable
            return convert(value)

    return cached


def write_csv_file(handle: IO[str], header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> None:
    """Write a safe CSV, with the byte-order mark spreadsheets need, to a text file (an export
    built in the background); rows are consumed as they come. Lines end with CRLF (RFC 4180),
    so that a field holding a bare carriage return is quoted too (the csv module quotes only
    the characters of the line terminator)."""
    writer = csv.writer(handle, lineterminator="\r\n")
    handle.write("\ufeff")
    writer.writerow(safe_row(header))
    cell = _memo(safe_cell)
    writer.writerows([cell(v) for v in row] for row in rows)


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]):
    """A streamed CSV download (bounded memory whatever the number of rows)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _sheet_title(name: str) -> str:
    """A worksheet title XLSX accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", _XML_ILLEGAL.sub("", name)).strip()[:31]
    return cleaned or "Data"


# The parts of a one-sheet workbook around its sheet. Styles: 0 general, 1 date and time,
# 2 date (built-in number formats 22 and 14).
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_XLSX_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_XLSX_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_XLSX_SHEET_END = "</sheetData></worksheet>"
_EPOCH = datetime(1899, 12, 30)
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ROWS_PER_WRITE = 500


def _xlsx_xml_cell(value: Any) -> str:
    """One cell of a safe row as sheet XML. Cells carry no reference: each takes the next
    column, so an empty one is written as an empty element."""
    if isinstance(value, str):
        if not value:
            return "<c/>"
        text = _XML_ILLEGAL.sub("\ufffd", value).translate(_XML_TEXT)
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if isinstance(value, int | Decimal):
        return f"<c><v>{value}</v></c>"
    if isinstance(value, float):
        return f"<c><v>{value!r}</v></c>" if math.isfinite(value) else "<c/>"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        serial = (value - _EPOCH).total_seconds() / 86400
        return f'<c s="1"><v>{serial!r}</v></c>'
    if isinstance(value, date):
        return f'<c s="2"><v>{(value - _EPOCH.date()).days}</v></c>'
    return _xlsx_xml_cell(str(value))


def write_xlsx_file(
    handle: IO[bytes], header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str = "Data"
) -> None:
    """Write a safe one-sheet XLSX to a binary file, streaming the sheet's XML into the zip as
    the rows come (never the whole sheet in memory). Text is written inline (no shared-string
    table to hold), moments in the site's local time with a date format."""
    import zipfile

    cell = _memo(lambda value: _xlsx_xml_cell(safe_cell(value)))
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, xml in _XLSX_PARTS.items():
            zf.writestr(name, xml)
        title = _sheet_title(sheet).translate(_XML_TEXT).replace('"', "&quot;")
        zf.writestr("xl/workbook.xml", _XLSX_WORKBOOK.format(name=title))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
            out.write(_XLSX_SHEET_START.encode())
            batch = ["<row>", *map(cell, header), "</row>"]
            for n, row in enumerate(rows, start=1):
                batch.append("<row>")
                batch.extend(map(cell, row))
                batch.append("</row>")
                if n % _ROWS_PER_WRITE == 0:
                    out.write("".join(batch).encode())
                    batch.clear()
            batch.append(_XLSX_SHEET_END)
            out.write("".join(batch).encode())


def xlsx_response(
    filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]], *, sheet: str = "Data"
):
    """An XLSX download, written to a temporary file (write_xlsx_file)."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx_file(handle, header, rows, sheet=sheet)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
