"""Every organisation-scoped URL × every role: allowed roles get the page, members without the
capability get 403, outsiders get 404, anonymous visitors are sent to log in.

Each app adds rows for its views to MATRIX; `test_every_org_url_is_in_the_matrix` fails when a
view is registered without a row, so no view escapes the check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cxaudit.accounts.models import Location, Membership, Organization
from cxaudit.accounts.permissions import ROLE_CAPABILITIES, Cap
from tests.conftest import ROLE_NAMES


@dataclass(frozen=True)
class Row:
    name: str
    capability: Cap
    kwargs: Callable[[Organization], dict] = lambda org: {}
    method: str = "get"


def _location(org):
    return {"pk": Location.objects.get_or_create(organization=org, code="M1", name="M")[0].pk}


def _shopper_membership(org):
    return {"pk": Membership.objects.filter(organization=org, role="shopper").get().pk}


MATRIX: list[Row] = [
    Row("accounts:org_home", Cap.VIEW_ORG),
    Row("accounts:org_settings", Cap.MANAGE_ORG),
    Row("accounts:location_list", Cap.VIEW_LOCATIONS),
    Row("accounts:location_create", Cap.MANAGE_LOCATIONS),
    Row("accounts:location_import", Cap.MANAGE_LOCATIONS),
    Row("accounts:location_edit", Cap.MANAGE_LOCATIONS, _location),
    Row("accounts:member_list", Cap.MANAGE_MEMBERS),
    Row("accounts:member_add", Cap.MANAGE_MEMBERS),
    Row("accounts:member_edit", Cap.MANAGE_MEMBERS, _shopper_membership),
    Row("accounts:member_remove", Cap.MANAGE_MEMBERS, _shopper_membership, "post"),
]

ROLE_OF = {
    "program_admin": "program_admin",
    "reviewer": "reviewer",
    "manager": "client_manager",
    "shopper": "shopper",
}


def _org_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and "<slug:org_slug>" in prefix + str(p.pattern):
                names.add(f"{namespace}:{p.name}" if namespace else p.name)

    walk(get_resolver().url_patterns, "", None)
    return names


def test_every_org_url_is_in_the_matrix():
    missing = _org_url_names() - {row.name for row in MATRIX}
    assert not missing, f"add these views to the permission matrix: {sorted(missing)}"


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: r.name)
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_permission_matrix(roles, org, row, role):
    url = reverse(row.name, kwargs={"org_slug": org.slug, **row.kwargs(org)})
    response = getattr(roles.client(role), row.method)(url)
    if role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role == "outsider":
        assert response.status_code == 404
    elif row.capability in ROLE_CAPABILITIES[ROLE_OF[role]]:
        assert response.status_code in (200, 302), response.status_code
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("row", [r for r in MATRIX if r.method == "post"], ids=lambda r: r.name)
def test_state_changing_views_refuse_get(roles, org, row):
    url = reverse(row.name, kwargs={"org_slug": org.slug, **row.kwargs(org)})
    assert roles.client("program_admin").get(url).status_code == 405
