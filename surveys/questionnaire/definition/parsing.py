"""Reading a definition file's bytes into JSON values: the shared rules of cxaudit.jsoninput
(too large, not UTF-8, duplicate keys, NaN or Infinity, absurd numbers and nesting refused)."""

from __future__ import annotations

from typing import Any

from cxaudit.jsoninput import MAX_BYTES, MAX_DEPTH
from cxaudit.jsoninput import parse_json as _parse

__all__ = ["MAX_BYTES", "MAX_DEPTH", "parse_json"]


def parse_json(raw: bytes | str) -> Any:
    """Decode a survey definition file, or raise ValidationFailed saying what and where."""
    return _parse(raw)
