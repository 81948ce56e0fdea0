"""Hand-computed datasets of the heatmap, league table and report card tests.

build_heat: one journey, stage "Support", five touchpoints; 30 shops at KGX in wave 2026 Q3
(n = 30 = stats.SMALL_SAMPLE_N, so the delivery gaps are not small samples):
  Call      GREEN  yes 30 of 30 vs target 100 %  -> no significant gap      (gap-good)
  Greeting  AMB    yes 27 of 30 -> -10.0 points, p = 0 (exact)             (gap-warn), MtM
  Checkout  RED    yes 20 of 30 -> -33.3 points, p = 0                      (gap-bad)
  Website   NONE   no answers                                              (gap-none "No data")
  Parking   SMALL  yes 3 of 3 -> not testable on 3                         (gap-none "Small sample")
Shop 0 leaves the comment '<script>alert(1)</script> slow' (a long_text question).

build_league: survey "lg", two sections of one yes/no question each (standards L1, L2),
so a shop scores 100, 50 or 0.
  2026 Q3 (July):    KGX 50            MAN 100
  2026 Q4 (October): KGX 100, 50, 100  MAN 0 (no, no), 50 (no, yes)    LDS none
  Q4 means: KGX 83.33 (sd 28.8675, se 16.6667, t(0.975, 2) 4.302653 -> 11.62 to 155.04),
            MAN 25; ranks KGX 1, MAN 2, LDS unranked; change KGX +33.33, MAN -75;
            organisation 300 / 5 = 60.
  Q4 sections: KGX section 1 100, section 2 66.67; organisation 60 and 60.
  Q4 standards met at KGX: L1 3 of 3, L2 2 of 3 -> 5 of 6.
"""

from __future__ import annotations

import datetime as dt

from cxaudit.accounts.models import Location
from cxaudit.journeys.models import Touchpoint
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey, make_wave


def yes_no(code, std):
    return {"code": code, "type": "yes_no", "standard": std, "aspect": "perception"}


def build_heat(org, kgx, *, shops: int = 30, suffix: str = "") -> dict:
    man, _ = Location.objects.get_or_create(organization=org, code="MAN", name="Manchester")
    wave = make_wave(org, f"2026 Q3{suffix}")
    green = make_standard(org, f"GREEN{suffix}")
    stage = green.touchpoint.stage
    tps = {"Call": green.touchpoint}
    for pos, name in enumerate(["Greeting", "Checkout", "Website", "Parking"], start=1):
        tps[name] = Touchpoint.objects.create(
            stage=stage,
            name=name,
            channel="in_store",
            position=pos,
            is_moment_that_matters=name == "Greeting",
        )
    amb = make_standard(org, f"AMB{suffix}", touchpoint=tps["Greeting"])
    red = make_standard(org, f"RED{suffix}", touchpoint=tps["Checkout"])
    make_standard(org, f"NONE{suffix}", touchpoint=tps["Website"])
    small = make_standard(org, f"SMALL{suffix}", touchpoint=tps["Parking"])
    survey = make_survey(
        org,
        [
            {"title": "Welcome", "questions": [yes_no("g", green), yes_no("a", amb)]},
            {
                "title": "Checkout",
                "questions": [
                    yes_no("r", red),
                    yes_no("sm", small),
                    {"code": "txt", "type": "long_text"},
                ],
            },
        ],
        code=f"heat{suffix}",
    )
    responses = []
    for i in range(shops):
        answers = {
            "g": "yes",
            "a": "yes" if i % 30 < 27 else "no",
            "r": "yes" if i % 30 < 20 else "no",
        }
        if i < 3:
            answers["sm"] = "yes"
        if i == 0:
            answers["txt"] = "<script>alert(1)</script> slow"
        responses.append(
            record_response(
                survey=survey, source="shopper", raw_answers=answers, wave=wave, location=kgx
            )
        )
    return {"wave": wave, "man": man, "kgx": kgx, "tps": tps, "responses": responses}


def build_league(org, kgx) -> dict:
    man, _ = Location.objects.get_or_create(organization=org, code="MAN", name="Manchester")
    lds = Location.objects.create(organization=org, code="LDS", name="Leeds")
    q3 = make_wave(org, "2026 Q3")
    q4 = make_wave(org, "2026 Q4")
    q4.starts_on, q4.ends_on = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    q4.save()
    l1, l2 = make_standard(org, "L1"), make_standard(org, "L2", position=1)
    survey = make_survey(
        org,
        [
            {"title": "Welcome", "questions": [yes_no("q1", l1)]},
            {"title": "Advice", "questions": [yes_no("q2", l2)]},
        ],
        code="lg",
    )
    shops = [
        (q3, kgx, "yes", "no"),
        (q3, man, "yes", "yes"),
        (q4, kgx, "yes", "yes"),
        (q4, kgx, "yes", "no"),
        (q4, kgx, "yes", "yes"),
        (q4, man, "no", "no"),
        (q4, man, "no", "yes"),
    ]
    for wave, loc, a, b in shops:
        record_response(
            survey=survey,
            source="shopper",
            raw_answers={"q1": a, "q2": b},
            wave=wave,
            location=loc,
        )
    return {"q3": q3, "q4": q4, "kgx": kgx, "man": man, "lds": lds}
