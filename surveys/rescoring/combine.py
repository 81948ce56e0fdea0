"""Section totals to the stored score fields, for one survey (see surveys.rescoring)."""

from __future__ import annotations

import json
import math
from typing import Any

from ..scoring import CriticalScope
from ..services import Structure


class Combiner:
    """``scoring.total_response`` followed by ``services.stored_score`` and the JSON encoding,
    unrolled for one survey: at 100,000 responses the generic path (dataclasses, dicts,
    json.dumps) costs more than the SQL. The property tests hold it to the reference."""

    def __init__(self, structure: Structure) -> None:
        rules = structure.rules
        self.cap = rules.bonus_cap
        self.section_scope = rules.critical_scope is CriticalScope.SECTION
        self.keys = [json.dumps(s.key) for s in structure.sections]
        self.weighted = any(s.weight is not None for s in structure.sections)
        self.weights: list[float | None] = [None] * len(self.keys)
        if self.weighted:
            self.weights = [
                1.0 if s.weight is None else float(s.weight) for s in structure.sections
            ]
            if any(not math.isfinite(w) or w < 0 for w in self.weights):
                raise ValueError("section weights must be >= 0")
        self.method = '"weighted"' if self.weighted else '"pooled"'

    def __call__(self, totals: list[tuple[float, float, bool]]) -> tuple[Any, ...]:
        cap, section_scope = self.cap, self.section_scope
        form_knocked_out = any_knocked_out = False
        earned_all, possible_all, parts, terms = [], [], [], []
        for key, weight, (earned, possible, failed) in zip(
            self.keys, self.weights, totals, strict=True
        ):
            knocked_out = failed and section_scope
            if failed and not knocked_out:
                form_knocked_out = True
            if knocked_out:
                earned, any_knocked_out = 0.0, True
            if possible > 0:
                percent: float | None = earned / possible * 100
                if cap and percent > 100.0:  # type: ignore[operator]
                    percent = 100.0
                if weight is not None:
                    terms.append((weight, percent))
            else:
                percent = None
            earned_all.append(earned)
            possible_all.append(possible)
            parts.append(
                f'{{"key": {key}, "earned": {earned!r}, "possible": {possible!r}, '
                f'"percent": {_json_number(percent)}, "weight": {_json_number(weight)}, '
                f'"knocked_out": {"true" if knocked_out else "false"}}}'
            )
        earned = math.fsum(earned_all)
        possible = math.fsum(possible_all)
        if self.weighted:
            total_weight = math.fsum(w for w, _ in terms)
            if total_weight <= 0:
                percent = None
            else:
                mean = math.fsum(w * p for w, p in terms) / total_weight  # type: ignore[operator]
                shares = [p for w, p in terms if w > 0]
                percent = min(max(mean, min(shares)), max(shares))  # type: ignore[type-var]
        elif possible > 0:
            percent = earned / possible * 100
            if cap and percent > 100.0:
                percent = 100.0
        else:
            percent = None
        if form_knocked_out:
            earned, percent = 0.0, 0.0
        detail = (
            f'{{"method": {self.method}, "knocked_out": {"true" if form_knocked_out else "false"}'
            f', "sections": [{", ".join(parts)}]}}'
        )
        return earned, possible, percent, form_knocked_out or any_knocked_out, detail


def _json_number(x: float | None) -> str:
    return "null" if x is None else repr(x)
