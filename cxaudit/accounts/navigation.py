"""The staff navigation, defined here and only here: groups by what people do, items by what
their role allows.

Accounts sits low in the dependency order (insights → shoppers → surveys → journeys →
accounts), so the pages of the upper apps are named by URL name strings and never imported.
A new page adds one line, a `NavItem` in its group's tuple below; a group with no item the
request's role may see is not shown (Act has none until action plans land).

The context processor builds the visible navigation per request with `build_navigation`;
templates/includes/_staff_nav.html renders it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.urls import reverse

from .capabilities import Cap


@dataclass(frozen=True)
class NavItem:
    """One link: its label, URL name, who may see it and which pages mark it current.

    `current` lists the other URL names under this item ("journeys:stage_edit"); a name ending
    in `*` is a prefix ("journeys:stage_*"). The item's own URL name always counts.
    `django_staff` items are shown to users with `is_staff` whatever their role (the Django
    admin) and take no organisation slug.
    """

    label: str
    url_name: str
    capability: Cap | None = None
    current: tuple[str, ...] = ()
    django_staff: bool = False

    def __post_init__(self) -> None:
        if (self.capability is None) != self.django_staff:
            raise ValueError(f"{self.label}: name a capability, or django_staff=True, not both")

    def is_current(self, view_name: str | None) -> bool:
        if not view_name:
            return False
        if view_name == self.url_name:
            return True
        return any(
            view_name.startswith(p[:-1]) if p.endswith("*") else view_name == p
            for p in self.current
        )

    def visible_to(self, capabilities: Collection[str], *, is_staff: bool) -> bool:
        return is_staff if self.django_staff else self.capability in capabilities


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: str
    items: tuple[NavItem, ...]


HOME = NavItem("Home", "accounts:org_home", Cap.VIEW_ORG)

NAVIGATION: tuple[NavGroup, ...] = (
    NavGroup(
        "setup",
        "Set up",
        (
            NavItem(
                "Journeys",
                "journeys:journey_list",
                Cap.VIEW_JOURNEYS,
                current=(
                    "journeys:journey_*",
                    "journeys:stage_*",
                    "journeys:touchpoint_*",
                    "journeys:standard_*",
                ),
            ),
            NavItem("Waves", "journeys:wave_list", Cap.VIEW_JOURNEYS, current=("journeys:wave_*",)),
            NavItem("Wave planner", "insights:wave_planner", Cap.VIEW_INSIGHTS),
            NavItem(
                "Surveys",
                "surveys:survey_list",
                Cap.VIEW_SURVEYS,
                current=("surveys:survey_*", "surveys:section_*", "surveys:question_*"),
            ),
            NavItem(
                "Locations",
                "accounts:location_list",
                Cap.VIEW_LOCATIONS,
                current=("accounts:location_*",),
            ),
        ),
    ),
    NavGroup(
        "collect",
        "Collect",
        (
            NavItem(
                "Self-assessment rounds",
                "surveys:selfassess_rounds",
                Cap.MANAGE_WAVES,
                current=("surveys:selfassess_launch", "surveys:selfassess_close"),
            ),
            NavItem(
                "My self-assessments",
                "surveys:selfassess_mine",
                Cap.FILL_SELF_ASSESSMENT,
                current=("surveys:selfassess_start",),
            ),
            NavItem(
                "Campaigns",
                "surveys:outreach_campaigns",
                Cap.VIEW_CAMPAIGNS,
                current=("surveys:outreach_campaign*",),
            ),
            NavItem(
                "Contacts",
                "surveys:outreach_contacts",
                Cap.MANAGE_CAMPAIGNS,
                current=("surveys:outreach_contact*", "surveys:outreach_import*"),
            ),
            NavItem(
                "Imports",
                "surveys:import_list",
                Cap.IMPORT_RESPONSES,
                current=("surveys:import_*",),
            ),
            NavItem(
                "Review queue",
                "shoppers:review_queue",
                Cap.REVIEW_SHOPS,
                current=("shoppers:review", "shoppers:review_*"),
            ),
            NavItem(
                "Shops",
                "shoppers:shop_list",
                Cap.MANAGE_ASSIGNMENTS,
                current=("shoppers:shop_create", "shoppers:shop_bulk", "shoppers:shop_detail"),
            ),
            NavItem(
                "Scenarios",
                "shoppers:scenario_list",
                Cap.MANAGE_ASSIGNMENTS,
                current=("shoppers:scenario_*",),
            ),
            NavItem(
                "Shopper panel",
                "shoppers:panel",
                Cap.MANAGE_ASSIGNMENTS,
                current=("shoppers:shopper_*", "shoppers:programme_settings"),
            ),
        ),
    ),
    NavGroup(
        "analyse",
        "Analyse",
        (
            NavItem(
                "Dashboard",
                "insights:dashboard",
                Cap.VIEW_INSIGHTS,
                current=("insights:standard_detail",),
            ),
            NavItem(
                "Heatmap", "insights:heatmap", Cap.VIEW_INSIGHTS, current=("insights:heatmap_*",)
            ),
            NavItem(
                "League", "insights:league", Cap.VIEW_INSIGHTS, current=("insights:report_card",)
            ),
            NavItem("KPIs", "insights:kpi_list", Cap.VIEW_INSIGHTS, current=("insights:kpi_*",)),
            NavItem("Exports", "downloads:export_list", Cap.EXPORT_DATA, current=("downloads:*",)),
        ),
    ),
    NavGroup(
        "act",
        "Act",
        (
            NavItem(
                "Action plan",
                "insights:action_list",
                Cap.VIEW_INSIGHTS,
                current=("insights:action_*",),
            ),
        ),
    ),
    NavGroup(
        "administer",
        "Administer",
        (
            NavItem(
                "Members",
                "accounts:member_list",
                Cap.MANAGE_MEMBERS,
                current=("accounts:member_*",),
            ),
            NavItem("Settings", "accounts:org_settings", Cap.MANAGE_ORG),
            NavItem(
                "Payouts", "shoppers:payouts", Cap.MANAGE_PAYOUTS, current=("shoppers:payout_*",)
            ),
            NavItem(
                "Outbox", "accounts:outbox_list", Cap.MANAGE_OUTBOX, current=("accounts:outbox_*",)
            ),
            NavItem(
                "Webhooks",
                "webhooks:endpoint_list",
                Cap.MANAGE_WEBHOOKS,
                current=("webhooks:*",),
            ),
            NavItem("Django admin", "admin:index", django_staff=True),
        ),
    ),
)


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    links: tuple[Link, ...]

    @property
    def current(self) -> bool:
        return any(link.current for link in self.links)


@dataclass(frozen=True)
class Navigation:
    home: Link | None
    groups: tuple[Group, ...]


def build_navigation(
    *,
    capabilities: Collection[str],
    org_slug: str | None,
    view_name: str | None,
    is_staff: bool = False,
    groups: tuple[NavGroup, ...] = NAVIGATION,
) -> Navigation:
    """The links one request may see, grouped, with the current page marked.

    Without an organisation (the organisation list) only `django_staff` items can show.
    """

    def link(item: NavItem) -> Link:
        args = [] if item.django_staff else [org_slug]
        return Link(item.label, reverse(item.url_name, args=args), item.is_current(view_name))

    def visible(item: NavItem) -> bool:
        if org_slug is None and not item.django_staff:
            return False
        return item.visible_to(capabilities, is_staff=is_staff)

    home = link(HOME) if org_slug is not None and visible(HOME) else None
    built = (Group(g.key, g.label, tuple(link(i) for i in g.items if visible(i))) for g in groups)
    return Navigation(home=home, groups=tuple(g for g in built if g.links))
