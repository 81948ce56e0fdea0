"""The scheduling rules as plain Python: who may take which job, and when a shopper may visit a
location again. ORM rows become these specs at one seam (shoppers.scheduling.facts); the
services, the job board and bulk creation all decide with the same functions.

Lockout: two visits by one shopper at one location must be at least `lockout_days` apart
(exactly `lockout_days` apart is allowed, before as after the other visit). A shop the shopper
holds blocks the moments strictly within the lockout of its visit (the visit time once known,
else its start, else its whole window): an open interval, whose two ends are free. A job can be
taken when some moment of its window is outside every block (the shopper can still visit in
time), and a visit can be started only at a moment outside every block.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone


@dataclass(frozen=True, slots=True)
class Voice:
    """Who the reasons speak to: the shopper ("you have") or staff ("the shopper has")."""

    subject: str
    has: str
    own: str
    does: str


YOU = Voice("you", "have", "your", "do")
STAFF = Voice("the shopper", "has", "their", "does")


@dataclass(frozen=True, slots=True)
class ShopperFacts:
    user_id: int
    active: bool
    region: str = ""
    languages: frozenset[str] = frozenset()
    age_band: str = ""
    gender: str = ""
    rating: Decimal | None = None
    certified: frozenset[int] = frozenset()  # scenario ids whose certification was passed
    excluded: frozenset[int] = frozenset()  # location ids never to shop


@dataclass(frozen=True, slots=True)
class ScenarioRule:
    id: int
    regions: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    age_bands: frozenset[str] = frozenset()
    genders: frozenset[str] = frozenset()
    min_rating: Decimal | None = None
    needs_certification: bool = False


@dataclass(frozen=True, slots=True)
class HeldShop:
    """A shop the shopper holds or held at some location (for lockouts)."""

    assignment_id: int
    location_id: int
    window_start: datetime
    window_end: datetime
    visited_at: datetime | None = None
    started_at: datetime | None = None

    def block(self, lockout: timedelta) -> tuple[datetime, datetime]:
        """The open interval (lo, hi) of moments at which another visit to the same location
        is too close to this one (lo and hi themselves are exactly the lockout away)."""
        moment = self.visited_at or self.started_at
        if moment is not None:
            return moment - lockout, moment + lockout
        return self.window_start - lockout, self.window_end + lockout


def _norm(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v and v.strip())


def scenario_rule(
    *,
    id: int,
    regions=(),
    languages=(),
    age_bands=(),
    genders=(),
    min_rating=None,
    needs_certification=False,
) -> ScenarioRule:
    return ScenarioRule(
        id=id,
        regions=_norm(regions),
        languages=_norm(languages),
        age_bands=frozenset(age_bands),
        genders=frozenset(genders),
        min_rating=min_rating,
        needs_certification=needs_certification,
    )


def shopper_facts(*, user_id: int, active: bool, region="", languages=(), **rest) -> ShopperFacts:
    return ShopperFacts(
        user_id=user_id,
        active=active,
        region=region.strip().lower(),
        languages=_norm(languages),
        **rest,
    )


def eligibility_problems(
    shopper: ShopperFacts, scenario: ScenarioRule, voice: Voice = YOU
) -> list[str]:
    """Why this shopper may not take this scenario's jobs (empty: eligible)."""
    problems = []
    if not shopper.active:
        problems.append(f"{voice.own} shopper account is not active")
    if scenario.regions and shopper.region not in scenario.regions:
        problems.append("it is for shoppers of another region")
    missing = scenario.languages - shopper.languages
    if missing:
        problems.append(
            f"it needs a language {voice.subject} {voice.does} not list "
            f"({', '.join(sorted(missing))})"
        )
    if scenario.age_bands and shopper.age_band not in scenario.age_bands:
        problems.append("it is for another age band")
    if scenario.genders and shopper.gender not in scenario.genders:
        problems.append("it is for shoppers of another profile")
    if scenario.min_rating is not None and (
        shopper.rating is None or shopper.rating < scenario.min_rating
    ):
        problems.append(f"it needs a rating of at least {scenario.min_rating}")
    if scenario.needs_certification and scenario.id not in shopper.certified:
        problems.append("it needs its certification quiz passed first")
    return problems


def blocks(
    held: Iterable[HeldShop], *, location_id: int, lockout_days: int, exclude_id: int | None = None
) -> list[tuple[datetime, datetime]]:
    lockout = timedelta(days=lockout_days)
    return sorted(
        h.block(lockout)
        for h in held
        if h.location_id == location_id and h.assignment_id != exclude_id
    )


def first_free_moment(
    start: datetime, end: datetime, blocked: list[tuple[datetime, datetime]]
) -> datetime | None:
    """The earliest moment of [start, end] outside every (sorted, open) block, None if there
    is none."""
    moment = start
    for lo, hi in blocked:
        if lo < moment < hi:
            moment = hi
        if moment > end:
            return None
    return moment if moment <= end else None


