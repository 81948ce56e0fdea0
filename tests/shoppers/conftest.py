"""A small programme: one station and one phone touchpoint, a published visit form with a
photo question and a narrative, a scenario, an open wave, and active shoppers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cxaudit.accounts.models import Location, Membership, Role, User
from shoppers.models import Scenario, ShopperProfile, ShopperProgramme
from shoppers.scheduling import services as scheduling
from tests.conftest import PASSWORD
from tests.factories import make_standard, make_survey, make_wave


def add_shopper(org, email: str, **profile) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=email.split("@")[0])
    Membership.objects.create(user=user, organization=org, role=Role.SHOPPER)
    ShopperProfile.objects.create(
        organization=org,
        user=user,
        status=profile.pop("status", ShopperProfile.Status.ACTIVE),
        terms_accepted_at=timezone.now(),
        **profile,
    )
    return user


@pytest.fixture
def programme(org):
    return ShopperProgramme.of(org)


@pytest.fixture
def wave(org):
    today = timezone.localdate()
    w = make_wave(org, "2026 Q4")
    w.starts_on, w.ends_on = today - dt.timedelta(days=30), today + dt.timedelta(days=60)
    w.save()
    return w


@pytest.fixture
def std(org):
    return make_standard(org, "GREET", name="Greeted within 30 seconds")


@pytest.fixture
def visit_form(org, std):
    return make_survey(
        org,
        [
            {
                "title": "At the desk",
                "questions": [
                    {"code": "greet", "type": "yes_no", "standard": std, "points": 1},
                    {"code": "smile", "type": "yes_no", "points": 1},
                    {"code": "receipt", "type": "file", "points": 0, "required": False},
                    {"code": "story", "type": "long_text", "points": 0, "required": False},
                ],
            }
        ],
        code="visit",
    )


@pytest.fixture
def scenario(org, std, visit_form):
    return Scenario.objects.create(
        organization=org,
        touchpoint=std.touchpoint,
        title="Ask for a refund at the desk",
        brief="Ask for a refund of a <b>day return</b>.",
        survey=visit_form,
        fee=Decimal("25.00"),
        expense_cap=Decimal("10.00"),
        receipt_question="receipt",
    )


@pytest.fixture
def window():
    now = timezone.now()
    return now - dt.timedelta(days=1), now + dt.timedelta(days=6)


@pytest.fixture
def job(org, scenario, location, wave, window, program_admin):
    return scheduling.create_assignment(
        organization=org,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=window[0],
        window_end=window[1],
        actor=program_admin,
    )


@pytest.fixture
def ann(org):
    return add_shopper(org, "ann@shoppers.test", home_region="North", languages=["en"])


@pytest.fixture
def bob(org):
    return add_shopper(org, "bob@shoppers.test", home_region="South", languages=["en", "fr"])


@pytest.fixture
def second_location(org):
    return Location.objects.create(organization=org, code="MAN", name="Manchester", region="North")
