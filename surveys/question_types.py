"""Question types: the registry of what each type is, and how its answers compare.

Pure Python (no Django), so that forms, the CSV import, the definition-JSON validator and the
insights all share one definition of every type. Answers are cleaned into a :class:`CleanValue`
by ``surveys.cleaning.clean_answer``; :func:`normalise`, :func:`native` and :func:`agrees` read
it, and give None for N/A and unanswered everywhere. Scoring lives in ``surveys.scoring``.

=============  ======================  ===========  =========================  ==============
type           clean value             native       normalise (0-100)          agrees
=============  ======================  ===========  =========================  ==============
yes_no         bool                    yes 1, no 0  yes 100, no 0              yes
yes_no_na      bool (or N/A)           yes 1, no 0  yes 100, no 0              yes
rating         int in min..max         the number   (v-min)/(max-min)*100      top two values
nps            int in 0..10            the number   v*10                       9-10
csat           int in 1..5             the number   (v-1)/4*100                4-5
ces            int in 1..7             the number   (v-1)/6*100                5-7
single_choice  option value (str)      None         points/max points*100 (1)  None
multi_choice   tuple of option values  None         ticked/possible*100 (2)    None
number         float                   the number   met 100, not met 0 (3)     None
duration       float seconds           the number   met 100, not met 0 (3)     None
datetime       datetime                None         None                       None
short_text     str (max 255)           None         None                       None
long_text      str (max 5000)          None         None                       None
file           stored file name (str)  None         None                       None
=============  ======================  ===========  =========================  ==============

(1) None when no option carries points. (2) Sum of the ticked options' points over the sum of all
positive option points; None when that sum is 0. (3) None when the question has no target.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

NA_WORDS: Final = frozenset({"na", "n/a"})  # how N/A is written in forms and CSV cells
SHORT_TEXT_MAX: Final = 255
LONG_TEXT_MAX: Final = 5000
FILE_NAME_MAX: Final = 255


class QuestionType(enum.StrEnum):
    YES_NO = "yes_no"
    YES_NO_NA = "yes_no_na"
    RATING = "rating"
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"
    SINGLE_CHOICE = "single_choice"
    MULTI_CHOICE = "multi_choice"
    NUMBER = "number"
    DURATION = "duration"
    DATETIME = "datetime"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    FILE = "file"


class Kind(enum.StrEnum):
    """The family a type belongs to; the parsing and scoring rules are per family."""

    BOOLEAN = "boolean"
    SCALE = "scale"
    CHOICE = "choice"
    MEASURE = "measure"
    TEXT = "text"
    DATETIME = "datetime"
    FILE = "file"


@dataclass(frozen=True)
class TypeInfo:
    label: str
    kind: Kind
    fixed_scale: tuple[int, int] | None = None
    agrees_from: int | None = None  # lowest "agreeing" value of a fixed scale
    max_length: int | None = None


REGISTRY: Final[dict[QuestionType, TypeInfo]] = {
    QuestionType.YES_NO: TypeInfo("Yes / no", Kind.BOOLEAN),
    QuestionType.YES_NO_NA: TypeInfo("Yes / no / N/A", Kind.BOOLEAN),
    QuestionType.RATING: TypeInfo("Rating scale", Kind.SCALE),
    QuestionType.NPS: TypeInfo("Net Promoter Score (0-10)", Kind.SCALE, (0, 10), 9),
    QuestionType.CSAT: TypeInfo("Customer satisfaction (1-5)", Kind.SCALE, (1, 5), 4),
    # CES 2.0 is an agreement scale ("made it easy"), so 5-7 agree: three boxes, not two.
    QuestionType.CES: TypeInfo("Customer effort (1-7)", Kind.SCALE, (1, 7), 5),
    QuestionType.SINGLE_CHOICE: TypeInfo("Single choice", Kind.CHOICE),
    QuestionType.MULTI_CHOICE: TypeInfo("Multiple choice", Kind.CHOICE),
    QuestionType.NUMBER: TypeInfo("Number", Kind.MEASURE),
    QuestionType.DURATION: TypeInfo("Duration", Kind.MEASURE),
    QuestionType.DATETIME: TypeInfo("Date and time", Kind.DATETIME),
    QuestionType.SHORT_TEXT: TypeInfo("Short text", Kind.TEXT, max_length=SHORT_TEXT_MAX),
    QuestionType.LONG_TEXT: TypeInfo("Long text", Kind.TEXT, max_length=LONG_TEXT_MAX),
    QuestionType.FILE: TypeInfo("File / photo", Kind.FILE, max_length=FILE_NAME_MAX),
}

COMPARATORS: Final[dict[str, Callable[[float, float], bool]]] = {
    # Float answers come from decimal text, so "=" (and the equal half of <=, >=) tolerates the
    # representation error of a value typed as 0.3 versus one computed as 0.1 + 0.2.
    "<": lambda a, b: a < b and not _close(a, b),
    "<=": lambda a, b: a < b or _close(a, b),
    "=": lambda a, b: _close(a, b),
    ">=": lambda a, b: a > b or _close(a, b),
    ">": lambda a, b: a > b and not _close(a, b),
}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: float = 0.0


class ShowIfOperator(enum.StrEnum):
    """Skip-logic operators, evaluated by ``surveys.scoring.visible_codes``.

    equals / not_equals: the answer is / is not ``value`` (multi_choice: ``value`` is / is not
    ticked); in: the answer is one of the ``value`` list (multi_choice: any of them is ticked);
    answered: the question has an answer other than N/A (``value`` unused); gt / lt: the
    number is greater / less than ``value`` (scales, number, duration only). A condition on a
    hidden or unanswered question is never met; N/A only matches ``equals NA`` / ``in [NA]`` and
    ``not_equals`` anything else.
    """

    EQUALS = "equals"
    NOT_EQUALS = "not_equals"
    IN = "in"
    ANSWERED = "answered"
    GT = "gt"
    LT = "lt"


@dataclass(frozen=True)
class ShowIf:
    question_code: str
    operator: ShowIfOperator | str
    value: Any = None

    def __post_init__(self) -> None:
        # A list would make the enclosing frozen specs unhashable.
        if isinstance(self.value, list):
            object.__setattr__(self, "value", tuple(self.value))


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    type: QuestionType | str
    required: bool = False
    points: float = 1.0
    bonus: bool = False
    critical: bool = False
    options: tuple[Option, ...] = ()
    scale_min: int | None = None
    scale_max: int | None = None
    min_label: str = ""
    max_label: str = ""
    unit: str = ""
    target_value: float | None = None
    target_comparator: str | None = None
    allow_na: bool = False
    show_if: ShowIf | None = None
    max_length: int | None = None  # text questions: below the type's own limit

    def __post_init__(self) -> None:
        if isinstance(self.options, list):
            object.__setattr__(self, "options", tuple(self.options))

    @property
    def info(self) -> TypeInfo:
        """The registry entry of this question's type (ValueError for an unknown type)."""
        return REGISTRY[QuestionType(self.type)]

    @property
    def has_target(self) -> bool:
        """Whether a number/duration question carries a target to meet."""
        return self.target_value is not None and self.target_comparator is not None


