"""Journey definition JSON: export, validation and import (format documented in docs/formats.md).

A file holds one journey (`"journey": {...}`) or several (`"journeys": [...]`). Import first
validates the whole file and collects every problem as `(path, reason)`, with paths in the
file's own terms (`journey.stages[2].touchpoints[0].standards[1].target.comparator`, 0-based
array indices); only a file without problems is written, in one transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from cxaudit.accounts.models import Organization
from cxaudit.errors import ValidationFailed
from cxaudit.jsoninput import parse_json

from .definition_checker import CODE_RE, Checker, join, max_length
from .models import Channel, Dimension, Journey, Stage, Standard, Touchpoint

FORMAT = "cxaudit.journey"
VERSION = 1
MAX_BYTES = 2 * 1024 * 1024

# --- export -----------------------------------------------------------------------------------


def _number(value: Decimal) -> int | float:
    # At most 12 significant digits, so the float's shortest repr is the exact decimal.
    return int(value) if value == value.to_integral_value() else float(value)


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    """One journey as the `journey` object of the format (positions renumbered 1..n)."""
    stages = journey.stages.order_by("position", "pk").prefetch_related("touchpoints__standards")
    return {
        "name": journey.name,
        "description": journey.description,
        "status": journey.status,
        "stages": [
            {
                "position": s_pos,
                "name": stage.name,
                "description": stage.description,
                "touchpoints": [
                    {
                        "position": t_pos,
                        "name": tp.name,
                        "channel": tp.channel,
                        "moment_that_matters": tp.is_moment_that_matters,
                        "customer_expectation": tp.customer_expectation,
                        "pain_points": tp.pain_points,
                        "standards": [
                            {
                                "position": k_pos,
                                "code": std.code,
                                "name": std.name,
                                "description": std.description,
                                "dimension": std.dimension,
                                "target": {
                                    "value": _number(std.target_value),
                                    "unit": std.target_unit,
                                    "comparator": std.target_comparator,
                                }
                                if std.has_target
                                else None,
                                "promise": std.promise,
                                "importance": std.importance,
                            }
                            for k_pos, std in enumerate(tp.standards.all(), start=1)
                        ],
                    }
                    for t_pos, tp in enumerate(stage.touchpoints.all(), start=1)
                ],
            }
            for s_pos, stage in enumerate(stages, start=1)
        ],
    }


def export_journey(journey: Journey) -> dict[str, Any]:
    """The definition document of one journey."""
    return {"format": FORMAT, "version": VERSION, "journey": journey_to_dict(journey)}


def export_journeys(journeys) -> dict[str, Any]:
    """The definition document of several journeys (e.g. all of an organisation)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "journeys": [journey_to_dict(j) for j in journeys],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --- parsing ----------------------------------------------------------------------------------


def parse(data: bytes | str) -> Any:
    """Decode and parse the file (cxaudit.jsoninput's rules; numbers with a fraction read as
    Decimal so that targets stay exact); a problem here stops before any content is checked."""
    return parse_json(data, decimals=True, max_bytes=MAX_BYTES)


# --- validation -------------------------------------------------------------------------------


@dataclass
class StandardSpec:
    path: str
    position: int
    code: str
    name: str
    description: str
    dimension: str
    target_value: Decimal | None
    target_unit: str
    target_comparator: str
    promise: str
    importance: int


@dataclass
class TouchpointSpec:
    position: int
    name: str
    channel: str
    is_moment_that_matters: bool
    customer_expectation: str
    pain_points: str
    standards: list[StandardSpec] = field(default_factory=list)


@dataclass
class StageSpec:
    position: int
    name: str
    description: str
    touchpoints: list[TouchpointSpec] = field(default_factory=list)


@dataclass
class JourneySpec:
    name: str
    description: str
    status: str
    stages: list[StageSpec] = field(default_factory=list)


