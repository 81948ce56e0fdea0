"""Reading a responses CSV: the file, its header and each row, checked and cleaned with the same
rules as the form engine (surveys.cleaning, skip logic from surveys.scoring).

The format is documented in docs/formats.md ("Responses CSV"). Decisions made here:
- UTF-8 with or without a byte-order mark, following cxaudit.csvinput's rules (no NUL or other
  control character); anything else is refused with the line of the first bad byte. The
  delimiter is `,`, or `;` when the header holds more semicolons than commas.
- Line numbers are those of the file, the header being line 1 (a quoted cell spanning several
  lines counts them all; a row is named by the line it starts on). Blank lines are skipped.
- `submitted_at` is ISO 8601; without a UTC offset it is read in the site's time zone
  (settings.TIME_ZONE), a date alone meaning midnight there. A time in the future is refused.
- An answer to a question that skip logic hides for that row is refused rather than dropped:
  silently discarding data from another tool would lose it without anyone noticing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Final

from django.utils import timezone

from cxaudit.accounts.models import Location, Membership, Organization
from cxaudit.csvinput import Unreadable, read_text
from cxaudit.journeys.models import Wave

from ..cleaning import clean_answer
from ..question_types import UNANSWERED, AnswerError, CleanValue, QuestionSpec
from ..questionnaire.structure import Structure
from ..responses.models import Source
from ..responses.services import CleanSubmission
from ..scoring import visible_codes

MAX_BYTES: Final = 20 * 1024 * 1024
# Every problem is checked and counted; the list kept and shown stops here (a file where every
# row is wrong would otherwise make a list bigger than the file).
MAX_LISTED_ERRORS: Final = 2000
REQUIRED_COLUMNS: Final = ("source", "location", "wave", "submitted_at")
OPTIONAL_COLUMNS: Final = ("respondent",)
RESERVED_COLUMNS: Final = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
RESPONDENT_MAX: Final = 200
CLOCK_SKEW: Final = timedelta(minutes=5)


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: the whole file
    column: str
    reason: str

    def to_json(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class FileRejected(Exception):
    """The file cannot be read as a responses CSV at all (encoding, size, header); `errors` is
    bounded (MAX_LISTED_ERRORS) and `total` counts every problem."""

    def __init__(self, errors: list[RowError], *, total: int | None = None):
        self.errors = errors[:MAX_LISTED_ERRORS]
        self.total = max(total or 0, len(errors))
        super().__init__("; ".join(e.reason for e in self.errors[:5]))


def decode(data: bytes) -> str:
    """The file's text under cxaudit.csvinput's rules (UTF-8, no NUL or control character)."""
    if len(data) > MAX_BYTES:
        raise FileRejected([RowError(None, "", size_error(len(data)))])
    try:
        return read_text(data)
    except Unreadable as exc:
        raise FileRejected([RowError(exc.line, "", exc.reason)]) from exc


def size_error(size: int) -> str:
    return f"the file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB"


def delimiter_of(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) for every non-blank record, header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    next_line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRejected(
                [RowError(reader.line_num, "", f"not valid CSV ({exc}); check the quotes")]
            ) from exc
        line, next_line = next_line, reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


@dataclass(frozen=True)
class Columns:
    names: tuple[str, ...]  # as written in the header
    reserved: dict[str, int]  # reserved column -> index
    questions: dict[str, int]  # question code -> index


def read_header(cells: Sequence[str], structure: Structure) -> Columns:
    """The header's columns, or FileRejected naming every unknown, repeated or missing column
    (a bounded list, with the count of them all: a header of 100,000 unknown columns is one
    short list, not 100,000 stored errors)."""
    errors: list[RowError] = []
    total = 0

    def problem(error: RowError) -> None:
        nonlocal total
        total += 1
        if len(errors) < MAX_LISTED_ERRORS:
            errors.append(error)

    names = tuple(c.strip() for c in cells)
    present = {name.lower() for name in names}
    for col in REQUIRED_COLUMNS:  # first, so that a long list never hides them
        if col not in present:
            problem(RowError(1, col, "required column missing"))
    reserved: dict[str, int] = {}
    questions: dict[str, int] = {}
    for index, name in enumerate(names):
        key = name.lower()
        label = name[:60] or f"column {index + 1}"
        if key in RESERVED_COLUMNS:
            target, ident = reserved, key
        elif name in structure.questions:
            target, ident = questions, name
        else:
            reason = "empty column name" if not name else "not a question code of this survey"
            problem(RowError(1, label, reason))
            continue
        if ident in target:
            problem(RowError(1, label, "the column appears twice"))
        target[ident] = index
    if total:
        raise FileRejected(errors, total=total)
    return Columns(names=names, reserved=reserved, questions=questions)


@dataclass(frozen=True)
class Lookups:
    """The organisation's reference data, read once per import."""

    locations: dict[str, int]
    waves: dict[str, int]
    members: dict[str, int]  # email (case-folded) -> user id
    tz: tzinfo
    now: datetime

    @classmethod
    def load(cls, organization: Organization) -> Lookups:
        return cls(
            locations=dict(
                Location.objects.for_org(organization).values_list("code", "pk").order_by("pk")
            ),
            waves=dict(Wave.objects.for_org(organization).values_list("name", "pk").order_by("pk")),
            members={
                email.casefold(): user_id
                for email, user_id in Membership.objects.for_org(organization).values_list(
                    "user__email", "user_id"
                )
            },
            tz=timezone.get_default_timezone(),
            now=timezone.now(),
        )