@dataclass(frozen=True)
class CleanValue:
    """A cleaned answer: ``value`` is None when the answer is N/A or missing."""

    value: Any = None
    is_na: bool = False
    answered: bool = True

    def __post_init__(self) -> None:
        if self.is_na and (self.value is not None or not self.answered):
            raise ValueError("an N/A answer is answered and carries no value")
        if not self.answered and self.value is not None:
            raise ValueError("an unanswered value carries no value")

    def to_json(self) -> Any:
        """The JSON form, which :func:`clean_answer` reads back to an equal CleanValue."""
        if self.is_na:
            return "NA"
        if isinstance(self.value, tuple):
            return list(self.value)
        if isinstance(self.value, datetime):
            return self.value.isoformat()
        return self.value


UNANSWERED: Final = CleanValue(None, is_na=False, answered=False)
NA: Final = CleanValue(None, is_na=True, answered=True)


class AnswerError(ValueError):
    """An answer that cannot be accepted; ``message`` is safe to show next to the field."""

    def __init__(self, code: str, message: str, *, reason: str = "invalid") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code  # the question code
        self.message = message
        self.reason = reason  # machine-readable: required, out_of_range, not_a_number, ...


# -- spec validation ---------------------------------------------------------------------------

_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def scale_bounds(spec: QuestionSpec) -> tuple[int, int] | None:
    """The (min, max) of a scale question (rating defaults to 1-5), else None."""
    info = spec.info
    if info.fixed_scale is not None:
        return info.fixed_scale
    if info.kind is Kind.SCALE:
        lo = 1 if spec.scale_min is None else spec.scale_min
        hi = 5 if spec.scale_max is None else spec.scale_max
        return lo, hi
    return None


