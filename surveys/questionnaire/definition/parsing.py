"""Reading a definition file's bytes into JSON values, refusing what is not plain JSON: too
large, not UTF-8, duplicate keys, NaN or Infinity, absurd nesting."""

from __future__ import annotations

import json
from typing import Any, Final

from cxaudit.errors import ValidationFailed

MAX_BYTES: Final = 2 * 1024 * 1024
MAX_DEPTH: Final = 20  # the deepest a valid document goes is 6


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _too_deep(raw: str) -> bool:
    depth = deepest = 0
    in_string = escaped = False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def parse_json(raw: bytes | str) -> Any:
    """Decode a definition file, or raise ValidationFailed saying what and where."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_BYTES:
        raise ValidationFailed(
            "The file is too large.",
            [("file", f"the file is {size / 1024 / 1024:.1f} MB; the limit is 2 MB")],
        )
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                "The file is not UTF-8 text.",
                [("file", f"not UTF-8 text (byte {exc.start + 1} cannot be decoded)")],
            ) from exc
    if not raw.strip():
        raise ValidationFailed("The file is empty.", [("file", "the file is empty")])
    if _too_deep(raw):
        raise ValidationFailed(
            "The file is not a survey definition.",
            [("file", f"nested more than {MAX_DEPTH} levels deep")],
        )
    try:
        return json.loads(raw, parse_constant=_no_constants, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            "The file is not valid JSON.",
            [("file", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")],
        ) from exc
    except ValueError as exc:  # duplicate keys, NaN/Infinity
        raise ValidationFailed("The file is not valid JSON.", [("file", str(exc))]) from exc
