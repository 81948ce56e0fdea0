"""The demo seed tells the classic story, checked with the gap engine itself."""

from __future__ import annotations

import time

import pytest

from cxaudit.accounts import demo as accounts_demo
from cxaudit.accounts.models import Location, Membership, User
from cxaudit.insights.demo import seed_demo
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.journeys import demo as journeys_demo
from shoppers import demo as shoppers_demo
from surveys.models import Answer, Response, SelfAssessmentRound, Survey
from surveys.selfassess import services as selfassess

pytestmark = pytest.mark.django_db


def _snapshot(org):
    return (
        list(Survey.objects.for_org(org).values_list("code", "version", "status").order_by("code")),
        list(
            SelfAssessmentRound.objects.for_org(org)
            .values_list("wave__name", "status")
            .order_by("wave__starts_on")
        ),
        list(
            Response.objects.for_org(org)
            .values_list("client_id", "score_percent")
            .order_by("client_id")
        ),
        Answer.objects.for_org(org).count(),
        sorted(
            Answer.objects.for_org(org).values_list(
                "response__client_id", "question__code", "value_100"
            )
        ),
        User.objects.count(),
    )


def _row(rows, **key):
    return next(r for r in rows if all(r.key.get(k) == v for k, v in key.items()))


def test_demo_seed_shows_the_classic_picture_and_is_idempotent():
    org, _ = accounts_demo.seed()
    journeys_demo.seed_demo(org)
    started = time.monotonic()
    shoppers_demo.seed_demo(org)  # the approved shops (seed_demo runs the apps in this order)
    seed_demo(org)
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"the shoppers and insights seeds took {elapsed:.1f}s"

    counts = {
        source: Response.objects.for_org(org).counted().filter(source=source).count()
        for source in ("customer", "shopper", "self")
    }
    # Shops: 2 waves x (3 stations x 4 + 3 phone + 3 chat), approved; the open wave's shops
    # under review or returned do not count.
    assert counts == {"customer": 380, "shopper": 36, "self": 8}
    assert {s.kind for s in Survey.objects.for_org(org).published()} == {
        "customer",
        "self_assessment",
        "mystery_shop",
        "certification",
    }

    analysis = analyse_gaps(organization=org)
    by_dimension = analysis.rows("dimension")
    # Managers rate themselves far above what passengers perceive on these two dimensions...
    for dim in ("responsiveness", "empathy"):
        gap = _row(by_dimension, dimension=dim).gaps["self_vs_perceived"]
        assert gap.significant and gap.diff_100 > 25, (dim, gap)
        knowledge = _row(by_dimension, dimension=dim).gaps["knowledge"]
        assert knowledge.significant and knowledge.diff_100 < -10, (dim, knowledge)
    # ...but not on tangibles.
    assert abs(_row(by_dimension, dimension="tangibles").gaps["self_vs_perceived"].diff_100) < 10

    # Shoppers confirm slow phone answers at Harbour Street only.
    per_location = analysis.rows("standard", "location")
    hbs = _row(per_location, standard="RESP-PHONE-01", location="HBS")
    assert hbs.perspectives["observed"].mean > 60
    assert hbs.perspectives["observed"].agree == 0
    assert hbs.gaps["delivery"].significant
    for code in ("KGX", "MFP"):
        other = _row(per_location, standard="RESP-PHONE-01", location=code)
        assert other.perspectives["observed"].mean < 60
        assert other.perspectives["observed"].agree >= 0.75

    # Empathy on the phone at the contact centre: the SERVQUAL gap narrowed from Q2 to Q3.
    cc = Location.objects.get(organization=org, code="CC-LDS")
    trend = analyse_gaps(organization=org, location=cc).rows("standard", "wave")
    q2 = _row(trend, standard="EMP-PHONE-01", wave="2026 Q2").gaps["perceived_vs_expected"]
    q3 = _row(trend, standard="EMP-PHONE-01", wave="2026 Q3").gaps["perceived_vs_expected"]
    assert q2.significant and q2.diff_100 < q3.diff_100 - 15
    assert q2.ci[1] < q3.ci[0]  # the intervals do not overlap: a real change

    # The demo manager has one self-assessment waiting in the open wave.
    manager = Membership.objects.get(organization=org, user__email="manager@northline.example")
    [item] = selfassess.my_self_assessments(membership=manager)
    assert item.round.wave.name == "2026 Q4" and item.status == "not_started"

    # The action plan: found in Q2, one verified and one reopened by Q3; one open and overdue.
    from cxaudit.insights.actions.models import ActionItem
    from cxaudit.insights.kpis.models import KpiValue

    items = {i.status: i for i in ActionItem.objects.for_org(org)}
    assert set(items) == {"verified", "reopened", "open"}
    assert items["verified"].evaluation["verdict"] == "narrowed"
    assert items["verified"].standard.code == "EMP-PHONE-01"  # the narrowing above
    assert items["reopened"].evaluation["verdict"] == "not_narrowed"
    assert items["open"].is_overdue and items["open"].owner.email == "manager@northline.example"
    # KPIs of the contact centre for every wave.
    assert sorted(
        KpiValue.objects.for_org(org).filter(kpi__code="FCR").values_list("wave__name", flat=True)
    ) == ["2026 Q2", "2026 Q3", "2026 Q4"]

    # A second run changes nothing.
    before = _snapshot(org)
    shoppers_demo.seed_demo(org)
    seed_demo(org)
    assert _snapshot(org) == before
    assert ActionItem.objects.for_org(org).count() == 3


def test_demo_responses_are_stored_exactly_as_record_response_stores_them():
    import random
    import uuid

    from cxaudit.insights.demo import demo_uuid
    from cxaudit.insights.demo.definitions import CUSTOMER_CODE
    from cxaudit.insights.demo.profile import customer_answers
    from surveys.responses.services import record_response

    org, _ = accounts_demo.seed()
    journeys_demo.seed_demo(org)
    seed_demo(org)
    seeded = Response.objects.get(client_id=demo_uuid("customer", "2026 Q2", "HBS", 0))
    raw = customer_answers(random.Random("customer:2026 Q2:HBS:0"), "station", "HBS", "2026 Q2")
    again = record_response(
        survey=Survey.objects.for_org(org).published().get(code=CUSTOMER_CODE),
        source="customer",
        raw_answers=raw,
        client_id=uuid.uuid4(),
        location=seeded.location,
        wave=seeded.wave,
        submitted_at=seeded.submitted_at,
    )

    def stored(response):
        answers = response.answers.values_list(
            "question__code",
            "value",
            "is_na",
            "value_num",
            "value_100",
            "agrees",
            "standard_id",
            "aspect",
            "source",
            "wave_id",
            "location_id",
            "submitted_at",
        )
        return (
            response.score_earned,
            response.score_possible,
            response.score_percent,
            response.knocked_out,
            response.score_detail,
            sorted(answers),
        )

    assert stored(seeded) == stored(again)