def _standard(c: Checker, raw: Any, path: str) -> tuple[StandardSpec | None, int | None]:
    obj = c.object(
        raw,
        path,
        ("position", "code", "name", "dimension"),
        ("description", "target", "promise", "importance"),
    )
    if obj is None:
        return None, None
    position = c.integer(obj, "position", path, low=1, high=None)
    code = c.text(obj, "code", path, required=True)
    if code and not CODE_RE.match(code):
        c.error(
            f"{path}.code",
            f"{code[:60]!r} is not a valid code: use up to 40 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit",
        )
    importance = obj.get("importance", 3)
    importance = c.integer({"importance": importance}, "importance", path, low=1, high=5) or 3
    value, unit, comparator = c.target(obj.get("target"), f"{path}.target")
    spec = StandardSpec(
        path=path,
        position=position or 0,
        code=code,
        name=c.text(obj, "name", path, required=True, max_length=max_length(Standard, "name")),
        description=c.text(obj, "description", path),
        dimension=c.choice(obj, "dimension", path, Dimension, "dimension"),
        target_value=value,
        target_unit=unit,
        target_comparator=comparator,
        promise=c.text(obj, "promise", path),
        importance=importance,
    )
    return spec, position


def _touchpoint(c: Checker, raw: Any, path: str) -> tuple[TouchpointSpec | None, int | None]:
    obj = c.object(
        raw,
        path,
        ("position", "name", "channel"),
        ("moment_that_matters", "customer_expectation", "pain_points", "standards"),
    )
    if obj is None:
        return None, None
    position = c.integer(obj, "position", path, low=1, high=None)
    spec = TouchpointSpec(
        position=position or 0,
        name=c.text(obj, "name", path, required=True, max_length=max_length(Touchpoint, "name")),
        channel=c.choice(obj, "channel", path, Channel, "channel"),
        is_moment_that_matters=c.boolean(obj, "moment_that_matters", path),
        customer_expectation=c.text(obj, "customer_expectation", path),
        pain_points=c.text(obj, "pain_points", path),
    )
    spec.standards = _children(c, obj, "standards", path, _standard)
    return spec, position


def _stage(c: Checker, raw: Any, path: str) -> tuple[StageSpec | None, int | None]:
    obj = c.object(raw, path, ("position", "name"), ("description", "touchpoints"))
    if obj is None:
        return None, None
    position = c.integer(obj, "position", path, low=1, high=None)
    spec = StageSpec(
        position=position or 0,
        name=c.text(obj, "name", path, required=True, max_length=max_length(Stage, "name")),
        description=c.text(obj, "description", path),
    )
    spec.touchpoints = _children(c, obj, "touchpoints", path, _touchpoint)
    return spec, position


def _children(c: Checker, obj: dict, key: str, path: str, read) -> list:
    list_path = join(path, key)
    specs, positions = [], []
    for index, raw in enumerate(c.array(obj, key, path)):
        item_path = f"{list_path}[{index}]"
        spec, position = read(c, raw, item_path)
        positions.append((item_path, position))
        if spec is not None:
            specs.append(spec)
    c.positions(positions, list_path)
    return sorted(specs, key=lambda s: s.position)


def _journey(c: Checker, raw: Any, path: str) -> JourneySpec | None:
    obj = c.object(raw, path, ("name", "stages"), ("description", "status"))
    if obj is None:
        return None
    status = obj.get("status", Journey.Status.ACTIVE)
    spec = JourneySpec(
        name=c.text(obj, "name", path, required=True, max_length=max_length(Journey, "name")),
        description=c.text(obj, "description", path),
        status=c.choice({"status": status}, "status", path, Journey.Status, "status")
        or Journey.Status.ACTIVE,
    )
    spec.stages = _children(c, obj, "stages", path, _stage)
    return spec


def _standards_of(specs: list[JourneySpec]):
    for journey in specs:
        for stage in journey.stages:
            for tp in stage.touchpoints:
                yield from tp.standards


