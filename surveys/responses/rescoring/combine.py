"""Section totals to the stored score fields, for one survey (see surveys.responses.rescoring)."""

from __future__ import annotations

import json
import math
from typing import Any

from ...questionnaire.structure import Structure
from ...scoring import CriticalScope


class Combiner:
    """``scoring.total_response`` followed by ``services.stored_score`` and the JSON encoding,
    unrolled for one survey: at 100,000 responses the generic path (dataclasses, dicts,
    json.dumps) costs more than the SQL. The constant parts of the JSON are prepared once.
    The property tests hold it to the reference."""

    def __init__(self, structure: Structure) -> None:
        rules = structure.rules
        self.cap = rules.bonus_cap
        self.section_scope = rules.critical_scope is CriticalScope.SECTION
        keys = [json.dumps(s.key) for s in structure.sections]
        self.weighted = any(s.weight is not None for s in structure.sections)
        weights: list[float | None] = [None] * len(keys)
        if self.weighted:
            weights = [1.0 if s.weight is None else float(s.weight) for s in structure.sections]
            if any(not math.isfinite(w) or w < 0 for w in weights):  # type: ignore[arg-type]
                raise ValueError("section weights must be >= 0")
        method = '"weighted"' if self.weighted else '"pooled"'
        # Per section: the JSON before its numbers and after them (its weight), and the weight.
        self.sections = [
            (f'{{"key": {key}, "earned": ', f', "weight": {_json_number(w)}, "knocked_out": ', w)
            for key, w in zip(keys, weights, strict=True)
        ]
        self.heads = {
            knocked_out: f'{{"method": {method}, "knocked_out": {knocked_out}, "sections": ['
            for knocked_out in ("true", "false")
        }

    def __call__(self, totals: list[tuple[float, float, bool]]) -> tuple[Any, ...]:
        cap, section_scope, weighted = self.cap, self.section_scope, self.weighted
        form_knocked_out = any_knocked_out = False
        earned_all: list[float] = []
        possible_all: list[float] = []
        parts: list[str] = []
        products: list[float] = []  # weight * percent of the sections that count
        weights: list[float] = []
        shares: list[float] = []  # percents of the sections with a positive weight
        for (head, tail, weight), (earned, possible, failed) in zip(
            self.sections, totals, strict=True
        ):
            knocked_out = "false}"
            if failed:
                if section_scope:
                    earned, any_knocked_out, knocked_out = 0.0, True, "true}"
                else:
                    form_knocked_out = True
            if possible > 0:
                percent = earned / possible * 100
                if cap and percent > 100.0:
                    percent = 100.0
                if weighted:
                    products.append(weight * percent)  # type: ignore[operator]
                    weights.append(weight)  # type: ignore[arg-type]
                    if weight > 0:  # type: ignore[operator]
                        shares.append(percent)
                percent_text = repr(percent)
            else:
                percent_text = "null"
            earned_all.append(earned)
            possible_all.append(possible)
            parts.append(
                f'{head}{earned!r}, "possible": {possible!r}, "percent": {percent_text}'
                f"{tail}{knocked_out}"
            )
        earned = math.fsum(earned_all)
        possible = math.fsum(possible_all)
        total: float | None
        if weighted:
            total_weight = math.fsum(weights)
            if total_weight <= 0:
                total = None
            else:
                mean = math.fsum(products) / total_weight
                total = min(max(mean, min(shares)), max(shares))
        elif possible > 0:
            total = earned / possible * 100
            if cap and total > 100.0:
                total = 100.0
        else:
            total = None
        if form_knocked_out:
            earned, total = 0.0, 0.0
        head = self.heads["true" if form_knocked_out else "false"]
        detail = f"{head}{', '.join(parts)}]}}"
        return earned, possible, total, form_knocked_out or any_knocked_out, detail


def _json_number(x: float | None) -> str:
    return "null" if x is None else repr(x)
