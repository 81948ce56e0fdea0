"""Answer cleaning: turn what a form, a CSV cell or a JSON document holds into a CleanValue.

Conventions shared by every entry point: an empty string, None or an empty list is unanswered;
``NA`` or ``N/A`` (any case) is N/A, accepted only by yes_no_na and questions with ``allow_na``
(free text saying "NA" stays text unless the question offers N/A); yes/no accept
yes/no/true/false/y/n/1/0; multi_choice takes a list or a ``;``/``|``-separated string; choices
match the option value, then its value ignoring case, then its label ignoring case; duration takes
seconds, ``mm:ss`` or ``hh:mm:ss``; datetime takes ISO 8601 (a date alone means midnight, and the
timezone is kept as given); numbers use ``.`` as the decimal separator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from cxaudit.textinput import text_problem
from surveys.question_types import (
    NA,
    NA_WORDS,
    UNANSWERED,
    AnswerError,
    CleanValue,
    Kind,
    QuestionSpec,
    QuestionType,
    is_number,
    scale_bounds,
    text_limit,
)

_YES: Final = frozenset({"yes", "y", "true", "1"})
_NO: Final = frozenset({"no", "n", "false", "0"})
# ASCII only: float() and int() do not accept every character that \d matches in Unicode mode.
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_MMSS_RE = re.compile(r"(\d+):([0-5]?\d(?:\.\d+)?)", re.ASCII)
_HHMMSS_RE = re.compile(r"(\d+):([0-5]?\d):([0-5]?\d(?:\.\d+)?)", re.ASCII)


def _show(raw: object) -> str:
    text = str(raw)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def clean_answer(spec: QuestionSpec, raw: Any, *, enforce_required: bool = True) -> CleanValue:
    """Parse a form string, CSV cell or JSON value into a CleanValue, or raise AnswerError."""
    info = spec.info
    if isinstance(raw, str):
        raw = raw.strip()
    elif isinstance(raw, list | tuple) and spec.type != QuestionType.MULTI_CHOICE and len(raw) <= 1:
        # A form's getlist() or a one-element JSON list for a scalar question.
        raw = raw[0] if raw else None
        if isinstance(raw, str):
            raw = raw.strip()

    if raw is None or raw == "" or (isinstance(raw, list | tuple) and not raw):
        result = UNANSWERED
    elif _is_na_word(raw) and not (info.kind is Kind.TEXT and not spec.allow_na):
        # Free text saying "NA" is kept as text unless the question offers N/A.
        if spec.type != QuestionType.YES_NO_NA and not spec.allow_na:
            raise AnswerError(spec.code, "N/A is not allowed for this question", reason="na")
        result = NA
    else:
        result = _PARSERS[info.kind](spec, raw)

    # Drafts, and questions hidden by skip logic, may leave a required question empty.
    if not result.answered and spec.required and enforce_required:
        raise AnswerError(spec.code, "required: this question needs an answer", reason="required")
    return result


def _is_na_word(raw: object) -> bool:
    if isinstance(raw, list | tuple) and len(raw) == 1:
        raw = raw[0]
    return isinstance(raw, str) and raw.strip().lower() in NA_WORDS


def _expect_scalar(spec: QuestionSpec, raw: object) -> None:
    if isinstance(raw, list | tuple):
        raise AnswerError(spec.code, f"expected one answer, got {len(raw)} values")
    if not isinstance(raw, str | int | float | Decimal | bool | datetime | date):
        raise AnswerError(spec.code, f"unsupported value of type {type(raw).__name__}")


def _parse_boolean(spec: QuestionSpec, raw: Any) -> CleanValue:
    _expect_scalar(spec, raw)
    if isinstance(raw, bool):
        return CleanValue(raw)
    if is_number(raw) and raw in (0, 1):
        return CleanValue(bool(raw))
    word = str(raw).lower()
    if word in _YES or word in _NO:
        return CleanValue(word in _YES)
    hint = " or N/A" if spec.type == QuestionType.YES_NO_NA or spec.allow_na else ""
    raise AnswerError(spec.code, f"not yes or no{hint} ({_show(raw)})", reason="invalid_choice")


def _to_number(spec: QuestionSpec, raw: Any) -> float:
    _expect_scalar(spec, raw)
    if isinstance(raw, str):
        if not _NUMBER_RE.fullmatch(raw):
            hint = "; use '.' as the decimal separator" if "," in raw else ""
            raise AnswerError(
                spec.code, f"not a number ({_show(raw)}){hint}", reason="not_a_number"
            )
    elif isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
        raise AnswerError(spec.code, f"not a number ({_show(raw)})", reason="not_a_number")
    try:
        number = float(raw)
    except (ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):
        raise AnswerError(spec.code, f"not a finite number ({_show(raw)})", reason="not_a_number")
    return number


def _parse_scale(spec: QuestionSpec, raw: Any) -> CleanValue:
    number = _to_number(spec, raw)
    if not number.is_integer():
        raise AnswerError(spec.code, f"not a whole number ({_show(raw)})", reason="not_a_number")
    lo, hi = scale_bounds(spec) or (0, 0)
    if not lo <= number <= hi:
        raise AnswerError(
            spec.code, f"out of range {lo}\N{EN DASH}{hi} ({_show(raw)})", reason="out_of_range"
        )
    return CleanValue(int(number))


def _parse_measure(spec: QuestionSpec, raw: Any) -> CleanValue:
    if spec.type == QuestionType.NUMBER:
        return CleanValue(_to_number(spec, raw))
    if isinstance(raw, str) and ":" in raw:
        match = _HHMMSS_RE.fullmatch(raw) or _MMSS_RE.fullmatch(raw)
        if match:
            *whole, fraction = match.groups()
            minutes = 0.0
            for part in whole:  # hours then minutes, or just minutes
                minutes = minutes * 60 + float(part)
            seconds = minutes * 60 + float(fraction)
            if not math.isfinite(seconds):
                raise AnswerError(
                    spec.code, f"too long a duration ({_show(raw)})", reason="out_of_range"
                )
        else:
            raise AnswerError(
                spec.code,
                f"not a duration ({_show(raw)}); use seconds, mm:ss or hh:mm:ss",
                reason="not_a_number",
            )
    else:
        seconds = _to_number(spec, raw)
    if seconds < 0:
        raise AnswerError(spec.code, "a duration cannot be negative", reason="out_of_range")
    return CleanValue(float(seconds))


def _match_option(spec: QuestionSpec, raw: object) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    text = str(raw).strip()
    for option in spec.options:
        if option.value == text:
            return option.value
    # CSV exports of other tools often carry a different case, or the label instead of the code.
    folded = text.casefold()
    for option in spec.options:
        if option.value.casefold() == folded:
            return option.value
    for option in spec.options:
        if option.label.strip().casefold() == folded:
            return option.value
    return None


def _unknown_option(spec: QuestionSpec, raw: object) -> AnswerError:
    known = ", ".join(o.value for o in spec.options[:10])
    more = ", ..." if len(spec.options) > 10 else ""
    return AnswerError(
        spec.code,
        f"unknown option {_show(raw)} (expected one of {known}{more})",
        reason="unknown_option",
    )


def _parse_choice(spec: QuestionSpec, raw: Any) -> CleanValue:
    if spec.type == QuestionType.SINGLE_CHOICE:
        if isinstance(raw, list | tuple):
            if len(raw) != 1:
                raise AnswerError(spec.code, f"choose one option, not {len(raw)}")
            raw = raw[0]
        value = _match_option(spec, raw)
        if value is None:
            raise _unknown_option(spec, raw)
        return CleanValue(value)

    if isinstance(raw, str):
        items: list[Any] = re.split(r"[;|]", raw)
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        items = [raw]
    items = [i.strip() if isinstance(i, str) else i for i in items]
    items = [i for i in items if i is not None and i != ""]
    if not items:
        return UNANSWERED
    if any(_is_na_word(i) for i in items):
        raise AnswerError(spec.code, "N/A cannot be ticked together with options", reason="na")
    chosen: set[str] = set()
    for item in items:
        value = _match_option(spec, item)
        if value is None:
            raise _unknown_option(spec, item)
        chosen.add(value)
    # Canonical order is the definition order, so equal answers compare equal.
    return CleanValue(tuple(o.value for o in spec.options if o.value in chosen))


def _parse_text(spec: QuestionSpec, raw: Any) -> CleanValue:
    _expect_scalar(spec, raw)
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise AnswerError(spec.code, f"not text ({_show(raw)})")
    # Browsers send textarea newlines as CRLF; count and store them as one character.
    text = str(raw).replace("\r\n", "\n")
    _check_text(spec, text)
    return CleanValue(text)


def _check_text(spec: QuestionSpec, text: str) -> None:
    if problem := text_problem(text):  # cxaudit.textinput: the same rules as every input
        raise AnswerError(spec.code, problem)
    limit = text_limit(spec)
    if limit is not None and len(text) > limit:
        raise AnswerError(
            spec.code, f"too long (max {limit} characters, got {len(text)})", reason="too_long"
        )


def _parse_datetime(spec: QuestionSpec, raw: Any) -> CleanValue:
    _expect_scalar(spec, raw)
    if isinstance(raw, datetime):
        return CleanValue(raw)
    if isinstance(raw, date):
        # Naive like a date-only ISO string; the form layer applies the organisation's timezone.
        return CleanValue(datetime(raw.year, raw.month, raw.day))
    if isinstance(raw, str):
        try:
            return CleanValue(datetime.fromisoformat(raw))
        except ValueError:
            pass
    raise AnswerError(spec.code, f"not an ISO 8601 date/time ({_show(raw)})")


def _parse_file(spec: QuestionSpec, raw: Any) -> CleanValue:
    _expect_scalar(spec, raw)
    if not isinstance(raw, str):
        raise AnswerError(spec.code, f"not a file name ({_show(raw)})")
    # A CSV import must not be able to point an answer at a file outside the storage.
    if raw.startswith("/") or "\\" in raw or ".." in raw.split("/"):
        raise AnswerError(spec.code, f"not a stored file name ({_show(raw)})")
    _check_text(spec, raw)
    return CleanValue(raw)


_PARSERS: Final[dict[Kind, Callable[[QuestionSpec, Any], CleanValue]]] = {
    Kind.BOOLEAN: _parse_boolean,
    Kind.SCALE: _parse_scale,
    Kind.CHOICE: _parse_choice,
    Kind.MEASURE: _parse_measure,
    Kind.TEXT: _parse_text,
    Kind.DATETIME: _parse_datetime,
    Kind.FILE: _parse_file,
}
