"""Every organisation-scoped URL × every role: allowed roles get the page, members without the
capability get 403, outsiders get 404, anonymous visitors are sent to log in.

Each app lists its views in tests/<app>/matrix*.py (ROWS); `test_every_org_url_is_in_the_matrix`
fails when a view is registered without a row, so no view escapes the check.

Location limits: `limited_manager` is a client manager limited to one location (`inside`). A row
whose URL reaches something tied to a location says how to make such an object (Row.located);
the limited manager gets it at `inside` like any manager, gets 404 for the same kind of object
at `outside`, and an unlimited manager gets that very object (so the 404 is the limit's doing).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cxaudit.accounts.permissions import ROLE_CAPABILITIES
from tests.conftest import ROLE_NAMES
from tests.matrix_row import Row


def _collect() -> list[Row]:
    rows: list[Row] = []
    for path in sorted(Path(__file__).parent.glob("*/matrix*.py")):
        module = importlib.import_module(f"tests.{path.parent.name}.{path.stem}")
        rows.extend(module.ROWS)
    return rows


MATRIX: list[Row] = _collect()

ROLE_OF = {
    "program_admin": "program_admin",
    "reviewer": "reviewer",
    "manager": "client_manager",
    "limited_manager": "client_manager",
    "shopper": "shopper",
}
LOCATED = [row for row in MATRIX if row.located is not None]


def _org_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, prefix: str, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if ns == "api":
                    continue  # token-authenticated: its own matrix, tests/api/test_permissions.py
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
def test_permission_matrix(roles, org, inside, row, role):
    user = roles.users.get(role)
    data: dict = {}
    if role == "limited_manager" and row.located is not None:
        url, data = row.located_request(org, inside, user)  # within the limit: as any manager
    else:
        kwargs = row.url_kwargs(org, user)
        url = reverse(row.name, kwargs={"org_slug": org.slug, **kwargs})
    response = getattr(roles.client(role), row.method)(url, data)
    if row.public:
        assert response.status_code in row.allowed, response.status_code
    elif role == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif role == "outsider":
        assert response.status_code == 404
    elif row.capability in ROLE_CAPABILITIES[ROLE_OF[role]]:
        assert response.status_code in row.allowed, response.status_code
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("row", [r for r in MATRIX if r.method == "post"], ids=lambda r: r.name)
def test_state_changing_views_refuse_get(roles, org, row):
    kwargs = row.url_kwargs(org, roles.users["program_admin"])
    url = reverse(row.name, kwargs={"org_slug": org.slug, **kwargs})
    assert roles.client("program_admin").get(url).status_code == 405


@pytest.fixture
def outside_manager(org, outside):
    """A client manager limited to `outside`: the control of the test below."""
    from cxaudit.accounts.models import Membership
    from tests.conftest import make_user

    user = make_user("outside@acme.test")
    Membership.objects.create(user=user, organization=org, role="client_manager").locations.set(
        [outside]
    )
    return user


@pytest.mark.parametrize("row", LOCATED, ids=lambda r: r.name)
def test_a_limited_manager_gets_404_for_another_locations_object(
    roles, org, outside, outside_manager, row
):
    manages = row.capability in ROLE_CAPABILITIES["client_manager"]
    limited = roles.users["limited_manager"]
    url, data = row.located_request(org, outside, limited)
    response = getattr(roles.client("limited_manager"), row.method)(url, data)
    assert response.status_code == (404 if manages else 403), response.status_code
    # The same kind of object at the same location, for a manager limited to that location:
    # the 404 above is the limit's doing, not a missing object.
    url, data = row.located_request(org, outside, outside_manager)
    client = Client()
    client.force_login(outside_manager)
    response = getattr(client, row.method)(url, data)
    assert response.status_code in (row.allowed if manages else (403,)), response.status_code


def test_the_location_limit_covers_every_kind_of_located_object():
    """Evidence, drafts, action items, report cards, drill-downs, filtered downloads: each
    kind has at least one row that proves the limit (see tests/security/test_location_scope.py
    for lists, exports and forms)."""
    names = {row.name for row in LOCATED}
    assert {
        "surveys:evidence_file",
        "surveys:respond",
        "surveys:autosave",
        "surveys:submit",
        "surveys:upload",
        "surveys:receipt",
        "insights:action_detail",
        "insights:action_edit",
        "insights:action_status",
        "insights:action_comment",
        "insights:action_summary",
        "insights:report_card",
        "insights:heatmap_touchpoint",
        "insights:heatmap",
        "insights:league",
        "insights:gap_report_download",
        "surveys:selfassess_start",
    } <= names
