from decimal import Decimal

import pytest
from django.db import IntegrityError

from cxaudit.journeys.models import Journey, Standard
from tests.factories import make_standard


@pytest.mark.django_db
def test_target_display_and_target_met(org):
    std = make_standard(
        org, target_value=Decimal("60.000"), target_unit="seconds", target_comparator="lte"
    )
    assert std.target_display == "≤ 60 seconds"
    assert std.target_met(60) is True
    assert std.target_met(61) is False
    plain = make_standard(org, "STD2")
    assert plain.target_display == ""
    assert plain.target_met(1) is None


@pytest.mark.django_db
def test_target_without_unit_is_refused_by_the_database(org):
    with pytest.raises(IntegrityError):
        make_standard(org, target_value=Decimal(5), target_unit="", target_comparator="lte")


@pytest.mark.django_db
def test_codes_are_unique_per_organisation_only(org, other_org):
    make_standard(org, "SAME-01")
    make_standard(other_org, "SAME-01")
    with pytest.raises(IntegrityError):
        make_standard(org, "SAME-01", touchpoint=Standard.objects.get(organization=org).touchpoint)


@pytest.mark.django_db
def test_with_structure_loads_a_journey_in_four_queries(org, django_assert_num_queries):
    from cxaudit.journeys.demo import seed_demo

    seed_demo(org)
    with django_assert_num_queries(4):
        journey = Journey.objects.with_structure().get(organization=org)
        names = [
            std.code
            for stage in journey.stages.all()
            for tp in stage.touchpoints.all()
            for std in tp.standards.all()
        ]
    assert len(names) == 35
