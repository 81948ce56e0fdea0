"""One vocabulary and one number format: every gap, perspective, method and flag has its label
in cxaudit/insights/vocabulary.py; numbers are written by cxaudit/insights/formats.py, and the
insights templates write none by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cxaudit.insights import formats as fmt
from cxaudit.insights import vocabulary as vocab
from cxaudit.insights.gaps import GAPS, PERSPECTIVES
from cxaudit.insights.gaps.engine import Gap
from cxaudit.insights.templatetags import dashboard_tags as tags

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "insights"
STATS = Path(__file__).resolve().parents[2] / "cxaudit" / "insights" / "stats.py"


def test_every_gap_perspective_method_and_flag_has_one_label():
    assert set(vocab.GAP_LABELS) == set(GAPS) == set(vocab.GAP_HELP)
    assert set(PERSPECTIVES) | {"management_expected"} == set(vocab.PERSPECTIVE_LABELS)
    methods = set(re.findall(r'_frame\("([a-z_]+)"', STATS.read_text()))
    methods |= set(re.findall(r'_one_sample\("([a-z_]+)"', STATS.read_text()))
    assert methods and methods <= set(vocab.METHOD_LABELS) == set(vocab.METHOD_HELP)
    assert set(vocab.FLAG_LABELS) == set(vocab.FLAG_HELP)
    labels = list(vocab.GAP_LABELS.values()) + list(vocab.PERSPECTIVE_LABELS.values())
    assert len(labels) == len(set(labels))  # no two things share a label


def test_methods_read_as_words():
    assert vocab.method_label("welch_t") == "Welch's t-test"
    assert tags.method_label("two_proportion_z") == "two-proportion z-test"
    assert "_" not in "".join(vocab.METHOD_LABELS.values())


def _gap(significant, small=False, diff=1.0, reason=None) -> Gap:
    return Gap(diff, diff, None, None, significant, small, "welch_t", 30, 30, reason)


@pytest.mark.parametrize(
    ("gap", "flags"),
    [
        (_gap(True), ["significant"]),
        (_gap(False, small=True), ["not_significant", "small_sample"]),
        (_gap(None, small=True, diff=None), ["not_tested"]),
        (_gap(None, diff=None, reason="no_promise"), []),
    ],
)
def test_gap_flags(gap, flags):
    assert vocab.gap_flags(gap) == flags
    assert [label for _, label, _ in tags.gap_flags(gap)] == [vocab.FLAG_LABELS[f] for f in flags]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (fmt.num(53.94), "53.9"),
        (fmt.num(-1.25, 2), "−1.25"),
        (fmt.num(None), "—"),
        (fmt.num(float("nan")), "—"),
        (fmt.num(True), "—"),
        (fmt.signed(3.21), "+3.2"),
        (fmt.signed(-3.25), "−3.2"),  # round half to even, as Python formats
        (fmt.points(-33.33, 0), "−33 pts"),
        (fmt.points(None), "—"),
        (fmt.pct(83.333), "83.3 %"),
        (fmt.percent(0.5357), "54 %"),
        (fmt.percent(None), "—"),
        (fmt.pvalue(0.0004), "< 0.001"),
        (fmt.pvalue(0.001), "0.001"),
        (fmt.pvalue(0.04567), "0.046"),
        (fmt.pvalue(None), "—"),
    ],
)
def test_number_formats(value, expected):
    assert value == expected


def test_intervals_are_shown_within_their_scale():
    assert fmt.interval((53.94, 101.72), bounds=fmt.SCALE_100) == fmt.Interval(
        "53.9 to 100.0", clipped=True, full="53.9 to 101.7"
    )
    assert fmt.interval((-120.0, -80.0), bounds=fmt.DIFF_100) == fmt.Interval(
        "−100.0 to −80.0", clipped=True, full="−120.0 to −80.0"
    )
    assert fmt.interval((10.0, 20.0), bounds=fmt.SCALE_100) == fmt.Interval("10.0 to 20.0")
    assert fmt.interval(None) == fmt.Interval("—")
    html = tags.interval((11.6, 155.04), "0-100")
    assert html.startswith('11.6 to 100.0<span class="ci-clipped" title="The 95 % interval runs')
    assert "(11.6 to 155.0)" in html
    assert tags.interval((11.6, 55.0), "0-100") == "11.6 to 55.0"
    assert tags.interval((-3.0, 2.0)) == "−3.0 to 2.0"


# Numbers written by hand in a template: Django's floatformat and widthratio, a hyphen for an
# unknown value, raw method identifiers or gap names.
HAND_WRITTEN = re.compile(
    r"\|floatformat|\{% widthratio|>–<|\{% else %\}–\{|welch_t|paired_t|two_proportion_z"
    r"|exact_binomial|>Gap 5<"
)
# KPI values are in the KPI's own unit (seconds, %, calls…), written as entered.
RAW_UNIT_VALUES = {"kpis/_figures.html"}


def test_insights_templates_write_numbers_and_labels_through_the_filters():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        name = str(path.relative_to(TEMPLATES))
        if name in RAW_UNIT_VALUES:
            continue
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            if HAND_WRITTEN.search(line):
                offenders.append(f"{name}:{lineno}: {line.strip()[:80]}")
    assert not offenders, "\n".join(offenders)