def _find(table: Mapping[str, int], text: str) -> int | None:
    """Exact match first; then ignoring case when that names exactly one entry."""
    if text in table:
        return table[text]
    folded = [pk for key, pk in table.items() if key.casefold() == text.casefold()]
    return folded[0] if len(folded) == 1 else None


@dataclass(frozen=True)
class CleanRow:
    line: int
    source: str
    location_id: int
    wave_id: int
    submitted_at: datetime
    respondent_id: int | None
    respondent_ref: str
    submission: CleanSubmission


class RowReader:
    """Checks and cleans data rows; `clean` returns a CleanRow or the row's every problem."""

    def __init__(self, structure: Structure, columns: Columns, lookups: Lookups):
        self.structure = structure
        self.columns = columns
        self.lookups = lookups
        self.specs: dict[str, QuestionSpec] = {
            code: q.spec() for code, q in structure.questions.items()
        }
        self.width = len(columns.names)

    def clean(self, line: int, cells: list[str]) -> CleanRow | list[RowError]:
        errors: list[RowError] = []
        if len(cells) != self.width:
            return [
                RowError(
                    line,
                    "",
                    f"{len(cells)} cells but the header has {self.width} columns; check the "
                    "delimiters and quotes",
                )
            ]
        cell = {name: cells[i].strip() for name, i in self.columns.reserved.items()}

        source = cell["source"].lower()
        if source not in Source.values:
            errors.append(
                RowError(
                    line,
                    "source",
                    f"unknown source {cell['source']!r}; use customer, shopper or self",
                )
            )
        location_id = _find(self.lookups.locations, cell["location"])
        if location_id is None:
            reason = (
                f"no location with code {cell['location']!r} in this organisation"
                if cell["location"]
                else "a location code is required"
            )
            errors.append(RowError(line, "location", reason))
        wave_id = _find(self.lookups.waves, cell["wave"])
        if wave_id is None:
            reason = (
                f"no wave named {cell['wave']!r} in this organisation"
                if cell["wave"]
                else "a wave name is required"
            )
            errors.append(RowError(line, "wave", reason))
        submitted_at = self._timestamp(line, cell["submitted_at"], errors)
        respondent_ref = cell.get("respondent", "")
        if len(respondent_ref) > RESPONDENT_MAX:
            errors.append(
                RowError(line, "respondent", f"too long (max {RESPONDENT_MAX} characters)")
            )
        submission = self._answers(line, cells, errors)

        if errors:
            return errors
        return CleanRow(
            line=line,
            source=source,
            location_id=location_id,
            wave_id=wave_id,
            submitted_at=submitted_at,
            respondent_id=self.lookups.members.get(respondent_ref.casefold()),
            respondent_ref=respondent_ref,
            submission=submission,
        )

    def _timestamp(self, line: int, text: str, errors: list[RowError]) -> datetime | None:
        if not text:
            errors.append(RowError(line, "submitted_at", "a submission time is required"))
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            errors.append(
                RowError(
                    line,
                    "submitted_at",
                    f"not an ISO 8601 date/time ({text[:40]!r}); e.g. 2026-07-03T14:05:00+01:00",
                )
            )
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, self.lookups.tz)
        if moment > self.lookups.now + CLOCK_SKEW:
            errors.append(RowError(line, "submitted_at", "in the future"))
            return None
        return moment

    def _answers(
        self, line: int, cells: list[str], errors: list[RowError]
    ) -> CleanSubmission | None:
        """Mirrors surveys.responses.services.clean_submission, naming the column of each
        problem."""
        cleaned: dict[str, CleanValue] = {}
        bad: set[str] = set()
        given: set[str] = set()
        for code, spec in self.specs.items():
            index = self.columns.questions.get(code)
            raw = cells[index] if index is not None else ""
            if raw.strip():
                given.add(code)
            try:
                cleaned[code] = clean_answer(spec, raw, enforce_required=False)
            except AnswerError as exc:
                errors.append(RowError(line, code, exc.message))
                cleaned[code] = UNANSWERED
                bad.add(code)
        visible = visible_codes(self.structure.sections, cleaned)
        for code, spec in self.specs.items():
            if code in bad:
                continue
            if code in visible:
                if spec.required and not cleaned[code].answered:
                    errors.append(RowError(line, code, "an answer is required"))
            elif code in given:
                errors.append(
                    RowError(
                        line,
                        code,
                        "answered, but skip logic hides this question for this row "
                        "(leave the cell empty)",
                    )
                )
        return CleanSubmission(
            answers={c: v for c, v in cleaned.items() if c in visible and v.answered},
            visible=visible,
        )


# How each question type is written in a cell (shown on the upload page; docs/formats.md).
VALUE_SYNTAX: Final = {
    "yes_no": "yes / no (also y/n, true/false, 1/0)",
    "yes_no_na": "yes / no / NA",
    "rating": "a whole number on the question's scale",
    "nps": "a whole number 0–10",
    "csat": "a whole number 1–5",
    "ces": "a whole number 1–7",
    "single_choice": "one option value (or its label)",
    "multi_choice": "option values (or labels) separated by ; or |",
    "number": "a number with . as the decimal separator",
    "duration": "seconds, mm:ss or hh:mm:ss",
    "datetime": "ISO 8601, e.g. 2026-07-03T14:05 (no offset: the site's time zone)",
    "short_text": "text",
    "long_text": "text (quote cells with commas or line breaks)",
    "file": "a stored file name",
}


def value_syntax(spec: QuestionSpec) -> str:
    text = VALUE_SYNTAX.get(str(spec.type), "text")
    if spec.allow_na and spec.type != "yes_no_na":
        text += ", or NA"
    return text


def template_header(structure: Structure) -> list[str]:
    return [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *structure.questions]
