"""Property: any valid survey definition survives import and export unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit.journeys.models import Standard
from surveys.questionnaire import definition
from tests.factories import make_standard

pytestmark = pytest.mark.django_db

CODES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}", fullmatch=True)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
).filter(lambda s: s == s.strip() and s)
POINTS = st.integers(0, 50) | st.sampled_from([0.5, 1.25, 2.5])
SCALED = ["yes_no", "yes_no_na", "rating", "nps", "csat", "ces"]


@st.composite
def configs(draw, qtype: str) -> dict:
    config: dict = {}
    if qtype == "rating":
        lo = draw(st.integers(-5, 5))
        config["scale_min"] = lo
        config["scale_max"] = lo + draw(st.integers(1, 10))
    if qtype in ("rating", "nps", "csat", "ces"):
        for key in ("min_label", "max_label"):
            if draw(st.booleans()):
                config[key] = draw(TEXT)
    if qtype in ("single_choice", "multi_choice"):
        values = draw(
            st.lists(
                st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
                min_size=1,
                max_size=4,
                unique_by=str.casefold,
            ).filter(lambda vs: all(v not in ("na", "n-a") for v in vs))
        )
        config["options"] = [
            {"value": v, "label": draw(TEXT), "points": draw(POINTS)} for v in values
        ]
    if qtype in ("number", "duration") and draw(st.booleans()):
        config["target_value"] = draw(st.integers(0, 1000) | st.sampled_from([0.5, 12.75]))
        config["target_comparator"] = draw(st.sampled_from(["<", "<=", "=", ">=", ">"]))
        if qtype == "number":
            config["unit"] = draw(TEXT)
    elif qtype == "number" and draw(st.booleans()):
        config["unit"] = draw(TEXT)
    if qtype != "yes_no_na" and draw(st.booleans()):
        config["allow_na"] = True
    if qtype in ("short_text", "long_text") and draw(st.booleans()):
        config["max_length"] = draw(st.integers(1, 255))
    return config


@st.composite
def questions(draw, code: str, earlier: list[dict]) -> dict:
    qtype = draw(
        st.sampled_from(
            [
                *SCALED,
                "single_choice",
                "multi_choice",
                "number",
                "duration",
                "datetime",
                "short_text",
                "long_text",
                "file",
            ]
        )
    )
    points = draw(POINTS)
    flag = (
        draw(st.sampled_from(["none", "bonus", "critical"]))
        if qtype in SCALED and points
        else "none"
    )
    show_if = None
    booleans = [q["code"] for q in earlier if q["type"] == "yes_no"]
    if earlier and draw(st.booleans()):
        show_if = {"question": draw(st.sampled_from(earlier))["code"], "operator": "answered"}
    elif booleans and draw(st.booleans()):
        show_if = {
            "question": draw(st.sampled_from(booleans)),
            "operator": draw(st.sampled_from(["equals", "not_equals"])),
            "value": draw(st.booleans()),
        }
    return {
        "code": code,
        "type": qtype,
        "text": draw(TEXT),
        "help_text": draw(st.just("") | TEXT),
        "required": draw(st.booleans()),
        "points": points,
        "bonus": flag == "bonus",
        "critical": flag == "critical",
        "standard": draw(st.sampled_from([None, "STD-A"])),
        "aspect": draw(st.sampled_from([None, "perception", "expectation"])),
        "config": draw(configs(qtype)),
        "show_if": show_if,
    }


@st.composite
def definitions(draw) -> dict:
    n_sections = draw(st.integers(0, 3))
    codes = iter(draw(st.lists(CODES, min_size=12, max_size=12, unique_by=str.casefold)))
    earlier: list[dict] = []
    sections = []
    for _ in range(n_sections):
        section_show_if = None
        if earlier and draw(st.booleans()):
            section_show_if = {
                "question": draw(st.sampled_from(earlier))["code"],
                "operator": "answered",
            }
        qs = []
        for _ in range(draw(st.integers(0, 4))):
            qs.append(draw(questions(next(codes), earlier + qs)))
        sections.append(
            {
                "title": draw(TEXT),
                "description": draw(st.just("") | TEXT),
                "weight": draw(st.none() | st.integers(0, 10) | st.sampled_from([1.5, 0.125])),
                "show_if": section_show_if,
                "questions": qs,
            }
        )
        earlier += qs
    kind = draw(st.sampled_from(["mystery_shop", "customer", "self_assessment"]))
    if kind == "mystery_shop":  # a shopper observes: no expectation aspect
        for q in earlier:
            q["aspect"] = "perception" if q["aspect"] == "expectation" else q["aspect"]
    return {
        "format": "cxaudit.survey",
        "format_version": 1,
        "code": draw(CODES),
        "title": draw(TEXT),
        "description": draw(st.just("") | TEXT),
        "kind": kind,
        "scoring": {
            "na_policy": draw(st.sampled_from(["omit", "count_as_fail", "count_as_pass"])),
            "bonus_cap": draw(st.booleans()),
            "critical_scope": draw(st.sampled_from(["section", "form"])),
        },
        "paging": draw(st.sampled_from(["single", "sections"])),
        "keep_photo_location": draw(st.booleans()),
        "sections": sections,
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(doc=definitions())
def test_any_valid_definition_round_trips(org, doc):
    if not Standard.objects.filter(organization=org, code="STD-A").exists():
        make_standard(org, "STD-A")
    survey = definition.import_definition(organization=org, data=doc)
    assert definition.survey_to_definition(survey) == doc