def max_points(spec: QuestionSpec) -> float:
    """Possible points of the question: its highest option value (0 = not scored)."""
    kind = spec.info.kind
    if kind in (Kind.BOOLEAN, Kind.SCALE):
        return float(spec.points)
    if kind is Kind.MEASURE:
        return float(spec.points) if spec.has_target else 0.0
    if spec.type == QuestionType.SINGLE_CHOICE:
        return max((float(o.points) for o in spec.options), default=0.0)
    if spec.type == QuestionType.MULTI_CHOICE:
        return math.fsum(float(o.points) for o in spec.options if o.points > 0)
    return 0.0


def is_number(x: object) -> bool:
    """Whether x is a finite int, float or Decimal (bool is not a number here)."""
    if isinstance(x, Decimal):
        return x.is_finite()
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def spec_errors(spec: QuestionSpec) -> list[str]:
    """Every problem with a question definition, each as "field: why"."""
    errors: list[str] = []
    if not isinstance(spec.code, str) or not _CODE_RE.fullmatch(spec.code):
        errors.append(
            "code: must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    try:
        qtype = QuestionType(spec.type)
    except ValueError:
        return [*errors, f"type: unknown question type {spec.type!r}"]
    info = REGISTRY[qtype]
    if not is_number(spec.points) or spec.points < 0:
        errors.append("points: must be a number >= 0")
        return errors  # the checks below need usable points

    bounds = scale_bounds(spec)
    if info.fixed_scale is not None:
        lo, hi = info.fixed_scale
        for name, fixed in (("scale_min", lo), ("scale_max", hi)):
            if getattr(spec, name) not in (None, fixed):
                errors.append(f"{name}: {qtype} is always {lo}\N{EN DASH}{hi}; leave it empty")
    elif bounds is not None:
        for name in ("scale_min", "scale_max"):
            if getattr(spec, name) is not None and not _is_int(getattr(spec, name)):
                errors.append(f"{name}: must be a whole number")
        if all(_is_int(b) for b in bounds) and bounds[0] >= bounds[1]:
            errors.append(f"scale_min: must be less than scale_max ({bounds[0]} >= {bounds[1]})")
    else:
        for name in ("scale_min", "scale_max", "min_label", "max_label"):
            if getattr(spec, name):
                errors.append(f"{name}: only rating, nps, csat and ces questions have a scale")

    if info.kind is Kind.CHOICE:
        errors += _option_errors(spec)
    elif spec.options:
        errors.append("options: only single_choice and multi_choice questions have options")

    errors += _target_errors(spec, qtype)
    errors += _length_errors(spec, info)

    if spec.bonus and spec.critical:
        errors.append("critical: a bonus question cannot be a knock-out")
    elif spec.bonus or spec.critical:
        field = "bonus" if spec.bonus else "critical"
        if not errors and max_points(spec) <= 0:
            errors.append(f"{field}: the question scores no points ({_why_unscored(spec)})")
    return errors


def _option_errors(spec: QuestionSpec) -> list[str]:
    if not spec.options:
        return [f"options: a {spec.type} question needs at least one option"]
    errors: list[str] = []
    seen: set[str] = set()
    for i, option in enumerate(spec.options):
        value = option.value
        if not isinstance(value, str) or not value.strip():
            errors.append(f"options[{i}].value: required")
            continue
        if value != value.strip() or ";" in value or "|" in value:
            errors.append(f"options[{i}].value: no surrounding spaces, ';' or '|' in {value!r}")
        if value.lower() in NA_WORDS:
            errors.append(f"options[{i}].value: {value!r} is reserved for N/A; use allow_na")
        if value.lower() in seen:
            errors.append(f"options[{i}].value: duplicate option value {value!r}")
        seen.add(value.lower())
        if not isinstance(option.label, str) or not option.label.strip():
            errors.append(f"options[{i}].label: required")
        if not is_number(option.points) or option.points < 0:
            errors.append(f"options[{i}].points: must be a number >= 0")
    return errors


def _target_errors(spec: QuestionSpec, qtype: QuestionType) -> list[str]:
    errors: list[str] = []
    value, comparator = spec.target_value, spec.target_comparator
    if spec.info.kind is not Kind.MEASURE:
        if value is not None or comparator is not None:
            errors.append("target_value: only number and duration questions have a target")
    elif value is None and comparator is not None:
        errors.append("target_value: required when target_comparator is set")
    elif value is not None and comparator is None:
        errors.append("target_comparator: required when target_value is set")
    elif value is not None:
        if comparator not in COMPARATORS:
            errors.append(
                f"target_comparator: unknown comparator {comparator!r} (use <, <=, =, >=, >)"
            )
        if not is_number(value):
            errors.append("target_value: must be a number")
        elif qtype == QuestionType.DURATION and value < 0:
            errors.append("target_value: a duration cannot be negative")
        if qtype == QuestionType.NUMBER and not (spec.unit or "").strip():
            errors.append("unit: a number question with a target needs a unit")
    if spec.unit and qtype != QuestionType.NUMBER:
        errors.append("unit: only number questions have a unit (durations are in seconds)")
    return errors


def _length_errors(spec: QuestionSpec, info: TypeInfo) -> list[str]:
    if spec.max_length is None:
        return []
    if info.kind is not Kind.TEXT:
        return ["max_length: only short_text and long_text questions have a maximum length"]
    limit = info.max_length or 0
    if not _is_int(spec.max_length) or not 1 <= spec.max_length <= limit:
        return [f"max_length: must be a whole number from 1 to {limit}"]
    return []


def text_limit(spec: QuestionSpec) -> int | None:
    """The longest answer a text or file question takes, in characters."""
    if spec.info.kind is Kind.TEXT and spec.max_length:
        return spec.max_length
    return spec.info.max_length


def _why_unscored(spec: QuestionSpec) -> str:
    kind = spec.info.kind
    if kind is Kind.MEASURE:
        return "no target"
    if kind is Kind.CHOICE:
        return "no option carries points"
    if kind in (Kind.BOOLEAN, Kind.SCALE):
        return "points is 0"
    return f"{spec.type} questions are not scored"


# -- comparison across perspectives ------------------------------------------------------------


def target_met(spec: QuestionSpec, number: float) -> bool | None:
    """Whether a number/duration meets the question's target (None without a target)."""
    if not spec.has_target:
        return None
    compare = COMPARATORS[str(spec.target_comparator)]
    return compare(float(number), float(spec.target_value))


def _clamp(x: float) -> float:
    return min(100.0, max(0.0, x))


def chosen_points(spec: QuestionSpec, value: Any) -> float:
    """Points earned by the chosen (single) or ticked (multi) options."""
    points = {o.value: float(o.points) for o in spec.options}
    if spec.type == QuestionType.MULTI_CHOICE:
        return math.fsum(points.get(v, 0.0) for v in value)
    return points.get(value, 0.0)


def normalise(spec: QuestionSpec, answer: CleanValue) -> float | None:
    """The answer on the common 0-100 scale (see the module table), or None."""
    if not answer.answered or answer.is_na:
        return None
    kind, value = spec.info.kind, answer.value
    if kind is Kind.BOOLEAN:
        return 100.0 if value else 0.0
    if kind is Kind.SCALE:
        lo, hi = scale_bounds(spec) or (0, 0)
        return _clamp((value - lo) / (hi - lo) * 100) if hi > lo else None
    if kind is Kind.CHOICE:
        best = max_points(spec)
        return _clamp(chosen_points(spec, value) / best * 100) if best > 0 else None
    if kind is Kind.MEASURE:
        met = target_met(spec, value)
        return None if met is None else (100.0 if met else 0.0)
    return None


def native(spec: QuestionSpec, answer: CleanValue) -> float | None:
    """The answer on the question's own scale, for means (yes 1 / no 0), or None."""
    if not answer.answered or answer.is_na:
        return None
    kind = spec.info.kind
    if kind is Kind.BOOLEAN:
        return 1.0 if answer.value else 0.0
    if kind in (Kind.SCALE, Kind.MEASURE):
        return float(answer.value)
    return None


def agrees(spec: QuestionSpec, answer: CleanValue) -> bool | None:
    """Top-box agreement (yes; top two of a rating; NPS 9-10; CSAT 4-5; CES 5-7), or None."""
    if not answer.answered or answer.is_na:
        return None
    info = spec.info
    if info.kind is Kind.BOOLEAN:
        return bool(answer.value)
    if info.kind is Kind.SCALE:
        _, hi = scale_bounds(spec) or (0, 0)
        threshold = info.agrees_from if info.agrees_from is not None else hi - 1
        return answer.value >= threshold
    return None