def merged_blocks(blocked: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted (open) blocks joined where they overlap; blocks that only touch stay apart, as
    their common end is a free moment. A window [start, end] has no free moment
    (first_free_moment is None) exactly when one merged block (lo, hi) has lo < start and
    end < hi: the job board turns that into a SQL condition per block."""
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(blocked):
        if merged and lo < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def lockout_problem(
    *,
    location_id: int,
    window_start: datetime,
    window_end: datetime,
    held: Iterable[HeldShop],
    lockout_days: int,
    exclude_id: int | None = None,
    voice: Voice = YOU,
) -> str | None:
    """Why the whole window is inside the lockout of the shopper's other shops at the same
    location (None: a visit inside the window can still be far enough from them)."""
    if lockout_days <= 0:
        return None
    blocked = blocks(
        held, location_id=location_id, lockout_days=lockout_days, exclude_id=exclude_id
    )
    if not blocked or first_free_moment(window_start, window_end, blocked) is not None:
        return None
    return (
        f"{voice.subject} {voice.has} another shop at this location within {lockout_days} days "
        "of this job's whole visit window"
    )


def visit_lockout_problem(
    *,
    location_id: int,
    at: datetime,
    held: Iterable[HeldShop],
    lockout_days: int,
    exclude_id: int | None = None,
) -> str | None:
    """Why a visit starting `at` is too close to another of the shopper's shops there."""
    if lockout_days <= 0:
        return None
    for lo, hi in blocks(
        held, location_id=location_id, lockout_days=lockout_days, exclude_id=exclude_id
    ):
        if lo < at < hi:
            return (
                f"it is less than {lockout_days} days from your other shop at this location; "
                f"you can visit from {timezone.localtime(hi):%d %b %Y %H:%M}"
            )
    return None


@dataclass(slots=True)
class Candidate:
    """A shopper being considered by bulk assignment, with what the batch gave them so far."""

    facts: ShopperFacts
    held: list[HeldShop] = field(default_factory=list)
    given: int = 0


class Distributor:
    """Hands jobs to candidates in turn: each job goes to the allowed candidate with the fewest
    jobs given so far (then the lowest user id), so a batch spreads evenly; every rule (active,
    eligibility, exclusions, lockouts including the jobs given earlier in the batch) is checked
    for each job.

    Eligibility depends on the shopper and the scenario only, so it is decided once per
    (candidate, scenario): each scenario gets a heap of its eligible candidates keyed (given,
    user id). A candidate given a job through one scenario's heap keeps a stale, smaller key in
    the others; a stale entry is re-keyed when it surfaces (keys only grow, so the first
    current entry is the true minimum). The lockout looks only at the candidate's shops at the
    job's location. A pick is then near O(log n) even when most of the group may not take a
    scenario's jobs (10,000 jobs over 500 shoppers: well under a second)."""

    def __init__(self, candidates: Iterable[Candidate], *, lockout_days: int):
        self.lockout_days = lockout_days
        self.candidates = list(candidates)
        self._heaps: dict[ScenarioRule, list[tuple[int, int, Candidate]]] = {}
        self._held_at: dict[tuple[int, int], list[HeldShop]] = {}
        for c in self.candidates:
            for h in c.held:
                self._held_at.setdefault((c.facts.user_id, h.location_id), []).append(h)

    def _heap(self, scenario: ScenarioRule) -> list[tuple[int, int, Candidate]]:
        heap = self._heaps.get(scenario)
        if heap is None:
            heap = [
                (c.given, c.facts.user_id, c)
                for c in self.candidates
                if not eligibility_problems(c.facts, scenario)
            ]
            heapq.heapify(heap)
            self._heaps[scenario] = heap
        return heap

    def _free(self, c: Candidate, job: HeldShop) -> bool:
        """No lockout: the candidate's shops at the job's location leave a moment of its
        window free."""
        held = self._held_at.get((c.facts.user_id, job.location_id))
        return not held or not lockout_problem(
            location_id=job.location_id,
            window_start=job.window_start,
            window_end=job.window_end,
            held=held,
            lockout_days=self.lockout_days,
        )

    def give(self, scenario: ScenarioRule, job: HeldShop) -> Candidate | None:
        """The candidate who takes `job` (recorded as held by them), or None if nobody may."""
        heap = self._heap(scenario)
        skipped = []
        chosen = None
        while heap:
            entry = heapq.heappop(heap)
            c = entry[2]
            if entry[0] != c.given:  # given a job through another scenario meanwhile
                heapq.heappush(heap, (c.given, entry[1], c))
                continue
            if job.location_id not in c.facts.excluded and self._free(c, job):
                chosen = c
                break
            skipped.append(entry)
        for entry in skipped:
            heapq.heappush(heap, entry)
        if chosen is not None:
            chosen.given += 1
            chosen.held.append(job)
            self._held_at.setdefault((chosen.facts.user_id, job.location_id), []).append(job)
            heapq.heappush(heap, (chosen.given, chosen.facts.user_id, chosen))
        return chosen
