"""The job board's lockout filter in SQL says what the scheduling rules say: merged blocks
against first_free_moment (property), then the board's query against lockout_problem for a
grid of held shops and job windows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from shoppers.jobs.board import job_board
from shoppers.models import Assignment
from shoppers.scheduling import facts
from shoppers.scheduling.rules import first_free_moment, lockout_problem, merged_blocks

S = Assignment.Status
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
hours = st.integers(min_value=0, max_value=200)


@st.composite
def block(draw):
    lo = draw(hours)
    return T0 + dt.timedelta(hours=lo), T0 + dt.timedelta(hours=lo + draw(hours) + 1)


@settings(max_examples=400, deadline=None)
@given(st.lists(block(), max_size=6), hours, hours)
def test_a_window_is_wholly_blocked_exactly_when_one_merged_block_holds_it(blocks, a, b):
    start, end = sorted((T0 + dt.timedelta(hours=a), T0 + dt.timedelta(hours=b)))
    rules_say = first_free_moment(start, end, sorted(blocks)) is None
    merged = merged_blocks(blocks)
    assert rules_say == any(lo < start and end < hi for lo, hi in merged)
    # merged blocks never overlap (they may touch: that moment is free)
    assert all(merged[i][1] <= merged[i + 1][0] for i in range(len(merged) - 1))


@pytest.mark.django_db
def test_the_board_query_agrees_with_lockout_problem(
    org, scenario, location, second_location, wave, ann, programme
):
    now = timezone.now()
    day = dt.timedelta(days=1)

    def shop(loc, start, end, status=S.OPEN, shopper=None, **extra):
        return Assignment.objects.create(
            organization=org,
            scenario=scenario,
            location=loc,
            wave=wave,
            window_start=now + start * day,
            window_end=now + end * day,
            deadline=now + (end + 1) * day,
            fee=Decimal("5"),
            status=status,
            shopper=shopper,
            **extra,
        )

    # Ann's shops: at `location` one visited 40 days ago and one held with only its window
    # known (days 50-52); at the second location one started now.
    shop(location, -45, -38, S.ASSIGNED, ann, visited_at=now - 40 * day)
    shop(location, 50, 52, S.ASSIGNED, ann)
    shop(second_location, -1, 3, S.ASSIGNED, ann, started_at=now)
    jobs = [
        shop(loc, start, start + length)
        for loc in (location, second_location)
        for start in (-20, -10, -2, 0, 5, 19, 21, 30, 60, 81, 83, 90)
        for length in (1, 3, 12)
    ]
    board = job_board(organization=org, user=ann, lockout_days=30, now=now)
    listed = set(board.ids)
    held = facts.held_shops(organization=org, user_ids=[ann.pk])[ann.pk]
    expected = {
        job.pk
        for job in jobs
        if job.window_end > now
        and not lockout_problem(
            location_id=job.location_id,
            window_start=max(job.window_start, now),
            window_end=job.window_end,
            held=held,
            lockout_days=30,
        )
    }
    assert listed == expected
    assert 0 < len(listed) < len([j for j in jobs if j.window_end > now])  # both kinds occur
