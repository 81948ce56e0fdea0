"""Reading a parsed journey definition document: typed look-ups that record every problem as
(path, reason) instead of stopping at the first. Used by `definition.validate`."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from cxaudit.textinput import text_problem

from .models import Comparator, Standard, code_validator

# Accepted on import besides the stored values; export always writes the stored values.
COMPARATOR_ALIASES = {
    "<": Comparator.LT,
    "<=": Comparator.LTE,
    "≤": Comparator.LTE,
    "=": Comparator.EQ,
    "==": Comparator.EQ,
    ">=": Comparator.GTE,
    "≥": Comparator.GTE,
    ">": Comparator.GT,
}
MAX_TARGET = Decimal(10) ** 9  # DecimalField(max_digits=12, decimal_places=3)
THOUSANDTH = Decimal("0.001")
CODE_RE = re.compile(code_validator.regex.pattern)


def max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


MISSING = object()


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


class Checker:
    """Reads values out of the parsed document, recording every problem with its path."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def error(self, path: str, reason: str) -> None:
        self.errors.append((path, reason))

    def object(
        self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...]
    ) -> dict | None:
        if not isinstance(value, dict):
            self.error(path or "file", f"must be an object, not {kind(value)}")
            return None
        for key in value:
            if key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                self.error(join(path, key), f"unknown key (allowed: {allowed})")
        for key in required:
            if key not in value:
                self.error(join(path, key), "is required")
        return value

    def text(
        self, obj: dict, key: str, path: str, *, max_length: int | None = None, required=False
    ) -> str:
        value = obj.get(key, MISSING)
        where = join(path, key)
        if value is MISSING:
            return ""
        if not isinstance(value, str):
            self.error(where, f"must be text, not {kind(value)}")
            return ""
        if problem := text_problem(value):
            self.error(where, problem)
        if required and not value.strip():
            self.error(where, "must not be empty")
        if max_length is not None and len(value) > max_length:
            self.error(where, f"is {len(value)} characters long; the limit is {max_length}")
        return value

    def choice(self, obj: dict, key: str, path: str, choices, what: str) -> str:
        value = obj.get(key, MISSING)
        where = join(path, key)
        if value is MISSING:
            return ""
        if not isinstance(value, str) or value not in choices.values:
            shown = repr(value) if isinstance(value, str) else kind(value)
            self.error(where, f"unknown {what} {shown}; use one of: {', '.join(choices.values)}")
            return ""
        return value

    def integer(self, obj: dict, key: str, path: str, *, low: int, high: int | None) -> int | None:
        value = obj.get(key, MISSING)
        where = join(path, key)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(where, f"must be a whole number, not {kind(value)}")
            return None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
            self.error(where, f"must be {bounds}, not {value}")
            return None
        return value

    def boolean(self, obj: dict, key: str, path: str) -> bool:
        value = obj.get(key, False)
        if not isinstance(value, bool):
            self.error(join(path, key), f"must be true or false, not {kind(value)}")
            return False
        return value

    def array(self, obj: dict, key: str, path: str) -> list:
        value = obj.get(key, [])
        if not isinstance(value, list):
            self.error(join(path, key), f"must be a list, not {kind(value)}")
            return []
        return value

    def positions(self, items: list[tuple[str, int | None]], path: str) -> None:
        """Positions of siblings must be 1..n, each once (any order in the file)."""
        seen: dict[int, str] = {}
        duplicated = False
        for item_path, position in items:
            if position is None:
                continue
            if position in seen:
                duplicated = True
                self.error(
                    f"{item_path}.position",
                    f"duplicate position {position} (also at {seen[position]})",
                )
            else:
                seen[position] = item_path
        n = len(items)
        if duplicated or len(seen) < n:
            return  # already reported; a gap report would only repeat it
        missing = sorted(set(range(1, n + 1)) - set(seen))
        if missing:
            self.error(
                path,
                f"positions must run 1..{n} without gaps; missing "
                + ", ".join(map(str, missing))
                + f" (found {', '.join(map(str, sorted(seen)))})",
            )

    def target(self, value: Any, path: str) -> tuple[Decimal | None, str, str]:
        if value is None:
            return None, "", ""
        obj = self.object(value, path, ("value", "unit", "comparator"), ())
        if obj is None:
            return None, "", ""
        number = obj.get("value", MISSING)
        amount: Decimal | None = None
        if number is not MISSING:
            if isinstance(number, bool) or not isinstance(number, int | Decimal):
                self.error(f"{path}.value", f"must be a number, not {kind(number)}")
            else:
                amount = Decimal(number)
                try:
                    exact = amount.quantize(THOUSANDTH) == amount
                except InvalidOperation:
                    exact = False
                if not amount.is_finite() or abs(amount) >= MAX_TARGET:
                    self.error(f"{path}.value", "must be less than 1,000,000,000 in size")
                    amount = None
                elif not exact:
                    self.error(f"{path}.value", "may have at most 3 decimal places")
                    amount = None
        unit = obj.get("unit", MISSING)
        if unit is not MISSING:
            unit = self.text(obj, "unit", path, max_length=max_length(Standard, "target_unit"))
            if isinstance(obj["unit"], str) and not obj["unit"].strip():
                self.error(f"{path}.unit", "a target needs a unit (e.g. seconds, minutes, %)")
        else:
            unit = ""
        comparator = obj.get("comparator", MISSING)
        stored = ""
        if comparator is not MISSING:
            if isinstance(comparator, str) and comparator in Comparator.values:
                stored = comparator
            elif isinstance(comparator, str) and comparator.strip() in COMPARATOR_ALIASES:
                stored = COMPARATOR_ALIASES[comparator.strip()].value
            else:
                shown = repr(comparator) if isinstance(comparator, str) else kind(comparator)
                self.error(
                    f"{path}.comparator",
                    f"unknown comparator {shown}; use one of: {', '.join(Comparator.values)}"
                    " (or <, <=, ≤, =, >=, ≥, >)",
                )
        return amount, unit, stored
