"""The API's permission matrix: every endpoint × every role, with tokens. A role whose
capability allows the endpoint gets in; a member without it gets 403; a token of another
organisation gets 404; no token, a wrong one or a revoked one gets 401. Then what each role
sees inside a list: a shopper their own shops, a limited manager their locations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import URLPattern, get_resolver, reverse

from cxaudit.accounts.models import Membership
from cxaudit.accounts.permissions import ROLE_CAPABILITIES, Cap
from cxaudit.api.models import ApiToken
from cxaudit.api.services import revoke_token
from cxaudit.api.v1 import urls as api_urls
from tests.api.conftest import api_client, bearer
from tests.conftest import ROLE_NAMES

pytestmark = pytest.mark.django_db

ROLE_OF = {
    "program_admin": "program_admin",
    "reviewer": "reviewer",
    "manager": "client_manager",
    "limited_manager": "client_manager",
    "shopper": "shopper",
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    capability: Cap
    kwargs: Any = lambda w: {}
    allowed: tuple[int, ...] = (200,)


ENDPOINTS = [
    Endpoint("journeys", "get", Cap.VIEW_JOURNEYS),
    Endpoint("standards", "get", Cap.VIEW_JOURNEYS),
    Endpoint("waves", "get", Cap.VIEW_JOURNEYS),
    Endpoint("locations", "get", Cap.VIEW_LOCATIONS),
    Endpoint("surveys", "get", Cap.VIEW_SURVEYS),
    Endpoint("survey", "get", Cap.VIEW_SURVEYS, lambda w: {"pk": w.survey.pk}),
    Endpoint("responses", "get", Cap.VIEW_INSIGHTS),
    Endpoint("shops", "get", Cap.VIEW_ORG),
    Endpoint("gap_report", "get", Cap.VIEW_INSIGHTS),
    Endpoint("action_items", "get", Cap.VIEW_INSIGHTS),
    Endpoint("action_items", "post", Cap.MANAGE_ACTIONS, allowed=(400,)),
    Endpoint("kpis", "get", Cap.VIEW_INSIGHTS),
    Endpoint("kpi_values", "post", Cap.IMPORT_RESPONSES, allowed=(400,)),
    Endpoint("campaigns", "get", Cap.VIEW_CAMPAIGNS),
    Endpoint("campaign_launch", "post", Cap.MANAGE_CAMPAIGNS, lambda w: {"pk": w.campaign.pk}),
    Endpoint("contacts", "post", Cap.MANAGE_CAMPAIGNS, allowed=(400,)),
    Endpoint("contact_import", "get", Cap.MANAGE_CAMPAIGNS, lambda w: {"pk": w.contact_import.pk}),
    Endpoint("response_imports", "post", Cap.IMPORT_RESPONSES, allowed=(400,)),
    Endpoint(
        "response_import", "get", Cap.IMPORT_RESPONSES, lambda w: {"pk": w.response_import.pk}
    ),
]


def test_every_api_endpoint_and_method_is_in_the_matrix():
    listed = {(e.name, e.method.upper()) for e in ENDPOINTS}
    wanted = set()
    for p in api_urls.urlpatterns:
        if p.name in ("schema", "docs"):
            continue
        for method in p.callback.view_class.capabilities:
            wanted.add((p.name, method))
    assert wanted == listed


def test_every_api_view_names_its_capability_for_every_method_it_answers():
    for p in get_resolver().url_patterns:
        if getattr(p, "namespace", None) != "api":
            continue
        for view in p.url_patterns:
            assert isinstance(view, URLPattern)
            cls = view.callback.view_class
            if view.name in ("schema", "docs"):
                continue
            answered = {m.upper() for m in cls.http_method_names if hasattr(cls, m)} - {
                "OPTIONS",
                "HEAD",
            }
            assert answered == set(cls.capabilities), view.name


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method}-{e.name}")
@pytest.mark.parametrize("role", ROLE_NAMES)
def test_api_permission_matrix(org, world, tokens, endpoint, role):
    url = reverse(f"api:{endpoint.name}", kwargs={"org_slug": org.slug, **endpoint.kwargs(world)})
    client = api_client(tokens.get(role))
    response = getattr(client, endpoint.method)(url, {}, format="json")
    if role == "anonymous":
        expected = (401,)
    elif role == "outsider":
        expected = (404,)
    elif endpoint.capability in ROLE_CAPABILITIES[ROLE_OF[role]]:
        expected = endpoint.allowed
    else:
        expected = (403,)
    assert response.status_code in expected, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"detail", "code", "errors"}
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")


WITH_OBJECT = [
    e
    for e in ENDPOINTS
    if "<int:pk>" in str(next(p.pattern for p in api_urls.urlpatterns if p.name == e.name))
]


@pytest.mark.parametrize("endpoint", WITH_OBJECT, ids=lambda e: f"{e.method}-{e.name}")
def test_a_token_used_on_its_own_organisation_cannot_reach_anothers_objects(
    org, other_org, world, outsider, endpoint
):
    """The outsider's token, on its own organisation's URLs, with this organisation's ids."""
    kwargs = endpoint.kwargs(world)
    url = reverse(f"api:{endpoint.name}", kwargs={"org_slug": other_org.slug, **kwargs})
    client = api_client(bearer(outsider, other_org))
    assert getattr(client, endpoint.method)(url, {}, format="json").status_code == 404


