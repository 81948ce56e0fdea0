"""The job board of one shopper: the open jobs they may take, found in SQL with the scheduling
rules of shoppers.scheduling.rules (the service still decides when a job is taken).

Eligibility depends on the shopper and the scenario only, so it is decided in Python for each of
the organisation's scenarios (a handful) with `eligibility_problems`, and the jobs are filtered by
scenario id. Exclusions are a list of location ids. The lockout becomes one condition per merged
block of the shopper's own shops (`merged_blocks`): a job is hidden when its remaining window lies
inside one. A fixed number of queries, whatever the number of jobs or shops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from django.core.paginator import Page, Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower, Trim

from cxaudit.accounts.models import Organization, User

from ..models import Assignment, Scenario, ShopperProfile
from ..scheduling import facts as facts_mod
from ..scheduling.rules import ShopperFacts, blocks, eligibility_problems, merged_blocks


@dataclass
class Board:
    profile: ShopperProfile | None
    facts: ShopperFacts | None
    # The primary keys of the jobs listed, in order: sorting and paging narrow rows, the page's
    # jobs are then loaded with what the page shows (page()).
    ids: QuerySet
    # Scenarios whose jobs are shown though their certification quiz is still to be passed.
    needs_certification: set[int] = field(default_factory=set)

    @property
    def active(self) -> bool:
        return self.facts is not None and self.facts.active

    def page(self, number, per_page: int) -> Page:
        """One page of the board, its jobs loaded with their scenario, location and wave (two
        queries for the page whatever its number: the count and the keys, then the jobs)."""
        page = Paginator(self.ids, per_page).get_page(number)
        ids = list(page.object_list)
        jobs = Assignment.objects.filter(pk__in=ids).select_related(
            "scenario__touchpoint", "location", "wave"
        )
        by_pk = {job.pk: job for job in jobs}
        page.object_list = [by_pk[pk] for pk in ids if pk in by_pk]
        region = self.facts.region if self.facts else ""
        for job in page.object_list:
            job.nearby = bool(region) and job.location.region.strip().lower() == region
        return page


def lockout_condition(
    held, *, lockout_days: int, now: dt.datetime, location_ids: set[int]
) -> Q | None:
    """Jobs whose whole remaining window (from max(start, now) to end) is inside the lockout of
    the shopper's shops at the same location (None: nothing is locked out)."""
    if lockout_days <= 0:
        return None
    condition = None
    for location_id in location_ids:
        for lo, hi in merged_blocks(
            blocks(held, location_id=location_id, lockout_days=lockout_days)
        ):
            # Blocks are open intervals: lo and hi themselves are free moments.
            inside = Q(location_id=location_id, window_end__lt=hi)
            if now <= lo:  # max(window_start, now) > lo  <=>  window_start > lo
                inside &= Q(window_start__gt=lo)
            condition = inside if condition is None else condition | inside
    return condition


def job_board(
    *, organization: Organization, user: User, lockout_days: int, now: dt.datetime
) -> Board:
    """Open jobs `user` may take now, their home region first, then by window."""
    facts = facts_mod.facts_of(organization=organization, user_ids=[user.pk]).get(user.pk)
    profile = None
    if facts is not None:
        profile = ShopperProfile.objects.for_org(organization).filter(user=user).first()
    if facts is None or not facts.active:
        return Board(profile=profile, facts=facts, ids=Assignment.objects.none())
    eligible, needs_certification = [], set()
    for scenario in Scenario.objects.for_org(organization):
        rule = facts_mod.rule_of(scenario)
        # A job needing a quiz not yet passed is shown, so the shopper can find the quiz.
        certified = replace(facts, certified=facts.certified | {scenario.pk})
        if not eligibility_problems(certified, rule):
            eligible.append(scenario.pk)
            if rule.needs_certification and scenario.pk not in facts.certified:
                needs_certification.add(scenario.pk)
    jobs = (
        Assignment.objects.for_org(organization)
        .open_jobs()
        .filter(scenario_id__in=eligible, deadline__gt=now, window_end__gt=now)
        .exclude(location_id__in=facts.excluded)
    )
    held = facts_mod.held_shops(organization=organization, user_ids=[user.pk]).get(user.pk, [])
    locked = lockout_condition(
        held, lockout_days=lockout_days, now=now, location_ids={h.location_id for h in held}
    )
    if locked is not None:
        jobs = jobs.exclude(locked)
    nearby = Value(1)
    if facts.region:
        nearby = Case(
            When(location_region=facts.region, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ids = (
        jobs.annotate(location_region=Lower(Trim("location__region")))
        .annotate(away=nearby)
        .order_by("away", "window_start", "deadline", "pk")
        .values_list("pk", flat=True)
    )
    return Board(profile=profile, facts=facts, ids=ids, needs_certification=needs_certification)
