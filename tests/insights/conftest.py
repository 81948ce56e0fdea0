"""The hand-computed gap dataset shared by the gap tests (described in test_gaps.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from cxaudit.accounts.models import Location
from surveys.models import Survey
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey, make_wave


def rating(code, std, aspect, lo=1, hi=5):
    return {
        "code": code,
        "type": "rating",
        "standard": std,
        "aspect": aspect,
        "config": {"scale_min": lo, "scale_max": hi},
    }


@pytest.fixture
def data(org, location):
    man = Location.objects.create(organization=org, code="MAN", name="Manchester")
    w1 = make_wave(org, "2026 Q3")
    w2 = make_wave(org, "2026 Q4")
    w2.starts_on, w2.ends_on = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    w2.save()
    ans = make_standard(org, "ANS", promise="We answer within a minute.", importance=5)
    tp = ans.touchpoint
    tp.is_moment_that_matters = True
    tp.save()
    tim = make_standard(
        org,
        "TIME",
        touchpoint=tp,
        target_value=80,
        target_unit="%",
        target_comparator="gte",
        importance=2,
        position=1,
    )
    shop = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "ans_ok", "type": "yes_no", "standard": ans, "aspect": "perception"},
                    {"code": "b_ok", "type": "yes_no", "standard": tim, "aspect": "perception"},
                    {
                        "code": "b_time",
                        "type": "duration",
                        "standard": tim,
                        "aspect": "perception",
                        "config": {"target_value": 60, "target_comparator": "<="},
                    },
                ]
            }
        ],
        code="shop",
    )
    cust = make_survey(
        org,
        [
            {
                "questions": [
                    rating("ans_p", ans, "perception"),
                    rating("ans_e", ans, "expectation"),
                    rating("b_p", tim, "perception"),
                    rating("b_e", tim, "expectation"),
                    {"code": "nps", "type": "nps"},
                    {"code": "csat", "type": "csat"},
                    {"code": "ces", "type": "ces"},
                ]
            }
        ],
        code="cust",
        kind=Survey.Kind.CUSTOMER,
    )
    own = make_survey(
        org,
        [
            {
                "questions": [
                    rating("a_self", ans, "perception"),
                    rating("a_mgmt", ans, "expectation"),
                    rating("b_self", tim, "perception", 1, 7),
                ]
            }
        ],
        code="self",
        kind=Survey.Kind.SELF_ASSESSMENT,
    )

    def rec(survey, source, answers, wave=w1, loc=location):
        record_response(survey=survey, source=source, raw_answers=answers, wave=wave, location=loc)

    rec(shop, "shopper", {"ans_ok": "yes", "b_ok": "yes", "b_time": "45"})
    rec(shop, "shopper", {"ans_ok": "yes", "b_ok": "no", "b_time": "90"})
    rec(shop, "shopper", {"ans_ok": "yes", "b_ok": "yes", "b_time": "30"})
    rec(shop, "shopper", {"ans_ok": "no"}, wave=w2, loc=man)
    for answers in [
        {"ans_p": 4, "ans_e": 5, "nps": 10, "csat": 5, "ces": 7},
        {"ans_p": 5, "ans_e": 5, "nps": 9, "csat": 4, "ces": 5},
        {"ans_p": 3, "ans_e": 5, "nps": 8, "csat": 3, "ces": 4},
        {"b_p": 4, "nps": 7, "csat": 5, "ces": 6},
        {"b_p": 2, "nps": 6, "csat": 2},
        {"b_e": 5, "nps": 0},
        {"b_e": 4, "nps": 10},
        {"b_e": 3, "nps": 3},
        {"nps": 9},
        {"nps": 9},
    ]:
        rec(cust, "customer", answers)
    rec(own, "self", {"a_self": 5, "a_mgmt": 4, "b_self": 7})
    rec(own, "self", {"a_self": 5, "a_mgmt": 3, "b_self": 6})
    return {"org": org, "w1": w1, "w2": w2, "kgx": location, "man": man, "ans": ans, "tim": tim}
