"""Visit integrity: each flag on a hand-made case and its absence, first as the pure checks,
then as a reviewer meets them on a submitted shop (photos with EXIF times and GPS positions,
the same file in two shops, a narrative copied from another shop, a form sent too fast); the
distance and the score on hand-computed figures."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from cxaudit.accounts.models import Location
from shoppers.models import Assignment
from shoppers.review.integrity import (
    WEIGHTS,
    Flag,
    IntegrityReport,
    check_narratives,
    check_photo_places,
    check_photo_times,
    check_speed,
    check_window,
    distance_m,
)
from shoppers.scheduling import services as scheduling
from surveys.models import Response, Survey
from tests.shoppers.shops import exif_time, jpeg, send, take_and_start, upload

T = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
R = 6_371_000.0
DEGREE = R * math.pi / 180  # 111,194.93 m: one degree along a great circle


def when(moment: dt.datetime) -> str:
    """A moment as the flags word it (in the site's time zone)."""
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


# -- the pure checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "metres"),
    [
        ((0.0, 0.0), (1.0, 0.0), DEGREE),  # a degree of latitude
        ((0.0, 0.0), (0.0, 1.0), DEGREE),  # a degree of longitude on the equator
        ((60.0, 10.0), (60.0, 11.0), None),  # at 60°N: see below
        ((51.5, -0.12), (51.5, -0.12), 0.0),
        ((0.0, 0.0), (0.0, 180.0), math.pi * R),  # half way round
        ((90.0, 0.0), (-90.0, 0.0), math.pi * R),  # pole to pole
        ((51.5, 0.0), (51.5045, 0.0), 0.0045 * DEGREE),  # 500.4 m due north
    ],
)
def test_distance_against_hand_computed_figures(a, b, metres):
    if metres is None:
        # haversine at equal latitude φ: 2R asin(cos φ sin(Δλ/2)); cos 60° = 1/2
        metres = 2 * R * math.asin(0.5 * math.sin(math.radians(0.5)))
        assert metres == pytest.approx(55_596.9, abs=0.5)
    assert distance_m(*a, *b) == pytest.approx(metres, abs=0.01)
    assert distance_m(*b, *a) == pytest.approx(metres, abs=0.01)


def test_a_visit_inside_its_window_edges_included():
    start, end = T, T + dt.timedelta(days=2)
    for moment in (start, end, T + dt.timedelta(days=1), None):
        assert check_window(moment, start, end) is None
    early = check_window(start - MIN, start, end)
    assert early.code == "visit_outside_window"
    assert early.detail == (
        f"visit given as {when(start - MIN)}; the window was {when(start)} to {when(end)}"
    )
    assert check_window(end + MIN, start, end).code == "visit_outside_window"


def test_photo_times_within_the_tolerance_are_fine_the_farthest_is_named():
    taken = [("desk.jpg", T + dt.timedelta(minutes=120)), ("door.jpg", T - dt.timedelta(hours=1))]
    assert check_photo_times(T, taken, 120) is None  # exactly 120 minutes is within
    assert check_photo_times(None, taken, 10) is None
    assert check_photo_times(T, [], 10) is None
    far = check_photo_times(
        T,
        [*taken, ("old.jpg", T - dt.timedelta(hours=30)), ("x.jpg", T + dt.timedelta(hours=3))],
        120,
    )
    assert far.code == "photo_time"
    assert far.detail == (
        f"“old.jpg” was taken {when(T - dt.timedelta(hours=30))}, 30.0 h from the visit time "
        "(2 photo(s) beyond 120 min)"
    )


def test_photo_places_against_the_tolerance():
    here = (51.5, 0.0)
    near = [("desk.jpg", 51.5045, 0.0)]  # 500.4 m
    assert check_photo_places(here, near, 501) is None
    assert check_photo_places(here, near, 500).detail == (
        "“desk.jpg” was taken 500 m from the location (limit 500 m)"
    )
    far = check_photo_places(here, [*near, ("bus.jpg", 52.5, 0.0)], 500)
    assert far.code == "photo_far"
    assert far.detail == "“bus.jpg” was taken 111.2 km from the location (limit 500 m)"
    assert check_photo_places(None, near, 1) is None  # the location has no coordinates
    assert check_photo_places(here, [], 1) is None  # no photo kept its position


STORY = (
    "The agent greeted me after a short wait, apologised for the queue and explained the "
    "refund rules for a day return clearly before processing it."
)


def test_copied_narratives_near_identical_long_texts_only():
    others = [("shop #1", STORY)]
    same_but_shouting = STORY.upper().replace(",", " ;")
    assert check_narratives([same_but_shouting], others).detail == (
        "a long answer is 100% the same as in shop #1"
    )
    one_word = STORY.replace("short", "brief")
    flag = check_narratives([one_word], others)
    assert flag.code == "copied_narrative" and "the same as in shop #1" in flag.detail
    other = (
        "Nobody was at the desk for ten minutes; when someone came they sent me to the "
        "ticket machine and would not discuss a refund at all."
    )
    assert check_narratives([other], others) is None
    assert check_narratives(["Fine."], [("shop #1", "Fine.")]) is None  # too short to tell
    assert check_narratives([STORY], [("shop #1", "Fine.")]) is None
    assert check_narratives([STORY], []) is None


