"""One set of rules for every JSON file cxaudit reads (journey and survey definitions): plain,
bounded JSON or a refusal that says what and where. Refused: too large, not UTF-8, empty,
nested too deeply, duplicate keys, NaN and Infinity, numbers too large to mean anything (a
position or target beyond 10^15, or a literal like 1e9999999999999999999), and text that
breaks cxaudit.textinput's rules (NUL, control characters, lone surrogates such as "\\ud800")."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from cxaudit.errors import ValidationFailed
from cxaudit.textinput import first_problem

MAX_BYTES: Final = 2 * 1024 * 1024
MAX_DEPTH: Final = 20  # the deepest a valid definition goes is 6
MAX_MAGNITUDE: Final = 10**15


class _Refused(ValueError):
    """A value JSON allows but a definition cannot hold; `literal` says which."""

    def __init__(self, reason: str, literal: str = ""):
        super().__init__(reason)
        self.literal = literal


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number", name)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {key!r} in one object", json.dumps(key))
        out[key] = value
    return out


def _too_large(literal: str) -> _Refused:
    shown = literal if len(literal) <= 24 else literal[:20] + "…"
    return _Refused(f"the number {shown} is too large", literal)


def _int(literal: str) -> int:
    if len(literal.lstrip("-")) > 16:
        raise _too_large(literal)
    value = int(literal)
    if abs(value) > MAX_MAGNITUDE:
        raise _too_large(literal)
    return value


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise _too_large(literal)
    return value


def _decimal(literal: str) -> Decimal:
    try:
        value = Decimal(literal)
    except InvalidOperation as exc:  # an exponent beyond what Decimal holds
        raise _too_large(literal) from exc
    if not value.is_finite() or abs(value) > MAX_MAGNITUDE:
        raise _too_large(literal)
    return value


def _too_deep(raw: str, limit: int) -> bool:
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
            if deepest > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def _where(raw: str, literal: str) -> str:
    """' (line L, column C)' of the first occurrence of `literal`, when it can be found."""
    at = raw.find(literal) if literal else -1
    if at < 0:
        return ""
    line = raw.count("\n", 0, at) + 1
    column = at - (raw.rfind("\n", 0, at) + 1) + 1
    return f" (line {line}, column {column})"


def _refuse(message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, [("file", reason)])


def parse_json(
    raw: bytes | str,
    *,
    decimals: bool = False,
    max_bytes: int = MAX_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Decode a JSON file, or raise ValidationFailed([("file", reason)]) saying what and where.
    `decimals` reads numbers with a fraction or exponent as Decimal (exact targets)."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > max_bytes:
        limit = max_bytes / 1024 / 1024
        raise _refuse(
            "The file is too large.",
            f"the file is {size / 1024 / 1024:.1f} MB; the limit is {limit:g} MB",
        )
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _refuse(
                "The file is not UTF-8 text.",
                f"not UTF-8 text (byte {exc.start + 1} cannot be decoded)",
            ) from exc
    if not raw.strip():
        raise _refuse("The file is empty.", "the file is empty")
    if _too_deep(raw, max_depth):
        raise _refuse(
            "The file is not valid JSON.",
            f"not valid JSON: nested more than {max_depth} levels deep",
        )
    try:
        document = json.loads(
            raw,
            parse_float=_decimal if decimals else _float,
            parse_int=_int,
            parse_constant=_constant,
            object_pairs_hook=_pairs,
        )
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except _Refused as exc:
        reason = f"not valid JSON: {exc}{_where(raw, exc.literal)}"
    except (ValueError, RecursionError) as exc:
        reason = f"not valid JSON: {exc}"
    else:
        found = first_problem(document)
        if found is None:
            return document
        raise ValidationFailed("The file holds text cxaudit does not take.", [found])
    raise _refuse("The file is not valid JSON.", reason)
