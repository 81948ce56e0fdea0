"""One set of rules for the CSV files cxaudit imports (locations, KPI values; the responses and
contacts imports apply the same): UTF-8 (with or without a byte-order mark), no NUL character,
a header whose every column is known and appears once, and a bounded list of problems that says
how many there were in all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MAX_LISTED = 200


@dataclass
class Problems:
    """Every problem is counted; the first MAX_LISTED are kept to be shown."""

    limit: int = MAX_LISTED
    listed: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0

    def add(self, where: str, reason: str) -> None:
        self.total += 1
        if len(self.listed) < self.limit:
            self.listed.append((where, reason))

    def __bool__(self) -> bool:
        return self.total > 0

    def summary(self, what: str = "nothing was imported") -> str:
        shown = (
            f" (the first {len(self.listed)} are listed)" if self.total > len(self.listed) else ""
        )
        return f"{self.total} problem(s) found{shown}; {what}."


def decode(data: bytes, problems: Problems) -> str | None:
    """The text of an uploaded CSV, or None after naming the problem (encoding, NUL)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.add(
            f"line {line}",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as 'CSV UTF-8'",
        )
        return None
    if "\x00" in text:
        problems.add(
            f"line {text.count(chr(10), 0, text.index(chr(0))) + 1}", "contains a NUL character"
        )
        return None
    return text


def check_header(
    cells: Sequence[str],
    *,
    known: Iterable[str],
    required: Iterable[str],
    problems: Problems,
    line: int = 1,
) -> list[str]:
    """The header's column names (trimmed, lower-cased), naming every unknown, repeated or
    missing column."""
    known, required = list(known), list(required)
    names = [c.strip().lower() for c in cells]
    for i, name in enumerate(names):
        if name not in known:
            shown = cells[i].strip()[:40]
            problems.add(
                f"line {line}, column {i + 1}",
                f"unknown column {shown!r}; the columns are {', '.join(known)}",
            )
        elif names.index(name) != i:
            problems.add(f"line {line}, column {i + 1}", f"column {name!r} appears twice")
    missing = [c for c in required if c not in names]
    if missing:
        problems.add(f"line {line}", f"missing column(s): {', '.join(missing)}")
    return names