def validate(document: Any, *, organization: Organization) -> list[JourneySpec]:
    """Check a parsed document against the format and the organisation's existing codes;
    raises ValidationFailed listing every problem, or returns what to create."""
    c = Checker()
    specs: list[JourneySpec] = []
    top = c.object(document, "", ("format", "version"), ("journey", "journeys"))
    if top is not None:
        if "format" in top and top["format"] != FORMAT:
            c.error("format", f"must be {FORMAT!r} (is this a journey definition file?)")
        if "version" in top and (isinstance(top["version"], bool) or top["version"] != VERSION):
            c.error(
                "version", f"unsupported version {top['version']!r}; this cxaudit reads {VERSION}"
            )
        if ("journey" in top) == ("journeys" in top):
            c.error("journey", "give either 'journey' (one object) or 'journeys' (a list)")
        elif "journey" in top:
            spec = _journey(c, top["journey"], "journey")
            specs = [spec] if spec else []
        else:
            raw_list = c.array(top, "journeys", "")
            if not raw_list and isinstance(top["journeys"], list):
                c.error("journeys", "the list is empty")
            for index, raw in enumerate(raw_list):
                spec = _journey(c, raw, f"journeys[{index}]")
                if spec:
                    specs.append(spec)
    # Codes: unique in the file, and not yet used in the organisation.
    first_seen: dict[str, str] = {}
    for std in _standards_of(specs):
        if not std.code:
            continue
        if std.code in first_seen:
            c.error(
                f"{std.path}.code", f"duplicate code {std.code!r} (also at {first_seen[std.code]})"
            )
        else:
            first_seen[std.code] = std.path
    if first_seen:
        clashes = (
            Standard.objects.for_org(organization)
            .filter(code__in=list(first_seen))
            .select_related("touchpoint__stage__journey")
        )
        for existing in clashes:
            c.error(
                f"{first_seen[existing.code]}.code",
                f"code {existing.code!r} is already used in this organisation by “{existing.name}”"
                f" (journey “{existing.touchpoint.stage.journey.name}”)",
            )
    if c.errors:
        raise ValidationFailed(
            f"{len(c.errors)} problem(s) found; nothing was imported.",
            sorted(c.errors, key=lambda e: _path_key(e[0])),
        )
    return specs


def _path_key(path: str) -> list:
    # Sort errors in file order: numeric indices as numbers.
    return [int(p) if p.isdigit() else p for p in re.split(r"\[(\d+)\]", path)]


# --- import -----------------------------------------------------------------------------------


@transaction.atomic
def import_journeys(*, organization: Organization, data: bytes | str) -> list[Journey]:
    """Validate a definition file and create its journeys in the organisation; all or nothing."""
    specs = validate(parse(data), organization=organization)
    try:
        with transaction.atomic():
            return [_create(organization, spec) for spec in specs]
    except IntegrityError as exc:  # a concurrent import or edit took one of the codes
        raise ValidationFailed(
            "A standard code was taken while importing; nothing was imported.",
            [("file", "a standard code is already used in this organisation; try again")],
        ) from exc


def _create(organization: Organization, spec: JourneySpec) -> Journey:
    journey = Journey.objects.create(
        organization=organization,
        name=spec.name,
        description=spec.description,
        status=spec.status,
    )
    stages = Stage.objects.bulk_create(
        Stage(journey=journey, name=s.name, description=s.description, position=i)
        for i, s in enumerate(spec.stages)
    )
    pairs = [
        (stage, tp) for stage, s in zip(stages, spec.stages, strict=True) for tp in s.touchpoints
    ]
    touchpoints = Touchpoint.objects.bulk_create(
        Touchpoint(
            stage=stage,
            name=t.name,
            channel=t.channel,
            is_moment_that_matters=t.is_moment_that_matters,
            customer_expectation=t.customer_expectation,
            pain_points=t.pain_points,
            position=t.position - 1,
        )
        for stage, t in pairs
    )
    Standard.objects.bulk_create(
        Standard(
            organization=organization,
            touchpoint=touchpoint,
            code=k.code,
            name=k.name,
            description=k.description,
            dimension=k.dimension,
            target_value=k.target_value,
            target_unit=k.target_unit,
            target_comparator=k.target_comparator,
            promise=k.promise,
            importance=k.importance,
            position=k.position - 1,
        )
        for touchpoint, (_, t) in zip(touchpoints, pairs, strict=True)
        for k in t.standards
    )
    return journey
