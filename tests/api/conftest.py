"""API test helpers: a token per role (made by the service, as the tokens page makes them) and
a client that sends it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
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


@dataclass
class World:
    """One of everything the API reads, at the locations `inside` and `outside`."""

    wave: object
    survey: object
    visit_form: object
    standard: object
    campaign: object
    contact_import: object
    response_import: object
    own_shop: object  # approved, by `shopper`, at inside
    other_shop: object  # approved, by another shopper, at outside
    pending_shop: object  # submitted by `shopper`, not yet approved (uncounted)
    customer_in: object  # a customer response at inside
    customer_out: object  # a customer response at outside
    action: object


@pytest.fixture
def world(org, roles, inside, outside, manager) -> World:
    from cxaudit.insights.actions.models import ActionItem
    from shoppers.models import Assignment, Scenario
    from surveys.imports.services import create_import
    from surveys.outreach.contacts import create_contact_import
    from surveys.responses.services import count_response, record_response
    from tests.factories import make_standard, make_survey, make_wave
    from tests.outreach.helpers import campaign, customer_survey
    from tests.shoppers.conftest import add_shopper
    from tests.shoppers.shops import make_shop

    wave = make_wave(org, "2026 Q3")
    std = make_standard(org, "GREET", name="Greeted within 30 seconds")
    visit_form = make_survey(
        org,
        [
            {
                "title": "Desk",
                "questions": [
                    {"code": "greet", "type": "yes_no", "standard": std, "points": 1},
                    {"code": "smile", "type": "yes_no", "points": 1},
                ],
            }
        ],
        code="visit",
    )
    scenario = Scenario.objects.create(
        organization=org,
        touchpoint=std.touchpoint,
        title="Refund at the desk",
        brief="Ask for a refund.",
        survey=visit_form,
        fee=Decimal("25.00"),
    )
    shopper = roles.users["shopper"]
    other = add_shopper(org, "ann@shoppers.test")
    S = Assignment.Status
    own = make_shop(S.APPROVED, scenario=scenario, location=inside, wave=wave, shopper=shopper)
    theirs = make_shop(S.APPROVED, scenario=scenario, location=outside, wave=wave, shopper=other)
    pending = make_shop(S.SUBMITTED, scenario=scenario, location=inside, wave=wave, shopper=shopper)
    for shop in (own, theirs):
        count_response(response=shop.response)
    survey = customer_survey(org)
    cust_in = record_response(
        survey=survey, source="customer", raw_answers={"sat": 4}, location=inside, wave=wave
    )
    cust_out = record_response(
        survey=survey, source="customer", raw_answers={"sat": 2}, location=outside, wave=wave
    )
    return World(
        wave=wave,
        survey=survey,
        visit_form=visit_form,
        standard=std,
        campaign=campaign(org, survey),
        contact_import=create_contact_import(
            organization=org,
            uploaded_by=None,
            enqueue=False,
            file=ContentFile(b"email\npat@example.test\n", name="c.csv"),
        ),
        response_import=create_import(
            organization=org,
            survey_code=survey.code,
            uploaded_by=None,
            enqueue=False,
            file=ContentFile(b"source,location,wave,submitted_at,sat\n", name="r.csv"),
        ),
        own_shop=own,
        other_shop=theirs,
        pending_shop=pending,
        customer_in=cust_in,
        customer_out=cust_out,
        action=ActionItem.objects.create(
            organization=org,
            standard=std,
            wave=wave,
            location=outside,
            gap="self_vs_perceived",
            title="Greet faster",
            root_cause="process",
            owner=manager,
            due_date=dt.date(2030, 1, 1),
        ),
    )