def test_speed_per_answer():
    assert check_speed(T, T + dt.timedelta(seconds=40), 10, 4) is None  # exactly 4 s each
    fast = check_speed(T, T + dt.timedelta(seconds=39), 10, 4)
    assert fast.code == "too_fast"
    assert fast.detail == (
        "10 answers in 39 s from the visit's start to sending (under 4 s per answer)"
    )
    assert check_speed(T, T, 10, 0) is None
    assert check_speed(None, T, 10, 4) is None
    assert check_speed(T, T, 0, 4) is None


def test_the_score_is_100_minus_the_weights_never_below_zero():
    assert IntegrityReport(flags=()).score == 100
    report = IntegrityReport(flags=(Flag("photo_time", "a"), Flag("too_fast", "b")))
    assert report.score == 60  # 100 - 20 - 20
    assert report.flags_json() == [
        {
            "code": "photo_time",
            "label": "Photo time far from the visit",
            "detail": "a",
            "weight": 20,
        },
        {"code": "too_fast", "label": "Form filled implausibly fast", "detail": "b", "weight": 20},
    ]
    everything = IntegrityReport(flags=tuple(Flag(code, "") for code in WEIGHTS))
    assert sum(WEIGHTS.values()) == 165 and everything.score == 0


# -- on a submitted shop ---------------------------------------------------------------------------


@pytest.fixture
def started(job, ann):
    shop = take_and_start(job, ann)
    # started a good while ago, so that the speed check stays quiet unless a test wants it
    Response.objects.filter(pk=shop.response_id).update(
        started_at=timezone.now() - dt.timedelta(hours=1)
    )
    return Assignment.objects.get(pk=shop.pk)


def other_shop(org, scenario, wave, window, program_admin, shopper, location):
    shop = scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=window[0],
        window_end=window[1],
        actor=program_admin,
    )
    shop = take_and_start(shop, shopper)
    Response.objects.filter(pk=shop.response_id).update(
        started_at=timezone.now() - dt.timedelta(hours=1)
    )
    return Assignment.objects.get(pk=shop.pk)


def codes(shop) -> list[str]:
    return [f["code"] for f in Assignment.objects.get(pk=shop.pk).integrity_flags]


ANSWERS = {"greet": "yes", "smile": "yes"}


@pytest.mark.django_db
def test_an_honest_shop_has_no_flag(started, ann):
    visited = timezone.now() - dt.timedelta(minutes=40)
    evidence = upload(started.response, "receipt", jpeg(taken=exif_time(visited + 5 * MIN)))
    shop = send(
        started,
        ann,
        {**ANSWERS, "receipt": str(evidence.key), "story": STORY},
        visited_at=visited,
    )
    assert shop.integrity_flags == [] and shop.integrity_score == 100
    assert Assignment.objects.get(pk=shop.pk).integrity_score == 100


@pytest.mark.django_db
def test_a_visit_outside_its_window(started, ann):
    before = started.window_start - dt.timedelta(hours=3)  # the day before: accepted, flagged
    shop = send(started, ann, ANSWERS, visited_at=before)
    assert codes(shop) == ["visit_outside_window"] and shop.integrity_score == 75


@pytest.mark.django_db
def test_a_photo_taken_far_from_the_visit_time(started, ann):
    visited = timezone.now() - dt.timedelta(minutes=40)
    upload(started.response, "receipt", jpeg(taken=exif_time(visited - dt.timedelta(days=3))))
    shop = send(started, ann, ANSWERS, visited_at=visited)
    assert codes(shop) == ["photo_time"] and shop.integrity_score == 80
    assert "72.0 h from the visit time" in shop.integrity_flags[0]["detail"]


@pytest.mark.django_db
def test_a_photo_taken_far_from_the_location(started, ann, location, visit_form):
    Survey.objects.filter(pk=visit_form.pk).update(keep_photo_location=True)
    Location.objects.filter(pk=location.pk).update(latitude=51.5, longitude=-0.12)
    started.response.survey.refresh_from_db()
    upload(started.response, "receipt", jpeg(gps=(51.5, -0.12)), "near.jpg")
    upload(started.response, "receipt", jpeg(gps=(51.52, -0.12), colour="red"), "far.jpg")
    shop = send(started, ann, ANSWERS)
    assert codes(shop) == ["photo_far"] and shop.integrity_score == 70
    detail = shop.integrity_flags[0]["detail"]
    assert detail == "“far.jpg” was taken 2.2 km from the location (limit 500 m)"


@pytest.mark.django_db
def test_gps_is_not_judged_without_coordinates_or_when_the_survey_drops_positions(
    started, ann, location, visit_form
):
    # the survey strips positions (the default): nothing to compare even with coordinates
    Location.objects.filter(pk=location.pk).update(latitude=10.0, longitude=10.0)
    upload(started.response, "receipt", jpeg(gps=(51.52, -0.12)))
    assert "photo_far" not in codes(send(started, ann, ANSWERS))


