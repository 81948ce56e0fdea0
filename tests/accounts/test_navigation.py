"""The staff navigation registry (cxaudit/accounts/navigation.py) and the bar rendered from it:
each role sees only its groups and items, the current page is marked, empty groups vanish."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from cxaudit.accounts import navigation
from cxaudit.accounts.capabilities import ROLE_CAPABILITIES, Cap
from cxaudit.accounts.models import Membership, Organization, Role
from cxaudit.accounts.navigation import (
    HOME,
    NAVIGATION,
    NavGroup,
    NavItem,
    build_navigation,
)

SET_UP = ["Journeys", "Waves", "Wave planner", "Surveys", "Locations"]
ANALYSE = ["Dashboard", "Heatmap", "League", "KPIs", "Exports"]
ACT = ["Action plan"]
EXPECTED = {
    "program_admin": {
        "Set up": SET_UP,
        "Collect": [
            "Self-assessment rounds",
            "My self-assessments",
            "Campaigns",
            "Contacts",
            "Imports",
            "Review queue",
            "Shops",
            "Scenarios",
            "Shopper panel",
        ],
        "Analyse": ANALYSE,
        "Act": ACT,
        "Administer": ["Members", "Settings", "Payouts", "Outbox", "Webhooks"],
    },
    "reviewer": {
        "Set up": SET_UP,
        "Collect": ["Imports", "Review queue"],
        "Analyse": ANALYSE,
        "Act": ACT,
    },
    "manager": {
        "Set up": SET_UP,
        "Collect": ["My self-assessments", "Campaigns"],
        "Analyse": ANALYSE,
        "Act": ACT,
    },
}


@dataclass
class Bar:
    """What the Main navigation of a page holds: top-level links, groups and their links."""

    top: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    active_groups: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    hrefs: dict[str, str] = field(default_factory=dict)


class _MainNav(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bar = Bar()
        self._depth = 0  # inside <nav aria-label="Main"> while > 0
        self._group: str | None = None
        self._text: list[str] | None = None
        self._tag: tuple[str, dict] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "nav" and a.get("aria-label") == "Main":
            self._depth = 1
            return
        if not self._depth:
            return
        if tag == "nav":
            self._depth += 1
        if tag in ("a", "button"):
            self._tag, self._text = (tag, a), []

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self._depth:
            return
        if tag == "nav":
            self._depth -= 1
        if self._tag and tag == self._tag[0]:
            kind, a = self._tag
            label = " ".join("".join(self._text).split())
            classes = a.get("class", "").split()
            if kind == "button":
                self._group = label
                self.bar.groups[label] = []
                if "active" in classes:
                    self.bar.active_groups.append(label)
            elif "dropdown-item" in classes:
                self.bar.groups[self._group].append(label)
            else:
                self.bar.top.append(label)
            if kind == "a":
                self.bar.hrefs[label] = a["href"]
                if a.get("aria-current") == "page":
                    self.bar.current.append(label)
            self._tag = self._text = None


def main_nav(html: str) -> Bar:
    parser = _MainNav()
    parser.feed(html)
    return parser.bar


def page_bar(user, url: str) -> Bar:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return main_nav(response.content.decode())


# --- the rendered bar, per role ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["program_admin", "reviewer", "manager"])
def test_each_staff_role_sees_only_its_groups_and_items(request, org, role):
    user = request.getfixturevalue(role)
    bar = page_bar(user, reverse("accounts:org_home", args=[org.slug]))
    assert bar.top == ["Home"]
    assert bar.groups == EXPECTED[role]


@pytest.mark.django_db
def test_shopper_keeps_the_shopper_navigation(shopper, org):
    bar = page_bar(shopper, reverse("shoppers:home", args=[org.slug]))
    assert bar.top == ["My shops", "Job board", "Earnings", "Profile"]
    assert bar.current == ["My shops"]
    assert bar.groups == {}


@pytest.mark.django_db
def test_groups_without_a_visible_item_are_not_rendered(reviewer, org):
    html = Client()
    html.force_login(reviewer)
    body = html.get(reverse("accounts:org_home", args=[org.slug])).content.decode()
    # A reviewer may administer nothing.
    assert 'id="nav-group-administer"' not in body
    assert 'id="nav-group-administer"' not in body
    assert ">Administer<" not in body


@pytest.mark.django_db
def test_django_admin_is_listed_for_is_staff_users_only(program_admin, manager, org):
    program_admin.is_staff = True
    program_admin.save(update_fields=["is_staff"])
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    home = reverse("accounts:org_home", args=[org.slug])
    admin_bar = page_bar(program_admin, home)
    assert admin_bar.groups["Administer"] == [
        "Members",
        "Settings",
        "Payouts",
        "Outbox",
        "Webhooks",
        "Django admin",
    ]
    assert admin_bar.hrefs["Django admin"] == reverse("admin:index")
    # A staff user whose role administers nothing still gets the one link to the Django admin.
    assert page_bar(manager, home).groups["Administer"] == ["Django admin"]


@pytest.mark.django_db
def test_without_an_organisation_only_the_django_admin_can_show(program_admin, outsider):
    # Two organisations: "/" lists them, a page without org_ctx.
    Membership.objects.create(
        user=program_admin,
        organization=Organization.objects.get(slug="other-bank"),
        role=Role.SHOPPER,
    )
    bar = page_bar(program_admin, reverse("home"))
    assert bar.top == [] and bar.groups == {}
    program_admin.is_staff = True
    program_admin.save(update_fields=["is_staff"])
    bar = page_bar(program_admin, reverse("home"))
    assert bar.top == [] and bar.groups == {"Administer": ["Django admin"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "group", "item"),
    [
        ("accounts:org_home", None, "Home"),
        ("journeys:journey_list", "Set up", "Journeys"),
        ("journeys:journey_create", "Set up", "Journeys"),
        ("journeys:wave_create", "Set up", "Waves"),
        ("surveys:survey_create", "Set up", "Surveys"),
        ("accounts:location_create", "Set up", "Locations"),
        ("surveys:selfassess_rounds", "Collect", "Self-assessment rounds"),
        ("surveys:selfassess_mine", "Collect", "My self-assessments"),
        ("surveys:import_list", "Collect", "Imports"),
        ("surveys:outreach_campaign_new", "Collect", "Campaigns"),
        ("surveys:outreach_import_new", "Collect", "Contacts"),
        ("insights:dashboard", "Analyse", "Dashboard"),
        ("insights:heatmap", "Analyse", "Heatmap"),
        ("insights:league", "Analyse", "League"),
        ("accounts:member_add", "Administer", "Members"),
        ("accounts:org_settings", "Administer", "Settings"),
        ("accounts:outbox_list", "Administer", "Outbox"),
        ("webhooks:endpoint_create", "Administer", "Webhooks"),
        ("shoppers:review_queue", "Collect", "Review queue"),
        ("shoppers:payouts", "Administer", "Payouts"),
        ("insights:action_list", "Act", "Action plan"),
    ],
)
def test_the_current_page_has_aria_current_and_its_group_is_active(
    program_admin, org, url_name, group, item
):
    bar = page_bar(program_admin, reverse(url_name, args=[org.slug]))
    assert bar.current == [item]
    assert bar.active_groups == ([group] if group else [])


# --- the registry itself -----------------------------------------------------------------------


def _all_items() -> list[NavItem]:
    return [HOME, *(item for group in NAVIGATION for item in group.items)]


@pytest.mark.parametrize(
    ("role", "fixture"),
    [
        (Role.PROGRAM_ADMIN, "program_admin"),
        (Role.REVIEWER, "reviewer"),
        (Role.CLIENT_MANAGER, "manager"),
    ],
)
def test_build_navigation_gives_each_role_its_groups(role, fixture):
    nav = build_navigation(
        capabilities=ROLE_CAPABILITIES[role], org_slug="acme", view_name="insights:report_card"
    )
    assert {g.label: [link.label for link in g.links] for g in nav.groups} == EXPECTED[fixture]
    assert nav.home is not None and nav.home.url == "/o/acme/"
    # The report card is reached from the league: League is current, Analyse is the group.
    assert [g.label for g in nav.groups if g.current] == ["Analyse"]
    analyse = next(g for g in nav.groups if g.label == "Analyse")
    assert [link.label for link in analyse.links if link.current] == ["League"]


def test_build_navigation_gives_a_shopper_no_staff_group():
    nav = build_navigation(
        capabilities=ROLE_CAPABILITIES[Role.SHOPPER], org_slug="acme", view_name=None
    )
    assert nav.groups == ()


def test_a_group_whose_items_are_all_hidden_is_left_out():
    groups = (
        NavGroup("a", "A", (NavItem("Journeys", "journeys:journey_list", Cap.VIEW_JOURNEYS),)),
        NavGroup("b", "B", (NavItem("Outbox", "accounts:org_settings", Cap.MANAGE_OUTBOX),)),
        NavGroup("c", "C", ()),
    )
    nav = build_navigation(
        capabilities={Cap.VIEW_JOURNEYS}, org_slug="acme", view_name=None, groups=groups
    )
    assert [g.key for g in nav.groups] == ["a"]


def test_current_names_match_exactly_or_by_a_starred_prefix():
    item = NavItem("Heatmap", "insights:heatmap", Cap.VIEW_INSIGHTS, current=("insights:x_*",))
    assert item.is_current("insights:heatmap")
    assert item.is_current("insights:x_detail")
    assert not item.is_current("insights:heatmap_touchpoint")  # not listed, no implicit prefix
    assert not item.is_current("insights:x")
    assert not item.is_current(None)


def test_no_page_is_current_under_two_items():
    names = {
        "journeys:journey_detail", "journeys:stage_edit", "journeys:touchpoint_edit",
        "journeys:standard_edit", "journeys:wave_edit", "surveys:survey_detail",
        "surveys:section_edit", "surveys:question_edit", "surveys:import_detail",
        "surveys:selfassess_launch", "surveys:selfassess_start", "insights:standard_detail",
        "insights:heatmap_touchpoint", "insights:report_card", "accounts:location_edit",
        "accounts:member_edit",
    }  # fmt: skip
    for name in names:
        owners = [item.label for item in _all_items() if item.is_current(name)]
        assert len(owners) == 1, (name, owners)


def test_an_item_names_a_capability_or_is_for_django_staff():
    with pytest.raises(ValueError):
        NavItem("Nobody", "accounts:org_home")
    with pytest.raises(ValueError):
        NavItem("Both", "admin:index", Cap.STAFF_AREA, django_staff=True)


def test_every_url_name_in_the_registry_reverses():
    for item in _all_items():
        args = [] if item.django_staff else ["acme"]
        assert reverse(item.url_name, args=args)


def test_group_keys_and_labels_are_unique():
    keys = [g.key for g in NAVIGATION]
    labels = [item.label for item in _all_items()]
    assert len(keys) == len(set(keys))
    assert len(labels) == len(set(labels))
    assert [g.label for g in NAVIGATION] == ["Set up", "Collect", "Analyse", "Act", "Administer"]


def test_the_registry_imports_no_upper_app():
    """accounts sits below journeys, surveys, shoppers and insights: pages are URL name strings."""
    tree = ast.parse(Path(navigation.__file__).read_text())
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    upper = ("cxaudit.journeys", "cxaudit.insights", "surveys", "shoppers")
    assert not [m for m in imported if m and m.startswith(upper)], imported
