"""Number formatting for the insights pages ("—" for unknown values)."""

from __future__ import annotations

import math

from django import template

register = template.Library()
DASH = "—"


def _known(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


@register.filter
def num(x, digits: int = 1) -> str:
    """A number with `digits` decimals; "—" when unknown."""
    return f"{x:.{int(digits)}f}" if _known(x) else DASH


@register.filter
def signed(x, digits: int = 1) -> str:
    """A difference with its sign (+3.2, −1.0)."""
    if not _known(x):
        return DASH
    return f"{x:+.{int(digits)}f}".replace("-", "−")


@register.filter
def interval(ci, digits: int = 1) -> str:
    """An interval as "a to b"; "—" when there is none."""
    if not ci or not all(_known(v) for v in ci):
        return DASH
    return f"{ci[0]:.{int(digits)}f} to {ci[1]:.{int(digits)}f}".replace("-", "−")


@register.filter
def pvalue(p) -> str:
    if not _known(p):
        return DASH
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


@register.filter
def percent(x, digits: int = 0) -> str:
    """A share 0-1 as a percentage."""
    return f"{x * 100:.{int(digits)}f} %" if _known(x) else DASH


@register.filter
def method_label(name) -> str:
    """A statistical method's identifier as words ("welch_t" → "Welch's t-test")."""
    from cxaudit.insights.vocabulary import method_label as label

    return label(name)


@register.filter
def method_help(name) -> str:
    from cxaudit.insights.vocabulary import METHOD_HELP

    return METHOD_HELP.get(name or "", "")


@register.filter
def dict_get(mapping, key):
    """mapping[key] in a template ("" when missing)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def action_status(value) -> str:
    """An action item's status value as its label ("in_progress" → "In progress")."""
    from cxaudit.insights.actions.models import Status

    return Status(value).label if value in Status.values else (value or "")
