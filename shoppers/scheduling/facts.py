"""The seam between the ORM and the scheduling rules: rows become rules.ShopperFacts,
rules.ScenarioRule and rules.HeldShop here, in a fixed number of queries whatever the number of
shoppers or shops."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from cxaudit.accounts.models import Organization

from ..models import HELD_STATUSES, Assignment, Certification, Scenario, ShopperProfile
from .rules import HeldShop, ScenarioRule, ShopperFacts, scenario_rule, shopper_facts


def rule_of(scenario: Scenario) -> ScenarioRule:
    return scenario_rule(
        id=scenario.pk,
        regions=scenario.regions or (),
        languages=scenario.languages or (),
        age_bands=scenario.age_bands or (),
        genders=scenario.genders or (),
        min_rating=scenario.min_rating,
        needs_certification=scenario.certification_survey_id is not None,
    )


def facts_of(*, organization: Organization, user_ids: Iterable[int]) -> dict[int, ShopperFacts]:
    """Facts of these users as shoppers of `organization` (three queries); a user without a
    profile there is absent."""
    ids = list(user_ids)
    profiles = list(
        ShopperProfile.objects.for_org(organization).filter(user_id__in=ids).select_related("user")
    )
    certified: dict[int, set[int]] = defaultdict(set)
    for user_id, scenario_id in (
        Certification.objects.for_org(organization)
        .filter(shopper_id__in=ids, passed=True)
        .values_list("shopper_id", "scenario_id")
    ):
        certified[user_id].add(scenario_id)
    excluded: dict[int, set[int]] = defaultdict(set)
    through = ShopperProfile.excluded_locations.through
    for user_id, location_id in through.objects.filter(
        shopperprofile__in=[p.pk for p in profiles]
    ).values_list("shopperprofile__user_id", "location_id"):
        excluded[user_id].add(location_id)
    return {
        p.user_id: shopper_facts(
            user_id=p.user_id,
            active=p.is_active and p.user.is_active,
            region=p.home_region,
            languages=p.languages or (),
            age_band=p.age_band,
            gender=p.gender,
            rating=p.rating,
            certified=frozenset(certified[p.user_id]),
            excluded=frozenset(excluded[p.user_id]),
        )
        for p in profiles
    }


def held_shops(
    *,
    organization: Organization,
    user_ids: Iterable[int],
    location_ids: Iterable[int] | None = None,
) -> dict[int, list[HeldShop]]:
    """The shops these users hold or held (for lockouts), per user: one query."""
    qs = Assignment.objects.for_org(organization).filter(
        shopper_id__in=list(user_ids), status__in=HELD_STATUSES
    )
    if location_ids is not None:
        qs = qs.filter(location_id__in=list(location_ids))
    out: dict[int, list[HeldShop]] = defaultdict(list)
    for row in qs.values_list(
        "pk", "shopper_id", "location_id", "window_start", "window_end", "visited_at", "started_at"
    ):
        pk, user_id, location_id, start, end, visited, started = row
        out[user_id].append(HeldShop(pk, location_id, start, end, visited, started))
    return out
