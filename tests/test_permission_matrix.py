"""Every organisation-scoped URL × every role: allowed roles get the page, members without the
capability get 403, outsiders get 404, anonymous visitors are sent to log in.

Each app lists its views in tests/<app>/matrix*.py (ROWS); `test_every_org_url_is_in_the_matrix`
fails when a view is registered without a row, so no view escapes the check.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
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
    kwargs = row.url_kwargs(org, roles.users.get(role))
    url = reverse(row.name, kwargs={"org_slug": org.slug, **kwargs})
    response = getattr(roles.client(role), row.method)(url)
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
