"""The pure scheduling rules (shoppers/scheduling/rules.py) on hand-computed cases: eligibility
criterion by criterion, lockout blocks and their edges (two visits exactly `lockout_days` apart
are allowed), the first free moment of a window, and the Distributor (even spread, exclusions,
eligibility and lockouts, including the jobs it gave earlier in the same batch), with a property
test that it never gives a job that breaks a rule. No database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shoppers.scheduling.rules import (
    STAFF,
    Candidate,
    Distributor,
    HeldShop,
    blocks,
    eligibility_problems,
    first_free_moment,
    lockout_problem,
    scenario_rule,
    shopper_facts,
    visit_lockout_problem,
)

UTC = dt.UTC
T = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a visit
DAY = dt.timedelta(days=1)
US = dt.timedelta(microseconds=1)


def who(**kw):
    kw.setdefault("user_id", 1)
    kw.setdefault("active", True)
    return shopper_facts(**kw)


# -- eligibility -----------------------------------------------------------------------------------


def test_anyone_active_may_take_a_scenario_without_conditions():
    assert eligibility_problems(who(), scenario_rule(id=1)) == []


def test_an_inactive_shopper_may_not():
    assert eligibility_problems(who(active=False), scenario_rule(id=1)) == [
        "your shopper account is not active"
    ]
    assert eligibility_problems(who(active=False), scenario_rule(id=1), STAFF) == [
        "their shopper account is not active"
    ]


@pytest.mark.parametrize(
    ("region", "ok"),
    [("North", True), ("  north ", True), ("NORTH", True), ("South", False), ("", False)],
)
def test_region_compared_without_case_or_spaces(region, ok):
    rule = scenario_rule(id=1, regions=["North", " East"])
    problems = eligibility_problems(who(region=region), rule)
    assert problems == ([] if ok else ["it is for shoppers of another region"])


@pytest.mark.parametrize(
    ("speaks", "missing"),
    [
        (["en", "fr"], None),
        (["EN", " fr ", "de"], None),
        (["en"], "fr"),
        ([], "en, fr"),
        (["de"], "en, fr"),
    ],
)
def test_every_language_of_the_scenario_is_needed(speaks, missing):
    rule = scenario_rule(id=1, languages=["fr", "en"])
    problems = eligibility_problems(who(languages=speaks), rule)
    if missing is None:
        assert problems == []
    else:
        assert problems == [f"it needs a language you do not list ({missing})"]
        staff = eligibility_problems(who(languages=speaks), rule, STAFF)
        assert staff == [f"it needs a language the shopper does not list ({missing})"]


@pytest.mark.parametrize(
    ("band", "ok"), [("25-34", True), ("35-49", True), ("65+", False), ("", False)]
)
def test_age_band(band, ok):
    rule = scenario_rule(id=1, age_bands=["25-34", "35-49"])
    assert (eligibility_problems(who(age_band=band), rule) == []) is ok


@pytest.mark.parametrize(("gender", "ok"), [("woman", True), ("man", False), ("", False)])
def test_gender(gender, ok):
    rule = scenario_rule(id=1, genders=["woman"])
    problems = eligibility_problems(who(gender=gender), rule)
    assert problems == ([] if ok else ["it is for shoppers of another profile"])


@pytest.mark.parametrize(
    ("rating", "ok"),
    [(None, False), (Decimal("3.99"), False), (Decimal("4.00"), True), (Decimal("5"), True)],
)
def test_minimum_rating_and_an_unrated_shopper(rating, ok):
    rule = scenario_rule(id=1, min_rating=Decimal("4.00"))
    problems = eligibility_problems(who(rating=rating), rule)
    assert problems == ([] if ok else ["it needs a rating of at least 4.00"])


def test_a_rated_shopper_meets_no_minimum():
    assert eligibility_problems(who(rating=Decimal("1")), scenario_rule(id=1)) == []


def test_certification_of_that_very_scenario():
    rule = scenario_rule(id=7, needs_certification=True)
    assert eligibility_problems(who(certified=frozenset({7})), rule) == []
    assert eligibility_problems(who(certified=frozenset({8})), rule) == [
        "it needs its certification quiz passed first"
    ]
    assert eligibility_problems(who(certified=frozenset({8})), scenario_rule(id=7)) == []


def test_every_problem_is_listed():
    rule = scenario_rule(
        id=1,
        regions=["North"],
        languages=["cy"],
        age_bands=["18-24"],
        genders=["man"],
        min_rating=Decimal("2"),
        needs_certification=True,
    )
    assert len(eligibility_problems(who(active=False), rule)) == 7


# -- lockout blocks --------------------------------------------------------------------------------


def test_a_block_is_around_the_visit_else_the_start_else_the_whole_window():
    lockout = dt.timedelta(days=30)
    start, end = T - 2 * DAY, T + 2 * DAY
    planned = HeldShop(1, 7, start, end)
    assert planned.block(lockout) == (start - lockout, end + lockout)
    started = HeldShop(1, 7, start, end, started_at=T - DAY)
    assert started.block(lockout) == (T - DAY - lockout, T - DAY + lockout)
    visited = HeldShop(1, 7, start, end, visited_at=T, started_at=T - DAY)
    assert visited.block(lockout) == (T - lockout, T + lockout)


def test_blocks_of_one_location_sorted_without_the_shop_itself():
    held = [
        HeldShop(1, 7, T + 40 * DAY, T + 41 * DAY),
        HeldShop(2, 8, T, T + DAY),  # another location
        HeldShop(3, 7, T, T + DAY),
        HeldShop(4, 7, T + 90 * DAY, T + 91 * DAY),
    ]
    got = blocks(held, location_id=7, lockout_days=10, exclude_id=4)
    assert got == [(T - 10 * DAY, T + 11 * DAY), (T + 30 * DAY, T + 51 * DAY)]


@pytest.mark.parametrize(
    ("blocked", "expected"),
    [
        ([], T),
        ([(T - DAY, T + DAY)], T + DAY),
        ([(T - DAY, T + DAY), (T + DAY, T + 3 * DAY)], T + DAY),  # ends touch: free
        ([(T - DAY, T + DAY), (T + DAY - US, T + 3 * DAY)], T + 3 * DAY),  # overlap: chain
        ([(T - 9 * DAY, T + 4 * DAY), (T - DAY, T + DAY)], T + 4 * DAY),  # nested
        ([(T, T + DAY)], T),  # a block opening at the window's start leaves that moment free
        ([(T + DAY, T + 2 * DAY)], T),
        ([(T - DAY, T + 5 * DAY)], T + 5 * DAY),  # the window's last moment
        ([(T - DAY, T + 5 * DAY + US)], None),
        ([(T - DAY, T + 2 * DAY), (T + 2 * DAY - US, T + 9 * DAY)], None),
    ],
)
def test_first_free_moment(blocked, expected):
    assert first_free_moment(T, T + 5 * DAY, blocked) == expected


def test_first_free_moment_of_an_empty_window_is_none():
    assert first_free_moment(T + DAY, T, []) is None


# The edges. Two visits by one shopper at one location must be at least `lockout_days` apart:
# exactly that far apart is allowed, before as after the other visit.


@pytest.mark.parametrize(
    ("at", "blocked"),
    [
        (T + 30 * DAY, False),
        (T + 30 * DAY - US, True),
        (T - 30 * DAY, False),
        (T - 30 * DAY + US, True),
        (T, True),
        (T + 31 * DAY, False),
        (T - 31 * DAY, False),
    ],
)
def test_a_visit_exactly_the_lockout_away_is_allowed(at, blocked):
    held = [HeldShop(1, 7, T - DAY, T + DAY, visited_at=T)]
    problem = visit_lockout_problem(location_id=7, at=at, held=held, lockout_days=30)
    assert (problem is not None) is blocked
    if blocked:
        assert problem.startswith("it is less than 30 days from your other shop")
        free = timezone.localtime(T + 30 * DAY)  # 09 Apr 2026 13:00 in London
        assert f"you can visit from {free:%d %b %Y %H:%M}" in problem


def test_a_job_whose_window_reaches_the_lockout_s_end_can_be_taken():
    held = [HeldShop(1, 7, T - DAY, T + DAY, visited_at=T)]
    common = {"location_id": 7, "held": held, "lockout_days": 30}
    # the window ends exactly 30 days after the visit: that last moment is far enough
    assert lockout_problem(window_start=T + 20 * DAY, window_end=T + 30 * DAY, **common) is None
    problem = lockout_problem(window_start=T + 20 * DAY, window_end=T + 30 * DAY - US, **common)
    assert problem == (
        "you have another shop at this location within 30 days of this job's whole visit window"
    )
    staff = lockout_problem(
        window_start=T + 20 * DAY, window_end=T + 30 * DAY - US, voice=STAFF, **common
    )
    assert staff.startswith("the shopper has another shop")
    # a window that starts exactly 30 days before the visit starts on a free moment
    assert lockout_problem(window_start=T - 30 * DAY, window_end=T, **common) is None
    assert lockout_problem(window_start=T - 30 * DAY + US, window_end=T, **common) is not None


def test_lockout_rules_agree_on_the_first_moment_the_window_offers():
    """A job may be taken when some moment of its window may be visited: the first free
    moment of the window is exactly the first moment a visit may start."""
    held = [
        HeldShop(1, 7, T - DAY, T + DAY, visited_at=T),  # blocks (T-30, T+30)
        HeldShop(2, 7, T + 70 * DAY, T + 72 * DAY),  # planned: blocks (T+40, T+102)
    ]
    start, end = T + 10 * DAY, T + 70 * DAY
    free = first_free_moment(start, end, blocks(held, location_id=7, lockout_days=30))
    assert free == T + 30 * DAY
    common = {"location_id": 7, "held": held, "lockout_days": 30}
    assert visit_lockout_problem(at=free, **common) is None
    assert visit_lockout_problem(at=free - US, **common) is not None
    assert visit_lockout_problem(at=T + 40 * DAY, **common) is None
    assert visit_lockout_problem(at=T + 40 * DAY + US, **common) is not None
    assert lockout_problem(window_start=start, window_end=end, **common) is None
    # the window from T+10 to T+30 minus a moment has no free moment
    assert lockout_problem(window_start=start, window_end=free - US, **common) is not None


def test_no_lockout_when_the_days_are_zero_or_at_another_location():
    held = [HeldShop(1, 7, T - DAY, T + DAY, visited_at=T)]
    assert visit_lockout_problem(location_id=7, at=T, held=held, lockout_days=0) is None
    assert (
        lockout_problem(
            location_id=7, window_start=T, window_end=T + DAY, held=held, lockout_days=0
        )
        is None
    )
    assert visit_lockout_problem(location_id=8, at=T, held=held, lockout_days=30) is None
    assert (
        visit_lockout_problem(location_id=7, at=T, held=held, lockout_days=30, exclude_id=1) is None
    )


def test_a_planned_shop_blocks_its_whole_window_plus_the_lockout():
    held = [HeldShop(1, 7, T, T + 5 * DAY)]
    assert (
        lockout_problem(
            location_id=7, window_start=T + DAY, window_end=T + 34 * DAY, held=held, lockout_days=30
        )
        is not None
    )
    assert (
        lockout_problem(
            location_id=7, window_start=T + DAY, window_end=T + 35 * DAY, held=held, lockout_days=30
        )
        is None
    )
    assert visit_lockout_problem(location_id=7, at=T + 35 * DAY, held=held, lockout_days=30) is None


# -- the Distributor -------------------------------------------------------------------------------

RULE = scenario_rule(id=1)


def job(location_id: int, start: dt.datetime = T, days: int = 2) -> HeldShop:
    return HeldShop(0, location_id, start, start + days * DAY)


def candidates(n: int, **facts) -> list[Candidate]:
    return [Candidate(facts=who(user_id=i, **facts)) for i in range(1, n + 1)]


def given_to(distributor, jobs, rule=RULE) -> list[int | None]:
    out = []
    for j in jobs:
        c = distributor.give(rule, j)
        out.append(None if c is None else c.facts.user_id)
    return out


def test_jobs_go_round_the_candidates_fewest_first_then_lowest_id():
    d = Distributor(candidates(3), lockout_days=30)
    assert given_to(d, [job(loc) for loc in range(10, 17)]) == [1, 2, 3, 1, 2, 3, 1]


def test_jobs_given_through_one_scenario_count_for_the_others():
    d = Distributor(candidates(3), lockout_days=30)
    other = scenario_rule(id=2)
    picks = [d.give(RULE if k % 2 else other, job(10 + k)).facts.user_id for k in range(7)]
    assert picks == [1, 2, 3, 1, 2, 3, 1]
    # a scenario only two of them may take still goes to the one given fewest so far
    north = scenario_rule(id=3, regions=["North"])
    d2 = Distributor(
        [Candidate(facts=who(user_id=i, region="North" if i > 1 else "South")) for i in (1, 2, 3)],
        lockout_days=0,
    )
    assert given_to(d2, [job(10), job(11)]) == [1, 2]
    assert given_to(d2, [job(12), job(13)], north) == [3, 2]


def test_a_candidate_given_jobs_before_the_batch_starts_where_they_are():
    pool = candidates(3)
    pool[0].given = 2
    d = Distributor(pool, lockout_days=30)
    assert given_to(d, [job(loc) for loc in range(10, 15)]) == [2, 3, 2, 3, 1]


def test_exclusions_eligibility_and_activity_are_respected():
    pool = [
        Candidate(facts=who(user_id=1, excluded=frozenset({10}))),
        Candidate(facts=who(user_id=2, active=False)),
        Candidate(facts=who(user_id=3, region="South")),
        Candidate(facts=who(user_id=4, region="North")),
    ]
    d = Distributor(pool, lockout_days=0)
    rule = scenario_rule(id=1, regions=["North"])
    assert given_to(d, [job(10), job(11), job(10)], rule) == [4, 4, 4]
    for c in pool:
        c.given = 0
    d = Distributor(pool, lockout_days=0)
    assert given_to(d, [job(10), job(11), job(12)]) == [3, 1, 4]


def test_the_batch_s_own_jobs_lock_a_shopper_out_of_the_same_location():
    d = Distributor(candidates(2), lockout_days=30)
    # three visits to one location in one window: two shoppers, one visit each, one left over
    assert given_to(d, [job(10), job(10), job(10)]) == [1, 2, None]
    # a visit to the same location 40 days later fits the lockout after the window
    assert given_to(d, [job(10, T + 40 * DAY)]) == [1]


def test_shops_held_before_the_batch_lock_out_too():
    pool = candidates(2)
    pool[0].held.append(HeldShop(99, 10, T - 5 * DAY, T - 4 * DAY, visited_at=T - 5 * DAY))
    d = Distributor(pool, lockout_days=30)
    assert given_to(d, [job(10), job(11)]) == [2, 1]
    # a window reaching 30 days past the held visit can go to the first shopper again
    assert given_to(d, [job(10, T + 20 * DAY, days=10)]) == [1]


def test_nobody_allowed_leaves_the_job_unassigned_and_the_queue_intact():
    d = Distributor(candidates(3, region="South"), lockout_days=30)
    north = scenario_rule(id=1, regions=["North"])
    assert given_to(d, [job(10), job(11)], north) == [None, None]
    assert given_to(d, [job(10), job(11), job(12)]) == [1, 2, 3]


# -- a property: whatever the candidates and jobs, no job breaks a rule ----------------------------

REGIONS = ["north", "south"]
LANGS = ["en", "fr", "cy"]

facts_st = st.builds(
    dict,
    active=st.booleans(),
    region=st.sampled_from(["", *REGIONS]),
    languages=st.lists(st.sampled_from(LANGS), max_size=3),
    rating=st.sampled_from([None, Decimal("2"), Decimal("4.5")]),
    certified=st.frozensets(st.sampled_from([1, 2]), max_size=2),
    excluded=st.frozensets(st.integers(10, 13), max_size=2),
)
held_st = st.lists(st.tuples(st.integers(10, 13), st.integers(-60, 60), st.booleans()), max_size=3)
rule_st = st.builds(
    scenario_rule,
    id=st.sampled_from([1, 2]),
    regions=st.lists(st.sampled_from(REGIONS), max_size=1),
    languages=st.lists(st.sampled_from(LANGS), max_size=2),
    min_rating=st.sampled_from([None, Decimal("3")]),
    needs_certification=st.booleans(),
)
jobs_st = st.lists(
    st.tuples(rule_st, st.integers(10, 13), st.integers(-40, 80), st.integers(1, 20)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.lists(st.tuples(facts_st, held_st), min_size=1, max_size=6),
    jobs=jobs_st,
    lockout=st.sampled_from([0, 7, 30]),
)
def test_the_distributor_never_gives_a_job_that_breaks_a_rule(people, jobs, lockout):
    pool = []
    for i, (facts, held) in enumerate(people, start=1):
        shops = [
            HeldShop(
                1000 + k,
                loc,
                T + offset * DAY,
                T + (offset + 2) * DAY,
                visited_at=T + offset * DAY if visited else None,
            )
            for k, (loc, offset, visited) in enumerate(held)
        ]
        pool.append(Candidate(facts=who(user_id=i, **facts), held=list(shops)))
    record = {c.facts.user_id: list(c.held) for c in pool}
    d = Distributor(pool, lockout_days=lockout)
    for rule, loc, offset, days in jobs:
        shop = HeldShop(0, loc, T + offset * DAY, T + (offset + days) * DAY)
        allowed = [
            c.facts.user_id
            for c in pool
            if loc not in c.facts.excluded
            and not eligibility_problems(c.facts, rule)
            and lockout_problem(
                location_id=loc,
                window_start=shop.window_start,
                window_end=shop.window_end,
                held=record[c.facts.user_id],
                lockout_days=lockout,
            )
            is None
        ]
        expected = min(
            (c for c in pool if c.facts.user_id in allowed),
            key=lambda c: (c.given, c.facts.user_id),
            default=None,
        )
        chosen = d.give(rule, shop)
        if chosen is None:
            assert expected is None, "a job was left open although someone could take it"
            continue
        uid = chosen.facts.user_id
        assert uid in allowed, "the job broke a rule"
        assert chosen is expected, "not the allowed candidate with the fewest jobs"
        record[uid].append(shop)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 8), jobs=st.integers(0, 40))
def test_without_rules_the_spread_is_even(n, jobs):
    pool = candidates(n)
    d = Distributor(pool, lockout_days=0)
    for k in range(jobs):
        assert d.give(RULE, job(10 + k)) is not None
    counts = [c.given for c in pool]
    assert max(counts) - min(counts) <= 1 and sum(counts) == jobs


def test_merged_blocks_join_overlaps_but_not_blocks_that_only_touch():
    from shoppers.scheduling.rules import merged_blocks

    touching = [(T + DAY, T + 2 * DAY), (T, T + DAY)]
    assert merged_blocks(touching) == [(T, T + DAY), (T + DAY, T + 2 * DAY)]
    assert first_free_moment(T + DAY / 2, T + 3 * DAY / 2, sorted(touching)) == T + DAY
    overlapping = [(T, T + DAY + US), (T + DAY, T + 2 * DAY), (T + 5 * DAY, T + 6 * DAY)]
    assert merged_blocks(overlapping) == [(T, T + 2 * DAY), (T + 5 * DAY, T + 6 * DAY)]
