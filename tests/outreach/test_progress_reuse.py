"""The campaign page's live figures: shared through the cache for a moment when they are costly
to compute (a big campaign), never when they are cheap; each scope of locations apart."""

from __future__ import annotations

import itertools

import pytest

from surveys.outreach import progress
from tests.outreach.helpers import campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(monkeypatch):
    calls = []
    real = progress.campaign_progress

    def count(*args, **kwargs):
        calls.append(kwargs.get("location_ids"))
        return real(*args, **kwargs)

    monkeypatch.setattr(progress, "campaign_progress", count)
    return calls


def test_cheap_figures_are_computed_for_every_poll(org, program_admin, counted):
    c = campaign(org, actor=program_admin)
    first = progress.live_progress(c)
    assert progress.live_progress(c) == first
    assert len(counted) == 2


def test_costly_figures_are_reused_for_five_times_their_cost_by_scope(
    org, program_admin, counted, monkeypatch
):
    c = campaign(org, actor=program_admin)
    ticks = itertools.count(step=0.5)  # each computation "takes" half a second
    monkeypatch.setattr(progress, "_clock", lambda: next(ticks))
    stored = {}
    monkeypatch.setattr(
        progress.cache, "set", lambda key, value, timeout: stored.update({key: timeout})
    )
    monkeypatch.setattr(progress.cache, "get", lambda key: None)
    progress.live_progress(c)
    progress.live_progress(c, location_ids={3, 1})
    assert sorted(stored.values()) == [5, 5]  # int(10 × 0.5 s)
    assert len(set(stored)) == 2  # all locations and two of them: two entries


def test_reused_figures_come_from_the_cache(org, program_admin, counted, monkeypatch):
    c = campaign(org, actor=program_admin)
    ticks = itertools.count(step=1.0)
    monkeypatch.setattr(progress, "_clock", lambda: next(ticks))
    first = progress.live_progress(c)
    assert progress.live_progress(c) == first and len(counted) == 1
    assert progress.live_progress(c, location_ids={1}) is not None and len(counted) == 2
