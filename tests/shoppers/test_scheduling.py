"""Scheduling through its services: the job board's self-assignment and its limits, lockouts,
exclusions and eligibility for every way a job reaches a shopper (self, request, offer, staff,
bulk), races for one job, creating shops one by one and in bulk (replay-safe, capped), the
clock (expiry, reminders) and the rating; every email queued once per event."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.accounts.models import Location, User
from cxaudit.errors import DomainError, InvalidTransition
from cxaudit.journeys.models import Wave
from cxaudit.messaging import registry
from cxaudit.messaging.models import Message
from cxaudit.messaging.registry import Skip
from shoppers import emails
from shoppers.models import (
    Assignment,
    AssignmentEvent,
    JobOffer,
    JobRequest,
    Scenario,
    ShopperProfile,
)
from shoppers.panel import services as panel
from shoppers.scheduling import services as scheduling
from surveys.models import Survey
from tests.factories import make_standard, make_survey, make_wave
from tests.shoppers.conftest import add_shopper
from tests.shoppers.shops import fill, make_shop, queued, race, row, take_and_start

pytestmark = pytest.mark.django_db
S = Assignment.Status
_codes = itertools.count(1)


@pytest.fixture
def places(org):
    def make(n: int, region: str = "North") -> list[Location]:
        return [
            Location.objects.create(
                organization=org, code=f"P{(k := next(_codes))}", name=f"Place {k}", region=region
            )
            for _ in range(n)
        ]

    return make


@pytest.fixture
def new_job(org, scenario, location, wave, window, program_admin):
    def make(loc=None, *, scen=None, win=None, shopper=None) -> Assignment:
        start, end = win or window
        return scheduling.create_assignment(
            organization=org,
            scenario=scen or scenario,
            location=loc or location,
            wave=wave,
            window_start=start,
            window_end=end,
            actor=program_admin,
            shopper=shopper,
        )

    return make


def rules(programme, **values):
    for name, value in values.items():
        setattr(programme, name, value)
    programme.save()


def profile(user, org):
    return ShopperProfile.objects.get(user=user, organization=org)


def build(purpose: str, message: Message):
    return registry.get(purpose).build(message)


# -- self-assignment -------------------------------------------------------------------------------


def test_taking_a_job_confirms_it_once_and_a_double_click_is_a_replay(job, ann):
    shop = scheduling.self_assign(assignment=job, shopper=ann)
    assert shop.status == S.ASSIGNED and shop.shopper == ann and shop.assigned_at
    event = AssignmentEvent.objects.get(kind="transition")
    assert (event.actor, event.from_status, event.to_status) == (ann, S.OPEN, S.ASSIGNED)
    assert event.details == {"via": "self"}
    confirmed = [(emails.CONFIRMED, f"assignment:{job.pk}:confirmed:{event.pk}", ann.email)]
    assert queued() == confirmed
    again = scheduling.self_assign(assignment=job, shopper=ann)  # the second click
    assert again.pk == shop.pk and again.status == S.ASSIGNED
    assert queued() == confirmed and AssignmentEvent.objects.filter(kind="transition").count() == 1


def test_the_daily_limit_counts_what_was_taken_today_even_if_released(
    programme, new_job, ann, program_admin
):
    rules(programme, daily_self_assign_limit=2, open_limit=10, lockout_days=0)
    one, two, three = new_job(), new_job(), new_job()
    # all at one moment of today (local noon), whenever the test runs
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    for shop in (one, two):
        scheduling.self_assign(assignment=shop, shopper=ann, at=noon)
        scheduling.release(assignment=shop, shopper=ann)
    with pytest.raises(DomainError, match="you have taken 2 jobs today, the most per day is 2"):
        scheduling.self_assign(assignment=three, shopper=ann, at=noon)
    # staff giving it is no self-assignment
    scheduling.assign_shopper(assignment=three, shopper=ann, actor=program_admin)
    # what was taken yesterday does not count today
    AssignmentEvent.objects.filter(details__via="self").update(at=noon - dt.timedelta(hours=13))
    scheduling.self_assign(assignment=one, shopper=ann, at=noon)


def test_the_open_at_once_limit_counts_held_shops_until_they_are_sent(
    programme, new_job, ann, program_admin
):
    rules(programme, open_limit=2, lockout_days=0)
    one, two, three = new_job(), new_job(), new_job()
    scheduling.self_assign(assignment=one, shopper=ann)
    take_and_start(two, ann)  # in progress still counts
    message = "you already hold 2 shops, the most you may hold at once is 2"
    with pytest.raises(DomainError, match=message):
        scheduling.self_assign(assignment=three, shopper=ann)
    with pytest.raises(DomainError, match=message):
        scheduling.request_job(assignment=three, shopper=ann)
    # once sent for review a shop is no longer held
    from tests.shoppers.shops import send

    send(Assignment.objects.get(pk=two.pk), ann)
    scheduling.self_assign(assignment=three, shopper=ann)
    # staff may give more than the limit
    four = new_job()
    scheduling.assign_shopper(assignment=four, shopper=ann, actor=program_admin)
    assert Assignment.objects.filter(shopper=ann, status=S.ASSIGNED).count() == 3


def test_a_second_shop_at_one_location_within_the_lockout_is_refused(
    programme, new_job, ann, location, second_location
):
    rules(programme, daily_self_assign_limit=10)
    first, second = new_job(), new_job()
    scheduling.self_assign(assignment=first, shopper=ann)
    with pytest.raises(DomainError, match="another shop at this location within 30 days"):
        scheduling.self_assign(assignment=second, shopper=ann)
    assert row(second)["status"] == S.OPEN
    scheduling.self_assign(assignment=new_job(second_location), shopper=ann)
    # the first job's window ends in 6 days: a window reaching 36 days from now is free then
    now = timezone.now()
    later = new_job(win=(now + dt.timedelta(days=30), now + dt.timedelta(days=36, minutes=1)))
    scheduling.self_assign(assignment=later, shopper=ann)
    rules(programme, lockout_days=0)
    scheduling.self_assign(assignment=second, shopper=ann)


def test_an_excluded_location_is_never_given(org, job, ann, program_admin, location):
    panel.set_exclusions(profile=profile(ann, org), locations=[location], notes="works there")
    with pytest.raises(DomainError, match="you may not shop this location"):
        scheduling.self_assign(assignment=job, shopper=ann)
    with pytest.raises(DomainError, match="the shopper may not shop this location") as exc:
        scheduling.assign_shopper(assignment=job, shopper=ann, actor=program_admin)
    assert exc.value.field == "shopper"
    with pytest.raises(DomainError, match="may not shop this location"):
        scheduling.request_job(assignment=job, shopper=ann)
    assert row(job)["status"] == S.OPEN and profile(ann, org).staff_notes == "works there"


def test_eligibility_holds_for_every_way_in(org, job, scenario, ann, bob, program_admin):
    scenario.regions = ["South"]
    scenario.save()
    refusal = "it is for shoppers of another region"
    with pytest.raises(DomainError, match=refusal):
        scheduling.self_assign(assignment=job, shopper=ann)
    with pytest.raises(DomainError, match=refusal):
        scheduling.request_job(assignment=job, shopper=ann)
    with pytest.raises(DomainError, match=refusal):
        scheduling.assign_shopper(assignment=job, shopper=ann, actor=program_admin)
    offered = scheduling.offer_job(assignment=job, shoppers=[ann], actor=program_admin)
    assert offered.offered == [] and offered.skipped == [(ann, refusal)]
    assert scheduling.self_assign(assignment=job, shopper=bob).shopper == bob


def test_only_active_shoppers_of_this_programme_take_jobs(org, other_org, job, reviewer):
    pending = add_shopper(org, "pending@shoppers.test", status=ShopperProfile.Status.PENDING)
    with pytest.raises(DomainError, match="your shopper account is not active"):
        scheduling.self_assign(assignment=job, shopper=pending)
    with pytest.raises(DomainError, match="not a shopper of this programme"):
        scheduling.self_assign(assignment=job, shopper=reviewer)
    elsewhere = add_shopper(other_org, "elsewhere@shoppers.test")
    with pytest.raises(DomainError, match="not a shopper of this programme"):
        scheduling.self_assign(assignment=job, shopper=elsewhere)
    blocked = add_shopper(org, "blocked@shoppers.test")
    User.objects.filter(pk=blocked.pk).update(is_active=False)
    with pytest.raises(DomainError, match="not active"):
        scheduling.self_assign(assignment=job, shopper=User.objects.get(pk=blocked.pk))
    assert row(job)["status"] == S.OPEN and not Message.objects.exists()


def test_a_job_whose_window_has_closed_cannot_be_taken(org, scenario, location, wave, ann):
    now = timezone.now()
    closed = make_shop(
        S.OPEN,
        scenario=scenario,
        location=location,
        wave=wave,
        window=(now - dt.timedelta(days=2), now - dt.timedelta(hours=1)),
    )  # still before its deadline (window end + 24 h) but nobody can visit in time now
    with pytest.raises(DomainError, match="window has closed"):
        scheduling.self_assign(assignment=closed, shopper=ann)
    with pytest.raises(DomainError, match="window has closed"):
        closed.assign(shopper=ann, at=now)
    assert row(closed)["status"] == S.OPEN


def test_a_scenario_that_is_not_self_assignable_must_be_requested(job, scenario, ann):
    Scenario.objects.filter(pk=scenario.pk).update(allow_self_assign=False)
    job = Assignment.objects.get(pk=job.pk)
    with pytest.raises(DomainError, match="must be requested"):
        scheduling.self_assign(assignment=job, shopper=ann)
    request = scheduling.request_job(assignment=job, shopper=ann)
    assert request.status == JobRequest.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_two_shoppers_taking_one_job_at_once_one_wins(job, ann, bob):
    results = race(
        lambda: scheduling.self_assign(assignment=job, shopper=ann),
        lambda: scheduling.self_assign(assignment=job, shopper=bob),
    )
    won = [r for r in results if isinstance(r, Assignment)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], DomainError) and "took this job meanwhile" in lost[0].message
    stored = Assignment.objects.get(pk=job.pk)
    assert stored.status == S.ASSIGNED and stored.shopper == won[0].shopper
    assert AssignmentEvent.objects.filter(kind="transition").count() == 1
    assert [p for p, _, to in queued()] == [emails.CONFIRMED]


@pytest.mark.django_db(transaction=True)
def test_one_shopper_taking_two_jobs_at_once_cannot_pass_the_limit(programme, new_job, ann):
    rules(programme, open_limit=1, lockout_days=0)
    one, two = new_job(), new_job()
    results = race(
        lambda: scheduling.self_assign(assignment=one, shopper=ann),
        lambda: scheduling.self_assign(assignment=two, shopper=ann),
    )
    assert sorted(type(r).__name__ for r in results) == ["Assignment", "DomainError"], results
    assert Assignment.objects.filter(shopper=ann).count() == 1


# -- requests --------------------------------------------------------------------------------------


def test_request_then_accept(job, ann, bob, program_admin):
    mine = scheduling.request_job(assignment=job, shopper=ann, note="I live nearby")
    assert mine.status == JobRequest.Status.PENDING and mine.note == "I live nearby"
    assert scheduling.request_job(assignment=job, shopper=ann).pk == mine.pk  # a replay
    assert AssignmentEvent.objects.filter(kind="request").count() == 1
    theirs = scheduling.request_job(assignment=job, shopper=bob)
    assert not Message.objects.exists()  # asking sends nothing

    shop = scheduling.accept_request(request=mine, actor=program_admin)
    assert shop.status == S.ASSIGNED and shop.shopper == ann
    event = AssignmentEvent.objects.get(kind="transition")
    assert event.actor == program_admin and event.details == {"via": "request"}
    assert JobRequest.objects.get(pk=mine.pk).status == JobRequest.Status.ACCEPTED
    assert JobRequest.objects.get(pk=theirs.pk).status == JobRequest.Status.DECLINED
    assert queued() == [(emails.CONFIRMED, f"assignment:{job.pk}:confirmed:{event.pk}", ann.email)]
    with pytest.raises(DomainError, match="no longer open"):
        scheduling.accept_request(request=theirs, actor=program_admin)
    with pytest.raises(DomainError, match="no longer open"):
        scheduling.request_job(assignment=job, shopper=bob)


def test_withdraw_decline_and_asking_again(job, ann, bob, program_admin):
    request = scheduling.request_job(assignment=job, shopper=ann, note="first")
    with pytest.raises(DomainError, match="not your request"):
        scheduling.withdraw_request(request=request, shopper=bob)
    scheduling.withdraw_request(request=request, shopper=ann)
    assert JobRequest.objects.get(pk=request.pk).status == JobRequest.Status.WITHDRAWN
    with pytest.raises(DomainError, match="already answered"):
        scheduling.withdraw_request(request=request, shopper=ann)
    with pytest.raises(DomainError, match="withdrawn or answered"):
        scheduling.accept_request(request=request, actor=program_admin)
    assert row(job)["status"] == S.OPEN

    again = scheduling.request_job(assignment=job, shopper=ann, note="x" * 700)
    assert again.pk == request.pk and again.status == JobRequest.Status.PENDING
    assert JobRequest.objects.get(pk=request.pk).note == "x" * 500
    scheduling.decline_request(request=again, actor=program_admin)
    assert JobRequest.objects.get(pk=request.pk).status == JobRequest.Status.DECLINED
    with pytest.raises(DomainError, match="withdrawn or answered"):
        scheduling.decline_request(request=again, actor=program_admin)
    with pytest.raises(DomainError, match="already asked for this job and it was answered"):
        scheduling.request_job(assignment=job, shopper=ann)


def test_accepting_a_request_checks_the_rules_again(org, job, ann, program_admin):
    request = scheduling.request_job(assignment=job, shopper=ann)
    panel.deactivate_shopper(profile=profile(ann, org), actor=program_admin)
    with pytest.raises(DomainError, match="not active"):
        scheduling.accept_request(request=request, actor=program_admin)
    # nothing moved: the request waits, the job is open
    assert JobRequest.objects.get(pk=request.pk).status == JobRequest.Status.PENDING
    assert row(job)["status"] == S.OPEN and not Message.objects.exists()


# -- offers ----------------------------------------------------------------------------------------


def test_offering_to_a_group_the_first_to_accept_takes_it(
    org, job, ann, bob, reviewer, program_admin, location
):
    carol = add_shopper(org, "carol@shoppers.test")
    panel.set_exclusions(profile=profile(carol, org), locations=[location])
    result = scheduling.offer_job(
        assignment=job, shoppers=[ann, bob, carol, reviewer], actor=program_admin
    )
    assert result.offered == [ann, bob]
    assert result.skipped == [
        (carol, "the shopper may not shop this location"),
        (reviewer, "this person is not a shopper of this programme"),
    ]
    offers = {o.shopper: o for o in JobOffer.objects.all()}
    assert set(offers) == {ann, bob}
    assert queued() == [
        (emails.OFFERED, f"offer:{offers[ann].pk}", ann.email),
        (emails.OFFERED, f"offer:{offers[bob].pk}", bob.email),
    ]
    assert AssignmentEvent.objects.filter(kind="offer").count() == 2

    # offering again sends nothing more
    again = scheduling.offer_job(assignment=job, shoppers=[ann, bob], actor=program_admin)
    assert again.offered == [] and [r for _, r in again.skipped] == ["already offered"] * 2
    assert Message.objects.count() == 2

    with pytest.raises(DomainError, match="made to someone else"):
        scheduling.accept_offer(offer=offers[ann], shopper=bob)
    shop = scheduling.accept_offer(offer=offers[bob], shopper=bob)
    assert shop.status == S.ASSIGNED and shop.shopper == bob
    assert JobOffer.objects.get(pk=offers[bob].pk).status == JobOffer.Status.ACCEPTED
    assert JobOffer.objects.get(pk=offers[ann].pk).status == JobOffer.Status.TAKEN
    with pytest.raises(DomainError, match="another shopper took this job first"):
        scheduling.accept_offer(offer=offers[ann], shopper=ann)
    assert [p for p, _, to in queued(emails.CONFIRMED)] == [emails.CONFIRMED]
    # ann's offer email, if not sent yet, is skipped when its turn comes
    with pytest.raises(Skip):
        build(emails.OFFERED, Message.objects.get(key=f"offer:{offers[ann].pk}"))
    with pytest.raises(DomainError, match="Only an open job"):
        scheduling.offer_job(assignment=job, shoppers=[ann], actor=program_admin)


def test_declining_an_offer_and_accepting_within_the_limits(
    programme, new_job, ann, bob, program_admin
):
    rules(programme, open_limit=1, lockout_days=0)
    job, other = new_job(), new_job()
    scheduling.offer_job(assignment=job, shoppers=[ann, bob], actor=program_admin)
    ann_offer, bob_offer = JobOffer.objects.get(shopper=ann), JobOffer.objects.get(shopper=bob)
    with pytest.raises(DomainError, match="made to someone else"):
        scheduling.decline_offer(offer=ann_offer, shopper=bob)
    scheduling.decline_offer(offer=bob_offer, shopper=bob)
    assert JobOffer.objects.get(pk=bob_offer.pk).status == JobOffer.Status.DECLINED
    with pytest.raises(DomainError, match="already answered"):
        scheduling.accept_offer(offer=bob_offer, shopper=bob)
    scheduling.self_assign(assignment=other, shopper=ann)  # ann now holds her one shop
    with pytest.raises(DomainError, match="the most you may hold at once is 1"):
        scheduling.accept_offer(offer=ann_offer, shopper=ann)
    assert JobOffer.objects.get(pk=ann_offer.pk).status == JobOffer.Status.OFFERED
    assert row(job)["status"] == S.OPEN


# -- staff -----------------------------------------------------------------------------------------


def test_staff_assign_unassign_and_cancel_with_reasons(job, ann, program_admin):
    shop = scheduling.assign_shopper(assignment=job, shopper=ann, actor=program_admin)
    assert shop.status == S.ASSIGNED
    for blank in ("", "   "):
        with pytest.raises(DomainError) as exc:
            scheduling.unassign(assignment=shop, actor=program_admin, reason=blank)
        assert exc.value.field == "reason"
    shop = scheduling.unassign(assignment=shop, actor=program_admin, reason="  Ann is ill ")
    assert shop.status == S.OPEN and shop.shopper is None
    event = AssignmentEvent.objects.filter(kind="transition").last()
    assert (event.from_status, event.to_status, event.reason) == ("assigned", "open", "Ann is ill")
    with pytest.raises(InvalidTransition):
        scheduling.unassign(assignment=shop, actor=program_admin, reason="again")

    with pytest.raises(DomainError) as exc:
        scheduling.cancel(assignment=shop, actor=program_admin, reason=" ")
    assert exc.value.field == "reason"
    shop = scheduling.cancel(assignment=shop, actor=program_admin, reason="Station closed")
    assert shop.status == S.CANCELLED
    assert AssignmentEvent.objects.filter(kind="transition").last().reason == "Station closed"
    with pytest.raises(InvalidTransition):
        scheduling.cancel(assignment=shop, actor=program_admin, reason="again")


def test_started_or_sent_shops_are_not_unassigned_and_sent_ones_not_cancelled(
    job, ann, program_admin
):
    started = take_and_start(job, ann)
    with pytest.raises(InvalidTransition):
        scheduling.unassign(assignment=started, actor=program_admin, reason="r")
    with pytest.raises(InvalidTransition):
        scheduling.release(assignment=started, shopper=ann)
    from tests.shoppers.shops import send

    sent = send(started, ann)
    with pytest.raises(InvalidTransition):
        scheduling.cancel(assignment=sent, actor=program_admin, reason="r")
    assert row(sent)["status"] == S.SUBMITTED


def test_a_shopper_releases_only_their_own_job(job, ann, bob):
    scheduling.self_assign(assignment=job, shopper=ann)
    with pytest.raises(InvalidTransition):
        scheduling.release(assignment=job, shopper=bob)
    shop = scheduling.release(assignment=job, shopper=ann, reason="busy")
    assert shop.status == S.OPEN and shop.shopper is None


# -- creating one shop -----------------------------------------------------------------------------


@pytest.fixture
def foreign(other_org):
    std = make_standard(other_org, "OTHER")
    survey = make_survey(
        other_org, [{"questions": [{"code": "q", "type": "yes_no", "points": 1}]}], code="v"
    )
    return {
        "scenario": Scenario.objects.create(
            organization=other_org,
            touchpoint=std.touchpoint,
            title="Theirs",
            brief="b",
            survey=survey,
            fee=Decimal("1"),
        ),
        "wave": make_wave(other_org, "Theirs"),
    }


def test_create_assignment_refuses_what_cannot_be_shopped(
    org, scenario, location, wave, window, program_admin, foreign, other_location, visit_form
):
    def create(**over):
        values = {
            "organization": org,
            "scenario": scenario,
            "location": location,
            "wave": wave,
            "window_start": window[0],
            "window_end": window[1],
            "actor": program_admin,
        }
        values.update(over)
        return scheduling.create_assignment(**values)

    def refused(field, match, **over):
        with pytest.raises(DomainError, match=match) as exc:
            create(**over)
        assert exc.value.field == field

    refused("scenario", "another organisation", scenario=foreign["scenario"])
    refused("location", "another organisation", location=other_location)
    refused("wave", "another organisation", wave=foreign["wave"])
    refused("window_end", "end after it starts", window_end=window[0])
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.CLOSED)
    refused("wave", "closed", wave=Wave.objects.get(pk=wave.pk))
    Wave.objects.filter(pk=wave.pk).update(status=Wave.Status.OPEN)
    Location.objects.filter(pk=location.pk).update(is_active=False)
    refused("location", "inactive", location=Location.objects.get(pk=location.pk))
    Location.objects.filter(pk=location.pk).update(is_active=True)
    Scenario.objects.filter(pk=scenario.pk).update(is_active=False)
    refused("scenario", "archived", scenario=Scenario.objects.get(pk=scenario.pk))
    Scenario.objects.filter(pk=scenario.pk).update(is_active=True)
    Survey.objects.filter(pk=visit_form.pk).update(status=Survey.Status.DRAFT)
    refused("scenario", "no published version", scenario=Scenario.objects.get(pk=scenario.pk))
    assert not Assignment.objects.exists()


def test_the_window_lies_inside_the_wave_to_the_moment(
    org, scenario, location, wave, program_admin
):
    tz = timezone.get_current_timezone()
    first = dt.datetime.combine(wave.starts_on, dt.time(), tzinfo=tz)  # the wave's first moment
    after = dt.datetime.combine(wave.ends_on + dt.timedelta(days=1), dt.time(), tzinfo=tz)

    def create(start, end):
        return scheduling.create_assignment(
            organization=org,
            scenario=scenario,
            location=location,
            wave=wave,
            window_start=start,
            window_end=end,
            actor=program_admin,
        )

    shop = create(first, after)  # the whole wave, to the midnight that ends its last day
    assert shop.deadline == after + dt.timedelta(hours=24)
    for start, end in (
        (first - dt.timedelta(microseconds=1), first + dt.timedelta(days=1)),
        (first, after + dt.timedelta(microseconds=1)),
        (first, after + dt.timedelta(hours=23)),
    ):
        with pytest.raises(DomainError, match="inside the wave") as exc:
            create(start, end)
        assert exc.value.field == "window_start"
    assert Assignment.objects.count() == 1


def test_create_for_a_shopper_assigns_and_confirms_or_creates_nothing(
    org, new_job, ann, bob, scenario
):
    shop = new_job(shopper=ann)
    assert shop.status == S.ASSIGNED and shop.shopper == ann
    kinds = list(shop.events.values_list("kind", "to_status"))
    assert kinds == [("created", ""), ("transition", "assigned")]
    assert [to for _, _, to in queued()] == [ann.email]
    scenario.languages = ["cy"]
    scenario.save()
    with pytest.raises(DomainError, match="needs a language the shopper does not list"):
        new_job(shopper=bob)
    assert Assignment.objects.count() == 1


# -- bulk ------------------------------------------------------------------------------------------


@pytest.fixture
def scenario2(org, scenario):
    return Scenario.objects.create(
        organization=org,
        touchpoint=scenario.touchpoint,
        title="Phone the desk",
        brief="Call.",
        survey=scenario.survey,
        fee=Decimal("12.50"),
    )


def plan(org, wave, window, scenarios, locations, visits, shoppers=None):
    return scheduling.plan_bulk(
        organization=org,
        wave=wave,
        scenarios=scenarios,
        locations=locations,
        visits=visits,
        window_start=window[0],
        window_end=window[1],
        shoppers=shoppers,
    )


def test_bulk_counts_and_replays(org, wave, window, scenario, scenario2, places, program_admin):
    locs = places(3)
    p = plan(org, wave, window, [scenario, scenario2], locs, 2)
    assert (p.total, len(p.new), len(p.existing), p.unassigned, p.assigned_to) == (12, 12, 0, 0, {})
    result = scheduling.create_bulk(plan=p, actor=program_admin, batch_size=5)
    assert (result.created, result.assigned, result.skipped) == (12, 0, 0)
    shops = Assignment.objects.all()
    assert shops.count() == 12 and {s.status for s in shops} == {S.OPEN}
    assert sorted(s.fee for s in shops)[0] == Decimal("12.50")
    assert shops.filter(deadline=window[1] + dt.timedelta(hours=24)).count() == 12
    assert AssignmentEvent.objects.filter(kind="created", details__via="bulk").count() == 12
    # the same plan sent again (a double click) and a new plan of the same shops
    again = scheduling.create_bulk(plan=p, actor=program_admin)
    assert (again.created, again.skipped) == (0, 12)
    p2 = plan(org, wave, window, [scenario, scenario2], locs, 2)
    assert (p2.total, len(p2.new), len(p2.existing)) == (12, 0, 12)
    # one more location and one more visit: only what is missing
    p3 = plan(org, wave, window, [scenario, scenario2], [*locs, *places(1)], 3)
    assert (p3.total, len(p3.new)) == (24, 12)
    assert scheduling.create_bulk(plan=p3, actor=program_admin).created == 12
    assert Assignment.objects.count() == 24 and not Message.objects.exists()


def test_bulk_gives_shops_evenly_with_every_rule(
    org, wave, window, scenario, places, program_admin, ann, bob
):
    l1, l2, l3 = locs = places(3)
    carol = add_shopper(org, "carol@shoppers.test", languages=["en"])
    panel.set_exclusions(profile=profile(carol, org), locations=[l1])
    dave = add_shopper(org, "dave@shoppers.test", status=ShopperProfile.Status.PENDING)
    outsider = add_shopper(org, "eve@shoppers.test", languages=["de"])
    scenario.languages = ["en"]
    scenario.save()
    p = plan(org, wave, window, [scenario], locs, 2, shoppers=[ann, bob, carol, dave, outsider])
    got = {key: user for key, user in p.assigned_to.items()}
    by_key = {key: (loc, n) for _, loc, n, key in p.jobs}
    mapping = {(by_key[k][0], by_key[k][1]): u for k, u in got.items()}
    # hand-computed: fewest so far, then the lowest id; carol never at l1, two shoppers per place
    assert mapping == {
        (l1, 1): ann,
        (l1, 2): bob,
        (l2, 1): carol,
        (l2, 2): ann,
        (l3, 1): bob,
        (l3, 2): carol,
    }
    assert p.unassigned == 0
    result = scheduling.create_bulk(plan=p, actor=program_admin)
    assert (result.created, result.assigned) == (6, 6)
    for shop in Assignment.objects.all():
        assert shop.status == S.ASSIGNED and shop.assigned_at is not None
    assert sorted(k for _, k, _ in queued(emails.CONFIRMED)) == sorted(
        f"assignment:{a.pk}:confirmed:bulk" for a in Assignment.objects.all()
    )
    assert AssignmentEvent.objects.filter(kind="transition", details__via="bulk").count() == 6
    # a third visit per place: each shopper is locked out where they already go
    p2 = plan(org, wave, window, [scenario], locs, 3, shoppers=[ann, bob, carol])
    third = {loc: p2.assigned_to.get(key) for _, loc, _, key in p2.new}
    assert third == {l1: None, l2: bob, l3: ann} and p2.unassigned == 1
    scheduling.create_bulk(plan=p2, actor=program_admin)
    scheduling.create_bulk(plan=p2, actor=program_admin)  # replayed: no second email
    assert Message.objects.count() == 8 and Assignment.objects.count() == 9


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("arrays", [True, False], ids=["arrays", "bulk_create"])
def test_two_bulk_runs_at_once_create_each_shop_once(
    org, wave, window, scenario, scenario2, places, program_admin, ann, bob, arrays, monkeypatch
):
    if arrays and not scheduling.writes_arrays():
        pytest.skip("the array path is PostgreSQL's")
    monkeypatch.setattr(scheduling, "writes_arrays", lambda: arrays)
    p = plan(org, wave, window, [scenario, scenario2], places(4), 3, shoppers=[ann, bob])
    results = race(
        lambda: scheduling.create_bulk(plan=p, actor=program_admin, batch_size=4),
        lambda: scheduling.create_bulk(plan=p, actor=program_admin, batch_size=4),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.created for r in results) == 24
    assert Assignment.objects.count() == 24
    assert Message.objects.filter(purpose=emails.CONFIRMED).count() == p.total - p.unassigned


def _bulk_outcome() -> dict:
    """Everything a bulk creation wrote, keyed by bulk key rather than by primary key (which
    differs from one run to the next)."""
    key_of = dict(Assignment.objects.exclude(bulk_key=None).values_list("pk", "bulk_key"))
    shops = {
        a.bulk_key: (
            a.scenario_id,
            a.location_id,
            a.wave_id,
            a.status,
            a.shopper_id,
            a.fee,
            a.expense_cap,
            a.window_start,
            a.window_end,
            a.deadline,
            a.created_by_id,
            a.assigned_at is not None,
            a.integrity_flags,
            a.returns,
        )
        for a in Assignment.objects.exclude(bulk_key=None)
    }
    events = sorted(
        (key_of[e.assignment_id], e.kind, e.from_status, e.to_status, e.actor_id, e.details)
        for e in AssignmentEvent.objects.filter(assignment_id__in=key_of)
    )
    messages = sorted(
        (
            m.purpose,
            m.key.replace(
                f":{m.context['assignment_id']}:", f":{key_of[m.context['assignment_id']]}:"
            ),
            m.to_email,
            m.to_name,
            m.organization_id,
            m.context["shopper_id"],
            m.state,
        )
        for m in Message.objects.all()
    )
    return {"shops": shops, "events": events, "messages": messages}


def test_bulk_writes_the_same_through_arrays_as_through_bulk_create(
    org, wave, window, scenario, scenario2, places, location, program_admin, ann, bob, monkeypatch
):
    """The PostgreSQL path (arrays bound by the server) and the portable one (bulk_create) on
    a mixed case: eligibility (languages, region, a pending shopper), an exclusion, a lockout by
    a shop held before the batch and by the batch's own shops, an even spread, a first run with
    fewer visits and a replay."""
    if not scheduling.writes_arrays():
        pytest.skip("the array path is PostgreSQL's")
    l1, l2, _l3 = locs = places(3)
    carol = add_shopper(org, "carol@shoppers.test", home_region="North", languages=["en"])
    panel.set_exclusions(profile=profile(carol, org), locations=[l1])
    dave = add_shopper(org, "dave@shoppers.test", status=ShopperProfile.Status.PENDING)
    eve = add_shopper(org, "eve@shoppers.test", home_region="North", languages=["de"])
    scenario.languages = ["en"]
    scenario.save()
    scenario2.regions = ["North"]
    scenario2.save()
    make_shop(S.ASSIGNED, scenario=scenario, location=l2, wave=wave, shopper=ann, window=window)
    group = [ann, bob, carol, dave, eve]

    def run(arrays: bool) -> tuple[dict, list]:
        monkeypatch.setattr(scheduling, "writes_arrays", lambda: arrays)
        first = plan(org, wave, window, [scenario, scenario2], locs, 1, shoppers=group)
        scheduling.create_bulk(plan=first, actor=program_admin, batch_size=4)
        p = plan(org, wave, window, [scenario, scenario2], [*locs, location], 3, shoppers=group)
        results = [
            scheduling.create_bulk(plan=p, actor=program_admin, batch_size=5),
            scheduling.create_bulk(plan=p, actor=program_admin),  # a replay
        ]
        given = sorted((key, user.email) for key, user in p.assigned_to.items())
        summary = [len(p.new), len(p.existing), p.unassigned, given, results]
        return _bulk_outcome(), summary

    through_arrays = run(True)
    Message.objects.all().delete()
    Assignment.objects.exclude(bulk_key=None).delete()
    through_orm = run(False)
    assert through_arrays == through_orm
    outcome, (new, existing, unassigned, given, results) = through_arrays
    assert (new, existing) == (18, 6) and len(outcome["shops"]) == 24
    assert [(r.created, r.skipped) for r in results] == [(18, 6), (0, 24)]
    # every rule held: never dave (pending), eve only on scenario2 (scenario needs English),
    # bob never on scenario2 (North only), carol never at l1, ann not at l2 (her held shop),
    # at most one shop per shopper and place (the lockout inside the batch)
    email = dict(User.objects.values_list("pk", "email"))
    holders = []
    for scen, loc, _wave, status, shopper_id, *_rest in outcome["shops"].values():
        who = email.get(shopper_id)
        assert (status == S.ASSIGNED) == (who is not None)
        assert who != "dave@shoppers.test"
        assert not (who == "eve@shoppers.test" and scen == scenario.pk)
        assert not (who == "carol@shoppers.test" and loc == l1.pk)
        assert not (who == "ann@shoppers.test" and loc == l2.pk)
        assert not (who == "bob@shoppers.test" and scen == scenario2.pk)
        if who:
            holders.append((who, loc))
    assert len(holders) == len(set(holders)) == len(outcome["messages"])
    assert len(given) == 18 - unassigned
    assert [e[1] for e in outcome["events"]].count("created") == 24


def test_bulk_creation_takes_a_fixed_number_of_queries(
    org, wave, window, scenario, scenario2, places, program_admin, ann, bob
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 2, 6):  # the first creates the programme's settings row and warms caches
        group = [ann, bob, *(add_shopper(org, f"q{n}-{i}@shoppers.test") for i in range(4))]
        locs = places(n)
        with CaptureQueriesContext(connection) as planning:
            p = plan(org, wave, window, [scenario, scenario2], locs, 3, shoppers=group)
        with CaptureQueriesContext(connection) as creating:
            result = scheduling.create_bulk(plan=p, actor=program_admin)
        assert result.created == 6 * n and result.assigned == 6 * n
        counts.append((len(planning), len(creating)))
    assert counts[1][0] == counts[2][0], counts
    if scheduling.writes_arrays():
        # (bulk_create on SQLite splits its rows by the database's limit on parameters)
        assert counts[1][1] == counts[2][1], counts


def test_bulk_limits(
    org, wave, window, scenario, places, other_location, monkeypatch, django_assert_num_queries
):
    locs = places(2)
    for visits in (0, 51):
        with pytest.raises(DomainError, match="between 1 and 50") as exc:
            plan(org, wave, window, [scenario], locs, visits)
        assert exc.value.field == "visits"
    with pytest.raises(DomainError, match="at least one scenario"):
        plan(org, wave, window, [], locs, 1)
    with pytest.raises(DomainError, match="cannot be shopped"):
        plan(org, wave, window, [scenario], [*locs, other_location], 1)
    # 2 x 501 x 50 = 50,100 shops: refused before any query
    many = [Location(organization=org, code=f"X{i}", name="x") for i in range(501)]
    with django_assert_num_queries(0), pytest.raises(DomainError, match="more than 50,000"):
        plan(org, wave, window, [scenario, scenario], many, 50)
    assert scheduling.MAX_BULK == 50_000
    # the cap itself is allowed
    monkeypatch.setattr(scheduling, "MAX_BULK", 4)
    assert plan(org, wave, window, [scenario], locs, 2).total == 4
    with pytest.raises(DomainError, match="more than 4 shops"):
        plan(org, wave, window, [scenario], locs, 3)


# -- the clock -------------------------------------------------------------------------------------


@pytest.fixture
def shop_of(scenario, location, wave, ann):
    def make(status, window, **kw):
        return make_shop(
            status,
            scenario=scenario,
            location=location,
            wave=wave,
            shopper=ann,
            window=window,
            **kw,
        )

    return make


def test_overdue_shops_expire_once(shop_of):
    now = timezone.now()
    past = (now - dt.timedelta(days=5), now - dt.timedelta(days=3))  # deadline 2 days ago
    soon = (now - dt.timedelta(days=5), now - dt.timedelta(hours=1))  # deadline in 23 h
    # a shop returned for edits and not sent again by its deadline expires too: it would
    # otherwise count against the shopper's open-at-once limit for ever
    due = [shop_of(S.ASSIGNED, past), shop_of(S.IN_PROGRESS, past), shop_of(S.RETURNED, past)]
    kept = [
        shop_of(S.OPEN, past),
        shop_of(S.SUBMITTED, past),
        shop_of(S.RESUBMITTED, past),
        shop_of(S.ASSIGNED, soon),
    ]
    assert scheduling.expire_overdue() == 3
    for shop in due:
        stored = Assignment.objects.get(pk=shop.pk)
        assert stored.status == S.EXPIRED
        event = stored.events.get()
        assert event.actor is None and event.reason == "deadline passed"
        assert (event.from_status, event.to_status) == (shop.status, S.EXPIRED)
    for shop in kept:
        assert row(shop)["status"] == shop.status
    assert scheduling.expire_overdue() == 0  # a second sweep
    assert AssignmentEvent.objects.count() == 3
    returned = Assignment.objects.get(pk=due[2].pk)
    assert returned.response.status == "draft" and not returned.response.counted
    assert scheduling.expire_overdue(now=now + dt.timedelta(days=1)) == 1  # later: the last one


def test_reminders_go_once_per_held_shop_a_day_before_the_window_closes(shop_of, ann):
    now = timezone.now()
    closing = (now - dt.timedelta(days=2), now + dt.timedelta(hours=23))
    due = [shop_of(S.ASSIGNED, closing), shop_of(S.IN_PROGRESS, closing)]
    for status, window in (
        (S.OPEN, closing),
        (S.SUBMITTED, closing),
        (S.CANCELLED, closing),
        (S.ASSIGNED, (now - dt.timedelta(days=2), now + dt.timedelta(hours=25))),
        (S.ASSIGNED, (now - dt.timedelta(days=2), now - dt.timedelta(minutes=1))),
    ):
        shop_of(status, window)
    assert scheduling.send_window_reminders() == 2
    expected = sorted(
        (
            emails.REMINDER,
            f"assignment:{s.pk}:reminder:{ann.pk}:{s.window_end.isoformat()}",
            ann.email,
        )
        for s in due
    )
    assert sorted(queued()) == expected
    assert scheduling.send_window_reminders() == 0
    assert scheduling.send_window_reminders(now=now + dt.timedelta(minutes=30)) == 0
    assert sorted(queued()) == expected


def test_a_shop_given_to_someone_else_after_its_reminder_reminds_the_new_holder(
    shop_of, ann, bob, program_admin
):
    now = timezone.now()
    shop = shop_of(S.ASSIGNED, (now - dt.timedelta(days=2), now + dt.timedelta(hours=20)))
    assert scheduling.send_window_reminders() == 1
    scheduling.unassign(assignment=shop, actor=program_admin, reason="ill")
    scheduling.assign_shopper(assignment=shop, shopper=bob, actor=program_admin)
    assert scheduling.send_window_reminders() == 1
    assert [to for _, _, to in queued(emails.REMINDER)] == [ann.email, bob.email]
    with pytest.raises(Skip):  # ann's reminder, if still waiting, is not sent
        build(emails.REMINDER, Message.objects.filter(purpose=emails.REMINDER).order_by("pk")[0])


# -- the rating ------------------------------------------------------------------------------------


def test_the_rating_is_the_mean_of_the_latest_twenty_outcomes(org, shop_of, ann):
    assert scheduling.update_rating(organization=org, shopper=ann) is None
    assert profile(ann, org).rating is None and profile(ann, org).rated_shops == 0
    now = timezone.now()
    window = (now - dt.timedelta(days=3), now - dt.timedelta(days=2))

    def decided(points, days_ago):
        status = S.REJECTED if points == 1 else S.APPROVED
        shop_of(status, window, outcome_points=points, decided_at=now - dt.timedelta(days=days_ago))

    for points, ago in ((5, 3), (3, 2), (1, 1)):
        decided(points, ago)
    assert scheduling.update_rating(organization=org, shopper=ann) == Decimal("3.00")
    decided(5, 0)
    assert scheduling.update_rating(organization=org, shopper=ann) == Decimal("3.50")  # 14/4
    Assignment.objects.all().delete()
    decided(1, 30)  # the oldest of 21: falls out of the window
    for k in range(20):
        decided(5 if k % 3 else 3, k)  # 7 threes and 13 fives: 86 / 20
    assert scheduling.update_rating(organization=org, shopper=ann) == Decimal("4.30")
    stored = profile(ann, org)
    assert stored.rating == Decimal("4.30") and stored.rated_shops == 20
    # an open or undecided shop does not count
    shop_of(S.SUBMITTED, window)
    assert scheduling.update_rating(organization=org, shopper=ann) == Decimal("4.30")


def test_a_full_loop_queues_one_email_per_event(job, ann, reviewer):
    from shoppers.review import services as review

    shop = fill(job, ann)
    shop = review.return_shop(assignment=shop, actor=reviewer, comment="Which desk?")
    from shoppers.visits import services as visits

    shop = visits.submit_visit(
        assignment=shop, shopper=ann, raw_answers={"greet": "yes", "smile": "yes"}
    )
    shop = review.approve_shop(assignment=shop, actor=reviewer)
    with pytest.raises(DomainError, match="not under review"):
        review.approve_shop(assignment=shop, actor=reviewer)  # a replay of the decision
    assert [p for p, _, _ in queued()] == [emails.CONFIRMED, emails.RETURNED, emails.APPROVED]
    assert {to for _, _, to in queued()} == {ann.email}


def test_planning_costs_the_same_queries_whatever_the_size(
    org, wave, window, scenario, scenario2, places, ann, bob
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    carol = add_shopper(org, "carol@shoppers.test")

    def queries(locations, visits, shoppers):
        with CaptureQueriesContext(connection) as ctx:
            p = plan(org, wave, window, [scenario, scenario2], locations, visits, shoppers)
        return len(ctx), p

    queries(places(1), 1, [ann])  # the programme's settings are made on first use
    small, p_small = queries(places(1), 1, [ann])
    large, p_large = queries(places(8), 3, [ann, bob, carol])
    assert p_small.total == 2 and p_large.total == 48
    assert large == small, (small, large)


@pytest.mark.django_db(transaction=True)
def test_double_clicks_on_a_shopper_s_buttons_are_replays(job, ann, program_admin):
    """Each of these sent twice at once gives the same answer twice, and one row."""
    from shoppers.visits import services as visits

    twice = race(*[lambda: scheduling.request_job(assignment=job, shopper=ann)] * 2)
    assert [type(r).__name__ for r in twice] == ["JobRequest"] * 2, twice
    assert JobRequest.objects.count() == 1
    scheduling.withdraw_request(request=twice[0], shopper=ann)

    scheduling.offer_job(assignment=job, shoppers=[ann], actor=program_admin)
    offer = JobOffer.objects.get()
    twice = race(*[lambda: scheduling.accept_offer(offer=offer, shopper=ann)] * 2)
    assert [type(r).__name__ for r in twice] == ["Assignment"] * 2, twice
    assert len(queued(emails.CONFIRMED)) == 1

    twice = race(*[lambda: visits.start_visit(assignment=job, shopper=ann)] * 2)
    assert [type(r).__name__ for r in twice] == ["Assignment"] * 2, twice
    assert {r.response_id for r in twice} == {Assignment.objects.get(pk=job.pk).response_id}
    assert AssignmentEvent.objects.filter(to_status=S.IN_PROGRESS).count() == 1


def test_the_job_board_and_taking_agree_at_the_lockout_s_edges(
    org, programme, scenario, location, wave, ann
):
    """Jobs whose window touches a lockout block exactly at one end are listed and can be
    taken (exactly lockout_days apart is allowed); a microsecond further in, neither."""
    from shoppers.jobs.board import job_board

    rules(programme, daily_self_assign_limit=50, open_limit=50)
    now = timezone.now()
    day, us = dt.timedelta(days=1), dt.timedelta(microseconds=1)

    def shop(start, end, **kw):
        return make_shop(
            kw.pop("status", S.OPEN),
            scenario=scenario,
            location=location,
            wave=wave,
            window=(start, end),
            **kw,
        )

    # ann visited here 10 days ago (a block until now+20d) and holds a shop planned for days
    # 60-61 (a block from now+30d)
    visited = now - 10 * day
    shop(visited - day, visited + day, status=S.APPROVED, shopper=ann, visited_at=visited)
    planned = shop(now + 60 * day, now + 61 * day, status=S.ASSIGNED, shopper=ann)
    hi = visited + 30 * day  # now+20d: the first moment after the visit's lockout
    lo = planned.window_start - 30 * day  # now+30d: the last moment before the planned lockout
    edges = {
        "ends at the first free moment": (shop(now + day, hi), True),
        "ends just before it": (shop(now + day, hi - us), False),
        "starts at the last free moment": (shop(lo, lo + 20 * day), True),
        "starts just after it": (shop(lo + us, lo + 20 * day), False),
    }
    listed = set(job_board(organization=org, user=ann, lockout_days=30, now=now).ids)
    for name, (job, free) in edges.items():
        assert (job.pk in listed) is free, name
        problems = scheduling.problems_taking(
            job, ann, programme=programme, via=scheduling.Via.SELF, at=now
        )
        assert (not problems) is free, (name, problems)


@pytest.mark.parametrize(
    "change, reason",
    [
        ("scenario", "its scenario is archived"),
        ("location", "its location is closed"),
        ("wave", "its wave is closed"),
    ],
)
def test_a_job_of_an_archived_scenario_closed_location_or_closed_wave_is_nobodys(
    org, job, ann, program_admin, change, reason
):
    from shoppers.jobs.board import job_board

    def on_board() -> list[int]:
        board = job_board(organization=org, user=ann, lockout_days=0, now=timezone.now())
        return list(board.ids)

    assert on_board() == [job.pk]
    if change == "scenario":
        type(job.scenario).objects.filter(pk=job.scenario_id).update(is_active=False)
    elif change == "location":
        type(job.location).objects.filter(pk=job.location_id).update(is_active=False)
    else:
        type(job.wave).objects.filter(pk=job.wave_id).update(status="closed")
    job = type(job).objects.get(pk=job.pk)
    assert on_board() == []
    for attempt in (
        lambda: scheduling.self_assign(assignment=job, shopper=ann),
        lambda: scheduling.request_job(assignment=job, shopper=ann),
        lambda: scheduling.assign_shopper(assignment=job, shopper=ann, actor=program_admin),
    ):
        with pytest.raises(DomainError, match=reason):
            attempt()
    assert row(job)["status"] == S.OPEN
