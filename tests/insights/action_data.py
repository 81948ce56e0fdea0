"""A standard measured in two closed waves, with enough answers to test: managers rate it
highly in both; customers rate it low in the first wave and, depending on `after`, higher or
the same in the second. Used by the action plan tests."""

from __future__ import annotations

import datetime as dt

from cxaudit.journeys.models import Wave
from surveys.models import Survey
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey


def rating(code, std, aspect="perception"):
    return {
        "code": code,
        "type": "rating",
        "standard": std,
        "aspect": aspect,
        "config": {"scale_min": 1, "scale_max": 5},
    }


def wave(org, name: str, start: dt.date, status: str = "closed") -> Wave:
    return Wave.objects.create(
        organization=org,
        name=name,
        starts_on=start,
        ends_on=start + dt.timedelta(days=80),
        status=status,
    )


def answer_many(survey: Survey, source: str, wave: Wave, location, values: list[int]) -> None:
    structure = load_structure(survey)
    code = next(iter(structure.questions))
    for v in values:
        record_response(
            survey=survey,
            source=source,
            raw_answers={code: str(v)},
            wave=wave,
            location=location,
            structure=structure,
        )


def build(org, location, *, after: str) -> dict:
    """after: "better" (customers 4-5 in the second wave), "same" (as the first) or "none"."""
    std = make_standard(org, "EMP", dimension="empathy", importance=4)
    self_survey = make_survey(
        org, [{"questions": [rating("emp_s", std)]}], code="self", kind=Survey.Kind.SELF_ASSESSMENT
    )
    cust = make_survey(
        org, [{"questions": [rating("emp_c", std)]}], code="cust", kind=Survey.Kind.CUSTOMER
    )
    w1 = wave(org, "2026 Q2", dt.date(2026, 4, 1))
    w2 = wave(org, "2026 Q3", dt.date(2026, 7, 1), status="open")
    managers = [5, 4] * 15  # mean 4.5 -> 87.5 on 0-100
    answer_many(self_survey, "self", w1, location, managers)
    answer_many(cust, "customer", w1, location, [2, 3] * 15)  # 2.5 -> 37.5
    answer_many(self_survey, "self", w2, location, managers)
    if after == "better":
        answer_many(cust, "customer", w2, location, [4, 5] * 15)  # 4.5 -> 87.5: gap 0
    elif after == "same":
        answer_many(cust, "customer", w2, location, [2, 3] * 15)
    return {"standard": std, "w1": w1, "w2": w2, "self": self_survey, "cust": cust}
