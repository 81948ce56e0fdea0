"""One set of rules for the CSV files cxaudit imports (locations, KPI values, responses; the
contacts import to come applies the same): UTF-8 (with or without a byte-order mark), text that
follows cxaudit.textinput's rules (no NUL or other control character but tab and line breaks),
a header whose every column is known and appears once, and a bounded list of problems that
says how many there were in all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cxaudit.errors import MAX_LISTED
from cxaudit.textinput import first_bad_index, text_problem


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


class Unreadable(ValueError):
    """The bytes are not text cxaudit takes; `line` says where (1 = the first line)."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


def read_text(data: bytes) -> str:
    """The text of an uploaded CSV; raises Unreadable with the line when it is not UTF-8 or
    breaks cxaudit.textinput's rules (NUL, control characters)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            data.count(b"\n", 0, exc.start) + 1,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as 'CSV UTF-8' "
            "and upload it again",
        ) from exc
    if problem := text_problem(text):
        raise Unreadable(text.count("\n", 0, first_bad_index(text)) + 1, problem)
    return text


def decode(data: bytes, problems: Problems) -> str | None:
    """The text of an uploaded CSV, or None after naming the problem with its line."""
    try:
        return read_text(data)
    except Unreadable as exc:
        problems.add(f"line {exc.line}", exc.reason)
        return None


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
