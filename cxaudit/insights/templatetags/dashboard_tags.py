"""Number formatting for the insights pages (cxaudit/insights/formats.py), and labels from
the vocabulary."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from cxaudit.insights import formats as fmt

register = template.Library()
BOUNDS = {"0-100": fmt.SCALE_100, "diff": fmt.DIFF_100, "1-7": (1.0, 7.0), "": None}


@register.filter
def num(x, digits: int = 1) -> str:
    """A number with `digits` decimals; "—" when unknown."""
    return fmt.num(x, digits)


@register.filter
def signed(x, digits: int = 1) -> str:
    """A difference with its sign (+3.2, −1.0)."""
    return fmt.signed(x, digits)


@register.filter
def points(x, digits: int = 1) -> str:
    """A difference on the 0-100 scale in points (+3.2 pts)."""
    return fmt.points(x, digits)


@register.filter
def pct(x, digits: int = 1) -> str:
    """A value on 0-100 as a percentage (53.9 %)."""
    return fmt.pct(x, digits)


@register.filter
def interval(ci, bounds: str = "") -> str:
    """An interval as "a to b"; "—" when there is none. `bounds` "0-100" (a mean or share on
    the common scale) or "diff" (a difference of two) shows it within the scale, marked when
    an end was clipped (the full interval in the mark's title)."""
    shown = fmt.interval(ci, 1, BOUNDS.get(bounds or ""))
    if not shown.clipped:
        return shown.text
    return format_html(
        '{}<span class="ci-clipped" title="{}">*<span class="visually-hidden"> ({})</span></span>',
        shown.text,
        f"The 95 % interval runs past the scale ({shown.full}); shown within it.",
        f"clipped at the end of the scale; computed {shown.full}",
    )


@register.filter
def pvalue(p) -> str:
    return fmt.pvalue(p)


@register.filter
def percent(x, digits: int = 0) -> str:
    """A share 0-1 as a percentage."""
    return fmt.percent(x, digits)


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
def gap_label(name) -> str:
    """A gap's label from the vocabulary ("perceived_vs_expected" → "Perceived vs expected
    (gap 5)")."""
    from cxaudit.insights.vocabulary import gap_label as label

    return label(name or "")


@register.filter
def perspective_label(name) -> str:
    from cxaudit.insights.vocabulary import perspective_label as label

    return label(name or "")


@register.filter
def gap_flags(gap) -> list[tuple[str, str, str]]:
    """(key, label, help) of each flag of a gap, from the vocabulary."""
    from cxaudit.insights.vocabulary import FLAG_HELP, FLAG_LABELS
    from cxaudit.insights.vocabulary import gap_flags as flags

    return [(f, FLAG_LABELS[f], FLAG_HELP[f]) for f in flags(gap)]


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
