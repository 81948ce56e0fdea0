"""One check of what an upload field was given, before the file is read as data: a CSV or JSON
field refuses a file that is something else (a photo, a spreadsheet, a PDF) at once, naming
what it is, instead of reporting an encoding error on line 1 or a parse error.

The content decides (the `filetype` library reads the file's signature; a NUL byte marks
binary data); the name's extension only when it names a different format.
"""

from __future__ import annotations

from pathlib import PurePath

import filetype
from django import forms

KINDS = {
    "csv": ("CSV", {".csv", ".txt", ""}),
    "json": ("JSON", {".json", ".txt", ""}),
}
HEAD_BYTES = 8192


def check_upload(upload, kind: str) -> None:
    """Raise a ValidationError (for the field) when `upload` is not a `kind` text file."""
    label, extensions = KINDS[kind]
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if isinstance(head, str):
        head = head.encode()
    found = filetype.guess(head)
    if found is not None:
        raise forms.ValidationError(
            f"This file is a {found.extension.upper()} file ({found.mime}), not a {label} file: "
            f"choose the {label} file to import.",
            code="file_type",
        )
    if b"\x00" in head:
        raise forms.ValidationError(
            f"This file is not text, so it is not a {label} file: choose the {label} file.",
            code="file_type",
        )
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix not in extensions:
        raise forms.ValidationError(
            f"The file name ends in {suffix}; choose a .{kind} file ({label}).",
            code="file_type",
        )
