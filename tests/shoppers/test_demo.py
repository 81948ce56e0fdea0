"""The shopper programme's demo: the panel, the scenarios, two waves of approved shops and the
open wave as a visitor of `make run` finds it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cxaudit.accounts.models import Organization
from cxaudit.insights import scorecards
from cxaudit.messaging.models import Message
from shoppers.models import Assignment, PayoutBatch, Scenario, ShopperProfile
from shoppers.payouts.services import owed

S = Assignment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    call_command("seed_demo", stdout=io.StringIO())
    return Organization.objects.get(slug="northline-rail")


def test_the_demo_panel_and_scenarios(demo):
    profiles = ShopperProfile.objects.for_org(demo)
    assert profiles.filter(status="active").count() == 12
    assert profiles.filter(status="pending").count() == 1
    priya = profiles.get(user__email="priya.nair@shoppers.example")
    assert [loc.code for loc in priya.excluded_locations.all()] == ["KGX"]
    channels = sorted(Scenario.objects.for_org(demo).values_list("touchpoint__channel", flat=True))
    assert channels == ["chat", "in_store", "phone"]
    sam = profiles.get(user__email="shopper@northline.example")
    assert sam.rating is not None


def test_two_waves_of_approved_shops_with_variation_between_stations(demo):
    approved = Assignment.objects.for_org(demo).filter(status=S.APPROVED)
    assert approved.count() == 36
    assert not approved.filter(response__counted=False).exists()
    waves = list({a.wave for a in approved})
    sums = scorecards.shop_sums(organization=demo, waves=waves)
    by_code = {}
    for (_, location_id), s in sums.items():
        code = approved.filter(location_id=location_id).first().location.code
        by_code.setdefault(code, []).append(s.total / s.n)
    assert set(by_code) == {"KGX", "HBS", "MFP", "CC-LDS", "WEB-CHAT"}
    # Nobody shopped where they work; nobody shopped one location twice in a wave.
    assert not approved.filter(shopper__email="priya.nair@shoppers.example", location__code="KGX")
    pairs = list(approved.values_list("wave_id", "location_id", "shopper_id"))
    assert len(pairs) == len(set(pairs))


def test_the_open_wave_as_a_visitor_finds_it(demo):
    live = Assignment.objects.for_org(demo).filter(wave__name="2026 Q4")
    assert live.filter(status=S.OPEN).count() == 7
    assert live.filter(status=S.ASSIGNED, shopper__email="shopper@northline.example").count() == 1
    waiting = live.filter(status=S.SUBMITTED)
    assert waiting.count() == 3
    flagged = [a for a in waiting if a.integrity_flags]
    assert len(flagged) == 1
    codes = {f["code"] for f in flagged[0].integrity_flags}
    assert codes == {"photo_time", "photo_far", "duplicate_photo", "copied_narrative"}
    assert live.filter(status=S.RETURNED).count() == 1
    purposes = set(Message.objects.filter(organization=demo).values_list("purpose", flat=True))
    assert {"shoppers.job_offered", "shoppers.returned"} <= purposes
    [batch] = PayoutBatch.objects.for_org(demo)
    assert batch.status == "paid" and batch.shops == 18
    assert sum(o.shops for o in owed(organization=demo)) == 18  # 2026 Q3, still to pay


def test_a_second_run_changes_nothing(demo):
    before = (
        Assignment.objects.count(),
        ShopperProfile.objects.count(),
        Message.objects.count(),
        PayoutBatch.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    after = (
        Assignment.objects.count(),
        ShopperProfile.objects.count(),
        Message.objects.count(),
        PayoutBatch.objects.count(),
    )
    assert after == before


def test_every_demo_shops_history_reads_in_order(demo):
    """Seeded through the services, whose clock is the seed's: the history of each shop still
    reads forwards (created, given, started, recorded, sent, decided)."""
    from shoppers.models import AssignmentEvent

    for shop in Assignment.objects.for_org(demo):
        times = list(
            AssignmentEvent.objects.filter(assignment=shop)
            .order_by("pk")
            .values_list("at", flat=True)
        )
        assert times == sorted(times), shop.pk