@pytest.mark.django_db
def test_gps_is_not_judged_when_the_location_has_no_coordinates(started, ann, visit_form):
    Survey.objects.filter(pk=visit_form.pk).update(keep_photo_location=True)
    started.response.survey.refresh_from_db()
    evidence = upload(started.response, "receipt", jpeg(gps=(51.52, -0.12)))
    assert evidence.gps_lat is not None
    assert "photo_far" not in codes(send(started, ann, ANSWERS))


@pytest.mark.django_db
def test_the_same_photo_in_two_shops(
    org, scenario, wave, window, program_admin, started, ann, bob, second_location
):
    photo = jpeg(colour="blue")
    upload(started.response, "receipt", photo)
    first = send(started, ann, ANSWERS)
    assert "duplicate_photo" not in codes(first)
    theirs = other_shop(org, scenario, wave, window, program_admin, bob, second_location)
    upload(theirs.response, "receipt", photo, "same.jpg")
    second = send(theirs, bob, ANSWERS)
    assert codes(second) == ["duplicate_photo"] and second.integrity_score == 60
    assert second.integrity_flags[0]["detail"] == (
        f"the same file was uploaded to shop #{first.pk} (Kingsbridge, ann)"
    )
    # a different photo is no duplicate
    third = other_shop(org, scenario, wave, window, program_admin, ann, second_location)
    upload(third.response, "receipt", jpeg(colour="yellow"))
    assert "duplicate_photo" not in codes(send(third, ann, ANSWERS))


@pytest.mark.django_db
def test_a_narrative_copied_from_another_shop(
    org, scenario, wave, window, program_admin, started, ann, bob, second_location
):
    first = send(started, ann, {**ANSWERS, "story": STORY})
    assert codes(first) == []
    theirs = other_shop(org, scenario, wave, window, program_admin, bob, second_location)
    copied = STORY.replace("clearly", "very clearly")
    second = send(theirs, bob, {**ANSWERS, "story": copied})
    assert codes(second) == ["copied_narrative"] and second.integrity_score == 70
    assert f"shop #{first.pk}" in second.integrity_flags[0]["detail"]
    # their own words are not flagged
    third = other_shop(org, scenario, wave, window, program_admin, ann, second_location)
    own = "The desk was closed; a sign pointed to a help point that did not answer my call."
    assert codes(send(third, ann, {**ANSWERS, "story": own * 2})) == []


@pytest.mark.django_db
def test_a_form_sent_implausibly_fast(started, ann):
    answered = 4  # greet, smile, receipt and story
    Response.objects.filter(pk=started.response_id).update(
        started_at=timezone.now() - dt.timedelta(seconds=5)
    )
    shop = send(started, ann, {**ANSWERS, "story": "ok"})
    stored = Response.objects.get(pk=shop.response_id)
    assert stored.answers.count() <= answered
    assert codes(shop) == ["too_fast"] and shop.integrity_score == 80


@pytest.mark.django_db
def test_a_resubmission_is_assessed_again_without_the_speed_check(started, ann, reviewer):
    from shoppers.review import services as review

    Response.objects.filter(pk=started.response_id).update(started_at=timezone.now())
    shop = send(started, ann, ANSWERS, visited_at=started.window_start - dt.timedelta(hours=2))
    assert codes(shop) == ["visit_outside_window", "too_fast"] and shop.integrity_score == 55
    shop = review.return_shop(assignment=shop, actor=reviewer, comment="the time?")
    shop = send(shop, ann, ANSWERS, visited_at=timezone.now() - dt.timedelta(minutes=5))
    assert shop.status == Assignment.Status.RESUBMITTED
    assert codes(shop) == [] and shop.integrity_score == 100


@pytest.mark.django_db
def test_the_assessment_costs_the_same_queries_however_many_other_shops(
    org, scenario, wave, window, program_admin, started, ann, bob, second_location
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shoppers.review.integrity import assess

    def cost(shop):
        shop = Assignment.objects.select_related("organization", "location", "response").get(
            pk=shop.pk
        )
        with CaptureQueriesContext(connection) as ctx:
            assess(shop)
        return len(ctx)

    photo = jpeg(colour="teal")
    upload(started.response, "receipt", photo)
    first = send(started, ann, {**ANSWERS, "story": STORY})
    assert cost(first) <= 6  # nothing else to compare with: no query for other shops' names
    costs = []
    for k, shopper in enumerate((bob, ann, bob, ann)):
        place = Location.objects.create(organization=org, code=f"Q{k}", name=f"Q{k}")
        other = other_shop(org, scenario, wave, window, program_admin, shopper, place)
        upload(other.response, "receipt", photo)
        send(other, shopper, {**ANSWERS, "story": STORY})
        costs.append(cost(first))
    assert costs == [7] * 4  # the module's "seven queries", however many twins
    assert codes(first) == []  # stored at its own submission, when it was the first
