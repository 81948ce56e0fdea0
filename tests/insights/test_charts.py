"""The SVG chart builders: escaping, geometry and the text alternative."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cxaudit.insights.charts import Point, describe, dot_chart, line_chart

NS = "{http://www.w3.org/2000/svg}"


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, not untrusted input


def test_dot_chart_places_dots_and_clips_whiskers_to_the_axis():
    svg = dot_chart(
        [Point("Self", 50.0, (-20.0, 120.0), css="self"), Point("Observed", None)],
        title="ANS",
        width=214,  # label 100 + plot 100 + pad 14 -> 0-100 spans x 100-200
    )
    root = parse(svg)
    (dot,) = root.iter(f"{NS}circle")
    assert float(dot.get("cx")) == 150.0 and "series-self" in dot.get("class")
    whisker = next(e for e in root.iter(f"{NS}line") if "chart-whisker" in e.get("class"))
    assert (float(whisker.get("x1")), float(whisker.get("x2"))) == (100.0, 200.0)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert "no data" in texts and "Self" in texts and "Observed" in texts


def test_charts_have_title_desc_and_no_inline_style():
    svg = str(line_chart([Point("Q1", 10.0, (5.0, 15.0)), Point("Q2", 20.0)], title="NPS"))
    root = parse(svg)
    assert root.get("role") == "img"
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title.text == "NPS"
    assert desc.text == "Q1: 10 (interval 5 to 15); Q2: 20."
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert "style=" not in svg and "<script" not in svg


def test_line_chart_draws_a_line_through_known_values_only():
    root = parse(
        line_chart([Point("A", 0.0), Point("B", None), Point("C", 100.0)], title="t", lo=0, hi=100)
    )
    (line,) = root.iter(f"{NS}polyline")
    coords = [tuple(map(float, c.split(","))) for c in line.get("points").split()]
    # 0 sits on the bottom of the plot (y 126), 100 on the top (y 10)
    assert [y for _, y in coords] == [126.0, 10.0]
    assert len(list(root.iter(f"{NS}circle"))) == 2


def test_text_is_escaped():
    svg = str(dot_chart([Point("<script>alert(1)</script>", 1.0)], title='a "b" <i>'))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<i>" not in svg
    parse(svg)  # still well-formed


def test_ids_are_unique_per_chart():
    a, b = str(line_chart([], title="a")), str(line_chart([], title="b"))
    ids = re.findall(r'id="([^"]+)"', a + b)
    assert len(ids) == len(set(ids)) == 4


def test_describe_skips_unknown_intervals():
    assert describe([Point("X", 1.25, (float("nan"), 2.0)), Point("Y", None)]) == (
        "X: 1.2; Y: no data."
    )