def test_a_revoked_token_is_refused(org, program_admin):
    secret = bearer(program_admin, org)
    url = reverse("api:waves", args=[org.slug])
    assert api_client(secret).get(url).status_code == 200
    revoke_token(token=ApiToken.objects.get())
    response = api_client(secret).get(url)
    assert response.status_code == 401
    assert response.json()["detail"] == "The token is not valid or was revoked."


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer cxa_nope",
        "Bearer a b",
        "Token x",
        "Bearer cxa_abcdefgh_" + "A" * 43,
        "Bearer \u00e9t\u00e9",
    ],
)
def test_a_wrong_token_is_refused(org, program_admin, header):
    bearer(program_admin, org)
    client = api_client()
    response = client.get(
        reverse("api:waves", args=[org.slug]), HTTP_AUTHORIZATION=header.encode().decode("latin-1")
    )
    assert response.status_code == 401


def test_a_token_whose_owner_left_the_organisation_answers_404(org, manager):
    secret = bearer(manager, org)
    Membership.objects.filter(user=manager).update(is_active=False)
    assert api_client(secret).get(reverse("api:waves", args=[org.slug])).status_code == 404


def test_a_token_of_an_inactive_user_is_refused(org, manager):
    secret = bearer(manager, org)
    manager.is_active = False
    manager.save()
    assert api_client(secret).get(reverse("api:waves", args=[org.slug])).status_code == 401


def test_a_token_works_for_its_own_organisation_only(org, other_org, manager):
    """A member of two organisations: a token made in one does not open the other."""
    Membership.objects.create(user=manager, organization=other_org, role="program_admin")
    secret = bearer(manager, org)
    assert api_client(secret).get(reverse("api:waves", args=[other_org.slug])).status_code == 404


def test_the_role_is_read_at_each_request(org, manager):
    secret = bearer(manager, org)
    url = reverse("api:surveys", args=[org.slug])
    assert api_client(secret).get(url).status_code == 200
    Membership.objects.filter(user=manager).update(role="shopper")
    assert api_client(secret).get(url).status_code == 403


# -- what a role sees in a list ------------------------------------------------------------------


def _ids(client, name, org, **query) -> set[int]:
    response = client.get(reverse(f"api:{name}", args=[org.slug]), query)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_shopper_sees_only_their_own_shops(org, world, tokens):
    shops = _ids(api_client(tokens["shopper"]), "shops", org)
    assert shops == {world.own_shop.pk, world.pending_shop.pk}


def test_staff_see_every_sent_shop_and_managers_the_approved_ones(org, world, tokens):
    every = {world.own_shop.pk, world.other_shop.pk, world.pending_shop.pk}
    assert _ids(api_client(tokens["reviewer"]), "shops", org) == every
    approved = {world.own_shop.pk, world.other_shop.pk}
    assert _ids(api_client(tokens["manager"]), "shops", org) == approved
    assert _ids(api_client(tokens["limited_manager"]), "shops", org) == {world.own_shop.pk}


def test_a_limited_manager_sees_the_responses_of_their_locations_only(org, world, tokens):
    everything = _ids(api_client(tokens["manager"]), "responses", org)
    assert everything == {
        world.own_shop.response_id,
        world.other_shop.response_id,
        world.customer_in.pk,
        world.customer_out.pk,
    }
    limited = _ids(api_client(tokens["limited_manager"]), "responses", org)
    assert limited == {world.own_shop.response_id, world.customer_in.pk}
    # Reviewers see the shop under review too (it does not count yet).
    assert world.pending_shop.response_id in _ids(api_client(tokens["reviewer"]), "responses", org)


def test_a_limited_manager_cannot_filter_by_a_location_outside_the_limit(
    org, world, tokens, outside
):
    client = api_client(tokens["limited_manager"])
    response = client.get(reverse("api:responses", args=[org.slug]), {"location": outside.pk})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "location",
            "reason": f"no location {outside.pk} that you can see in this organisation",
        }
    ]


def test_a_limited_manager_sees_their_locations_and_organisation_wide_actions(
    org, world, tokens, inside
):
    assert _ids(api_client(tokens["limited_manager"]), "locations", org) == {inside.pk}
    assert _ids(api_client(tokens["limited_manager"]), "action_items", org) == set()
    assert _ids(api_client(tokens["manager"]), "action_items", org) == {world.action.pk}
