"""API test helpers: a token per role (made by the service, as the tokens page makes them) and
a client that sends it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cxaudit.api.services import create_token


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    cache.clear()  # the rate limit counts in the cache; every test starts at zero
    yield
    cache.clear()


def bearer(user, org, name: str = "test") -> str:
    return create_token(organization=org, user=user, name=name).secret


def api_client(secret: str | None = None) -> APIClient:
    client = APIClient()
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def tokens(roles, org, other_org):
    """A secret per role name; the outsider's token is of the other organisation."""
    out = {}
    for name, user in roles.users.items():
        out[name] = bearer(user, other_org if name == "outsider" else org, name)
    return out
