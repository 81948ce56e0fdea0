"""Reading and validating an untrusted survey definition document.

Every problem is collected as ``(path, reason)`` with a JSON path such as
``sections[1].questions[3].config.scale_max`` before anything is written. The meaning of a
question's settings is checked by ``question_types.spec_errors`` (the same check the builder and
publishing use), skip logic by the scoring engine's own condition parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from cxaudit.accounts.models import Organization
from cxaudit.journeys.models import Standard
from cxaudit.textinput import text_problem

from ...question_types import (
    COMPARATORS,
    UNANSWERED,
    AnswerError,
    QuestionSpec,
    QuestionType,
    ShowIfOperator,
    is_number,
    spec_errors,
)
from ...scoring import condition_met
from ..models import ASPECTS_BY_KIND, Aspect, Question, Survey, show_if_from_json
from .export import (
    CONFIG_KEYS,
    FORMAT,
    FORMAT_VERSION,
    OPTION_KEYS,
    QUESTION_KEYS,
    SCORING_KEYS,
    SECTION_KEYS,
    SHOW_IF_KEYS,
    TOP_KEYS,
)

MAX_QUESTIONS: Final = 1000
MAX_SECTIONS: Final = 200
MAX_OPTIONS: Final = 100
MAX_SCALE_SPAN: Final = 100
MAX_POINTS: Final = 1_000_000
MAX_WEIGHT: Final = Decimal("99999.999")
LIMITS: Final = {  # longest text per field, in characters
    "title": 200,
    "description": 10_000,
    "text": 2_000,
    "help_text": 2_000,
    "label": 200,
    "min_label": 100,
    "max_label": 100,
    "unit": 30,
}
CODE_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
CODE_RULE: Final = "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit"
_POSITION_HINT: Final = "; the order of the list is the order in the survey"

Error = tuple[str, str]


def join(prefix: str, name: str) -> str:
    """`prefix.name`, or `name` alone at the top."""
    return f"{prefix}.{name}" if prefix else name


# -- small readers -------------------------------------------------------------------------------


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class Checker:
    """Collects errors while reading an untrusted document."""

    errors: list[Error] = field(default_factory=list)

    def add(self, path: str, reason: str) -> None:
        self.errors.append((path or "(document)", reason))

    def obj(self, value: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, f"must be an object, not {_kind(value)}")
            return None
        for key in value:
            if key not in keys:
                hint = _POSITION_HINT if key in ("position", "order") else ""
                self.add(join(path, str(key)), f"unknown field{hint}")
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str:
        value = data.get(key)
        where = join(path, key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(where, f"must be text, not {_kind(value)}")
            return ""
        if required and not value.strip():
            self.add(where, "required")
        limit = LIMITS.get(key)
        if limit is not None and len(value) > limit:
            self.add(where, f"too long ({len(value)} characters; the limit is {limit})")
        if problem := text_problem(value):
            self.add(where, problem)
        return value

    def flag(self, data: Mapping[str, Any], key: str, path: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(join(path, key), f"must be true or false, not {_kind(value)}")
            return default
        return value

    def choice(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        choices: list[str],
        default: str | None,
    ) -> str:
        value = data.get(key)
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or value not in choices:
            got = "required" if value is None else f"not {_show(value)}"
            self.add(join(path, key), f"must be one of {', '.join(choices)} ({got})")
            return default or ""
        return value

    def code(self, data: Mapping[str, Any], key: str, path: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not CODE_RE.fullmatch(value):
            reason = "required" if value in (None, "") else f"{CODE_RULE} (got {_show(value)})"
            self.add(join(path, key), reason)
            return ""
        return value


def _spec_path(message: str) -> tuple[str, str]:
    """Split a `spec_errors` message ("field: why") into a path relative to the question."""
    name, _, reason = message.partition(": ")
    root = name.split("[", 1)[0].split(".", 1)[0]
    return (f"config.{name}" if root in CONFIG_KEYS else name), reason


# -- questions -----------------------------------------------------------------------------------


def check_config(chk: Checker, value: Any, path: str) -> dict[str, Any]:
    """Type-check a config object (its meaning is checked by `spec_errors`)."""
    if value is None:
        return {}
    config = chk.obj(value, path, CONFIG_KEYS)
    if config is None:
        return {}
    out: dict[str, Any] = {}
    if config.get("options") is not None:
        options = _check_options(chk, config["options"], join(path, "options"))
        if options:
            out["options"] = options
    v = config.get("max_length")
    if v is not None:
        if isinstance(v, bool) or not isinstance(v, int):
            chk.add(join(path, "max_length"), f"must be a whole number, not {_show(v)}")
        else:
            out["max_length"] = v
    for key in ("scale_min", "scale_max"):
        v = config.get(key)
        if v is None:
            continue
        if not (isinstance(v, int) and not isinstance(v, bool)):
            chk.add(join(path, key), f"must be a whole number, not {_show(v)}")
        elif abs(v) > 1000:
            chk.add(join(path, key), "must be between -1000 and 1000")
        else:
            out[key] = v
    lo, hi = out.get("scale_min"), out.get("scale_max")
    if lo is not None and hi is not None and hi - lo > MAX_SCALE_SPAN:
        chk.add(
            join(path, "scale_max"),
            f"a scale has at most {MAX_SCALE_SPAN + 1} points ({lo} to {hi} is too wide)",
        )
    for key in ("min_label", "max_label", "unit"):
        text = chk.text(config, key, path)
        if text.strip():
            out[key] = text.strip()
    if config.get("target_value") is not None:
        v = config["target_value"]
        if not is_number(v) or abs(v) > 1e12:
            chk.add(join(path, "target_value"), f"must be a number, not {_show(v)}")
        else:
            out["target_value"] = v
    if config.get("target_comparator") is not None:
        v = config["target_comparator"]
        if not isinstance(v, str) or v not in COMPARATORS:
            chk.add(
                join(path, "target_comparator"),
                f"must be one of {', '.join(COMPARATORS)}, not {_show(v)}",
            )
        else:
            out["target_comparator"] = v
    if chk.flag(config, "allow_na", path):
        out["allow_na"] = True
    return out


def _check_options(chk: Checker, options: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(options, list):
        chk.add(where, f"must be a list, not {_kind(options)}")
        return []
    if len(options) > MAX_OPTIONS:
        chk.add(where, f"too many options ({len(options)}; the limit is {MAX_OPTIONS})")
        return []
    cleaned = []
    for i, raw in enumerate(options):
        opath = f"{where}[{i}]"
        option = chk.obj(raw, opath, OPTION_KEYS)
        if option is None:
            continue
        value = option.get("value")
        if not isinstance(value, str):
            chk.add(join(opath, "value"), f"must be text, not {_kind(value)}")
            continue
        label = chk.text(option, "label", opath)
        points = option.get("points", 0)
        if not is_number(points) or not 0 <= points <= MAX_POINTS:
            chk.add(join(opath, "points"), f"must be a number from 0 to {MAX_POINTS:,}")
            continue
        cleaned.append({"value": value, "label": label, "points": points})
    return cleaned


@dataclass
class CheckedQuestion:
    """A question read from a document: its fields ready for the model, and its spec."""

    fields: dict[str, Any]
    spec: QuestionSpec | None  # None when the question has errors


def check_question(
    chk: Checker, value: Any, path: str, *, standards: Mapping[str, Standard]
) -> CheckedQuestion | None:
    """Read one question; the show-if condition is checked later by `check_show_if`."""
    data = chk.obj(value, path, QUESTION_KEYS)
    if data is None:
        return None
    before = len(chk.errors)
    code = chk.code(data, "code", path)
    qtype = data.get("type")
    if not isinstance(qtype, str) or qtype not in set(QuestionType):
        chk.add(
            join(path, "type"),
            "required"
            if qtype is None
            else f"unknown question type {_show(qtype)} (use one of {', '.join(QuestionType)})",
        )
        qtype = None
    text = chk.text(data, "text", path, required=True)
    help_text = chk.text(data, "help_text", path)
    required = chk.flag(data, "required", path)
    bonus = chk.flag(data, "bonus", path)
    critical = chk.flag(data, "critical", path)
    points = data.get("points", 1)
    if points is None:
        points = 1
    if not is_number(points) or not 0 <= points <= MAX_POINTS:
        chk.add(join(path, "points"), f"must be a number from 0 to {MAX_POINTS:,}")
        points = 1
    standard = None
    std_code = data.get("standard")
    if std_code is not None:
        if not isinstance(std_code, str):
            chk.add(join(path, "standard"), f"must be a standard's code, not {_kind(std_code)}")
        else:
            standard = standards.get(std_code)
            if standard is None:
                chk.add(
                    join(path, "standard"),
                    f"unknown standard {_show(std_code)} (no standard with this code in the "
                    "organisation)",
                )
    aspect = data.get("aspect") or ""
    if aspect not in ("", *Aspect.values):
        chk.add(
            join(path, "aspect"), f"must be perception, expectation or null, not {_show(aspect)}"
        )
        aspect = ""
    config = check_config(chk, data.get("config"), join(path, "config"))
    fields = {
        "code": code,
        "type": qtype or "",
        "text": text,
        "help_text": help_text,
        "required": required,
        "points": float(points),
        "bonus": bonus,
        "critical": critical,
        "standard": standard,
        "aspect": aspect,
        "config": config,
    }
    spec = None
    if qtype is not None and len(chk.errors) == before:
        # Question.spec() is what the form engine and scoring read; build the spec the same way.
        spec = Question(**fields).spec()
        for message in spec_errors(spec):
            rel, reason = _spec_path(message)
            chk.add(join(path, rel), reason)
        if len(chk.errors) != before:
            spec = None
    return CheckedQuestion(fields=fields, spec=spec)


def check_show_if(
    chk: Checker,
    value: Any,
    path: str,
    *,
    earlier: Mapping[str, QuestionSpec | None],
    all_codes: set[str],
    own_code: str | None = None,
    section_codes: set[str] = frozenset(),  # type: ignore[assignment]
) -> dict[str, Any] | None:
    """Read a condition; it may only look at an earlier question (`earlier` maps code → spec,
    None when that question has errors of its own)."""
    if value is None:
        return None
    data = chk.obj(value, path, SHOW_IF_KEYS)
    if data is None:
        return None
    code, operator = data.get("question"), data.get("operator")
    ok = True
    if not isinstance(code, str) or not code:
        chk.add(join(path, "question"), "required: the code of an earlier question")
        ok = False
    elif code not in earlier:
        if own_code is not None and code == own_code:
            reason = "a question cannot depend on its own answer"
        elif code in section_codes:
            reason = (
                f"{code!r} is in this section; a section's condition can only use a question "
                "of an earlier section"
            )
        elif code in all_codes:
            reason = (
                f"{code!r} comes later in the survey; a condition can only use an earlier question"
            )
        else:
            reason = f"no question {code!r} in this survey"
        chk.add(join(path, "question"), reason)
        ok = False
    if not isinstance(operator, str) or operator not in set(ShowIfOperator):
        chk.add(
            join(path, "operator"),
            f"must be one of {', '.join(ShowIfOperator)}, not {_show(operator)}",
        )
        ok = False
    out: dict[str, Any] = {"question": code, "operator": operator}
    if operator != ShowIfOperator.ANSWERED:
        out["value"] = data.get("value")
    elif data.get("value") is not None:
        chk.add(join(path, "value"), "leave it out: 'answered' needs no value")
        ok = False
    ref = earlier.get(code) if ok else None
    if ref is not None:
        try:
            condition_met(show_if_from_json(out), ref, UNANSWERED)
        except AnswerError as exc:
            chk.add(join(path, "value"), f"not a possible answer to {code!r}: {exc.message}")
        except (ValueError, TypeError) as exc:
            rel, reason = _spec_path(str(exc))
            chk.add(join(path, rel), reason)
    return out


def check_weight(chk: Checker, value: Any, path: str) -> Decimal | None:
    if value is None:
        return None
    if not is_number(value):
        chk.add(path, f"must be a number >= 0 or null, not {_show(value)}")
        return None
    try:
        weight = Decimal(str(value))
    except InvalidOperation:  # pragma: no cover - is_number let it through
        chk.add(path, "must be a number")
        return None
    if weight < 0 or weight > MAX_WEIGHT:
        chk.add(path, f"must be between 0 and {MAX_WEIGHT}")
        return None
    if weight != weight.quantize(Decimal("0.001"), rounding="ROUND_DOWN"):
        chk.add(path, "at most 3 decimal places")
        return None
    return weight


# -- the whole document --------------------------------------------------------------------------


@dataclass
class CheckedSurvey:
    fields: dict[str, Any]
    sections: list[tuple[dict[str, Any], list[dict[str, Any]]]]
    errors: list[Error]


def _survey_fields(chk: Checker, top: Mapping[str, Any]) -> dict[str, Any]:
    if top.get("format") != FORMAT:
        chk.add("format", f"must be {FORMAT!r} (got {_show(top.get('format'))})")
    version = top.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        chk.add(
            "format_version",
            f"this cxaudit reads version {FORMAT_VERSION} of the format, not {_show(version)}",
        )
    fields: dict[str, Any] = {
        "code": chk.code(top, "code", ""),
        "title": chk.text(top, "title", "", required=True).strip(),
        "description": chk.text(top, "description", ""),
        "kind": chk.choice(top, "kind", "", Survey.Kind.values, None),
        "paging": chk.choice(top, "paging", "", Survey.Paging.values, Survey.Paging.SECTIONS),
        "keep_photo_location": chk.flag(top, "keep_photo_location", ""),
    }
    scoring = top.get("scoring")
    scoring = (chk.obj(scoring, "scoring", SCORING_KEYS) if scoring is not None else None) or {}
    fields["na_policy"] = chk.choice(
        scoring, "na_policy", "scoring", Survey.NaPolicy.values, Survey.NaPolicy.OMIT
    )
    fields["bonus_cap"] = chk.flag(scoring, "bonus_cap", "scoring", default=True)
    fields["critical_scope"] = chk.choice(
        scoring,
        "critical_scope",
        "scoring",
        Survey.CriticalScope.values,
        Survey.CriticalScope.SECTION,
    )
    return fields


def _question_codes(raw_sections: list[Any]) -> list[set[str]]:
    return [
        {
            q["code"]
            for q in s["questions"]
            if isinstance(q, dict) and isinstance(q.get("code"), str)
        }
        if isinstance(s, dict) and isinstance(s.get("questions"), list)
        else set()
        for s in raw_sections
    ]


def check_definition(data: Any, *, organization: Organization) -> CheckedSurvey:
    """Validate a whole document; collect every problem before anything is written."""
    chk = Checker()
    top = chk.obj(data, "", TOP_KEYS)
    if top is None:
        return CheckedSurvey({}, [], chk.errors)
    fields = _survey_fields(chk, top)

    raw_sections = top.get("sections")
    if not isinstance(raw_sections, list):
        chk.add("sections", f"must be a list of sections, not {_kind(raw_sections)}")
        return CheckedSurvey(fields, [], chk.errors)
    if len(raw_sections) > MAX_SECTIONS:
        chk.add("sections", f"too many sections ({len(raw_sections)}; the limit is {MAX_SECTIONS})")
        return CheckedSurvey(fields, [], chk.errors)
    codes_by_section = _question_codes(raw_sections)
    total = sum(
        len(s["questions"])
        for s in raw_sections
        if isinstance(s, dict) and isinstance(s.get("questions"), list)
    )
    if total > MAX_QUESTIONS:
        chk.add("sections", f"too many questions ({total}; the limit is {MAX_QUESTIONS})")
        return CheckedSurvey(fields, [], chk.errors)

    standards = {s.code: s for s in Standard.objects.for_org(organization)}
    all_codes = set().union(*codes_by_section)
    earlier: dict[str, QuestionSpec | None] = {}
    first_seen: dict[str, str] = {}
    sections: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for i, raw_section in enumerate(raw_sections):
        spath = f"sections[{i}]"
        section = chk.obj(raw_section, spath, SECTION_KEYS)
        if section is None:
            continue
        sfields = {
            "title": chk.text(section, "title", spath, required=True).strip(),
            "description": chk.text(section, "description", spath),
            "weight": check_weight(chk, section.get("weight"), join(spath, "weight")),
            "show_if": check_show_if(
                chk,
                section.get("show_if"),
                join(spath, "show_if"),
                earlier=earlier,
                all_codes=all_codes,
                section_codes=codes_by_section[i],
            ),
        }
        raw_questions = section.get("questions", [])
        if not isinstance(raw_questions, list):
            chk.add(join(spath, "questions"), f"must be a list, not {_kind(raw_questions)}")
            raw_questions = []
        questions: list[dict[str, Any]] = []
        for j, raw_question in enumerate(raw_questions):
            qpath = f"{spath}.questions[{j}]"
            checked = check_question(chk, raw_question, qpath, standards=standards)
            if checked is None:
                continue
            aspect = checked.fields["aspect"]
            if aspect and aspect not in ASPECTS_BY_KIND.get(fields["kind"] or "", {aspect: ""}):
                chk.add(
                    join(qpath, "aspect"),
                    f"a {fields['kind']} survey has no {aspect} aspect: a mystery shopper's "
                    "answers are observations (perception)",
                )
            code = checked.fields["code"]
            folded = code.casefold()
            if code and folded in first_seen:
                chk.add(
                    join(qpath, "code"),
                    f"duplicate question code {code!r} (also at {first_seen[folded]}; codes "
                    "ignore case)",
                )
            elif code:
                first_seen[folded] = qpath
            checked.fields["show_if"] = check_show_if(
                chk,
                raw_question.get("show_if"),
                join(qpath, "show_if"),
                earlier=earlier,
                all_codes=all_codes,
                own_code=code,
            )
            if code and code not in earlier:
                earlier[code] = checked.spec
            questions.append(checked.fields)
        sections.append((sfields, questions))
    return CheckedSurvey(fields, sections, chk.errors)


_PATH_RE = re.compile(r"^sections\[(\d+)\](?:\.questions\[(\d+)\])?(?:\.(.+))?$")


def describe_path(path: str, definition: Any) -> str:
    """A path as people read it: `Section 2 “Service” › question Q4 › config.scale_max`."""
    match = _PATH_RE.match(path)
    if not match:
        return path
    try:
        section = definition["sections"][int(match[1])]
        title = section.get("title") or "(untitled)"
        parts = [f"Section {int(match[1]) + 1} “{title}”"]
        if match[2] is not None:
            question = section["questions"][int(match[2])]
            parts.append(f"question {question.get('code') or int(match[2]) + 1}")
    except (KeyError, IndexError, TypeError, AttributeError):
        return path
    if match[3]:
        parts.append(match[3])
    return " › ".join(parts)
