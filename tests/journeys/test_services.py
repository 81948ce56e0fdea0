import datetime as dt
from decimal import Decimal

import pytest

from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from cxaudit.journeys import services
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave
from tests.factories import make_wave


def positions(qs):
    return list(qs.order_by("position").values_list("name", "position"))


@pytest.fixture
def journey(org):
    j = services.create_journey(organization=org, name="J")
    for name in ["A", "B", "C"]:
        services.add_stage(journey=j, name=name)
    return j


@pytest.mark.django_db
def test_add_stage_appends_and_move_swaps_neighbours(journey):
    b = Stage.objects.get(journey=journey, name="B")
    assert services.move_stage(stage=b, direction="up") is True
    assert positions(journey.stages) == [("B", 0), ("A", 1), ("C", 2)]
    b.refresh_from_db()
    assert services.move_stage(stage=b, direction="up") is False  # already first
    c = Stage.objects.get(journey=journey, name="C")
    assert services.move_stage(stage=c, direction="down") is False  # already last
    with pytest.raises(DomainError):
        services.move_stage(stage=c, direction="sideways")


@pytest.mark.django_db
def test_delete_closes_the_gap_in_positions(journey):
    services.delete_stage(stage=Stage.objects.get(journey=journey, name="A"))
    assert positions(journey.stages) == [("B", 0), ("C", 1)]


@pytest.mark.django_db
def test_reorder_stages_needs_every_stage_exactly_once(journey):
    a, b, c = (Stage.objects.get(journey=journey, name=n).pk for n in "ABC")
    services.reorder_stages(journey=journey, order=[c, a, b])
    assert positions(journey.stages) == [("C", 0), ("A", 1), ("B", 2)]
    with pytest.raises(ValidationFailed) as exc:
        services.reorder_stages(journey=journey, order=[c, c, a])
    reasons = " ".join(r for _, r in exc.value.errors)
    assert "more than once" in reasons and "missing" in reasons
    with pytest.raises(ValidationFailed):
        services.reorder_stages(journey=journey, order=[a, b, c, 999999])


@pytest.mark.django_db
def test_touchpoint_moves_to_another_stage_of_the_same_journey(journey, org):
    a, b = (
        Stage.objects.get(journey=journey, name="A"),
        Stage.objects.get(journey=journey, name="B"),
    )
    t1 = services.add_touchpoint(stage=a, name="T1", channel="phone")
    services.add_touchpoint(stage=a, name="T2", channel="web")
    services.update_touchpoint(touchpoint=t1, stage=b, name="T1", channel="phone")
    assert positions(a.touchpoints) == [("T2", 0)]
    assert positions(b.touchpoints) == [("T1", 0)]
    other = services.create_journey(organization=org, name="Other")
    foreign = services.add_stage(journey=other, name="X")
    with pytest.raises(DomainError):
        services.update_touchpoint(touchpoint=t1, stage=foreign, name="T1", channel="phone")


@pytest.mark.django_db
def test_standard_codes_clash_and_targets_need_all_parts(journey):
    tp = services.add_touchpoint(stage=journey.stages.first(), name="Call", channel="phone")
    services.add_standard(touchpoint=tp, code="C1", name="One", dimension="empathy")
    with pytest.raises(DomainError) as exc:
        services.add_standard(touchpoint=tp, code="C1", name="Two", dimension="empathy")
    assert exc.value.field == "code"
    with pytest.raises(DomainError) as exc:
        services.add_standard(
            touchpoint=tp,
            code="C2",
            name="Two",
            dimension="empathy",
            target_value=Decimal(60),
            target_comparator="lte",
        )
    assert exc.value.field == "target_unit"
    std = services.add_standard(
        touchpoint=tp,
        code="C2",
        name="Answered",
        dimension="responsiveness",
        target_value=Decimal(60),
        target_unit="seconds",
        target_comparator="lte",
    )
    assert std.position == 1 and std.organization_id == journey.organization_id
    assert services.move_standard(standard=std, direction="up") is True
    assert list(tp.standards.order_by("position").values_list("code", flat=True)) == ["C2", "C1"]


@pytest.mark.django_db
def test_duplicate_copies_everything_with_copy_codes(journey):
    tp = services.add_touchpoint(stage=journey.stages.last(), name="Chat", channel="chat")
    services.add_standard(
        touchpoint=tp,
        code="RESP-CHAT-01",
        name="Reply",
        dimension="responsiveness",
        target_value=Decimal(2),
        target_unit="minutes",
        target_comparator="lte",
        promise="Under 2 minutes",
        importance=5,
    )
    copy = services.duplicate_journey(journey=journey)
    again = services.duplicate_journey(journey=journey)
    assert copy.name == "J (copy)" and copy.status == Journey.Status.ACTIVE
    assert positions(copy.stages) == positions(journey.stages)
    std = Standard.objects.get(touchpoint__stage__journey=copy)
    assert std.code == "RESP-CHAT-01-copy"
    assert (std.target_display, std.promise, std.importance) == (
        "≤ 2 minutes",
        "Under 2 minutes",
        5,
    )
    assert Standard.objects.get(touchpoint__stage__journey=again).code == "RESP-CHAT-01-copy2"
    assert services.copy_code("X" * 40, set()) == "X" * 35 + "-copy"
    assert services.copy_code("A-copy", {"A-copy"}) == "A-copy2"


@pytest.mark.django_db
def test_archived_journey_cannot_change_until_restored(journey):
    services.archive_journey(journey=journey)
    with pytest.raises(DomainError):
        services.add_stage(journey=journey, name="D")
    with pytest.raises(DomainError):
        services.move_stage(stage=journey.stages.first(), direction="down")
    with pytest.raises(DomainError):
        services.archive_journey(journey=journey)
    services.restore_journey(journey=journey)
    services.add_stage(journey=journey, name="D")


@pytest.mark.django_db
def test_delete_journey_only_when_archived(journey):
    with pytest.raises(DomainError):
        services.delete_journey(journey=journey)
    services.archive_journey(journey=journey)
    services.delete_journey(journey=journey)
    assert not Journey.objects.filter(pk=journey.pk).exists()
    assert not Touchpoint.objects.exists()


@pytest.mark.django_db
def test_wave_lifecycle_and_rules(org):
    wave = services.create_wave(
        organization=org,
        name="2027 Q1",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 3, 31),
    )
    assert wave.status == Wave.Status.PLANNED
    with pytest.raises(InvalidTransition):
        services.close_wave(wave=wave)
    services.open_wave(wave=wave)
    services.close_wave(wave=wave)
    assert Wave.objects.get(pk=wave.pk).status == Wave.Status.CLOSED
    services.open_wave(wave=wave)  # reopen
    with pytest.raises(InvalidTransition):
        services.open_wave(wave=wave)
    with pytest.raises(DomainError) as exc:
        services.create_wave(
            organization=org,
            name="2027 Q1",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 1, 2),
        )
    assert exc.value.field == "name"
    with pytest.raises(DomainError) as exc:
        services.update_wave(
            wave=make_wave(org, "Other"),
            name="Other",
            starts_on=dt.date(2027, 2, 1),
            ends_on=dt.date(2027, 1, 1),
        )
    assert exc.value.field == "ends_on"
