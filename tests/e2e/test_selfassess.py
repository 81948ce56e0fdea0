"""A manager fills a self-assessment in Chromium: from the dashboard to the receipt."""

import pytest
from django.urls import reverse

from surveys.models import Response, Survey
from surveys.selfassess import services as selfassess
from tests.conftest import login
from tests.factories import make_survey, make_wave

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round(org, program_admin):
    survey = make_survey(
        org,
        [
            {
                "title": "On the phone",
                "questions": [
                    {
                        "code": "fast_p",
                        "type": "rating",
                        "required": True,
                        "text": "We answer calls within a minute.",
                        "config": {"scale_min": 1, "scale_max": 7},
                        "aspect": "perception",
                    },
                    {
                        "code": "fast_e",
                        "type": "rating",
                        "text": "Callers expect an answer within a minute.",
                        "config": {"scale_min": 1, "scale_max": 7},
                        "aspect": "expectation",
                    },
                ],
            }
        ],
        code="self",
        kind=Survey.Kind.SELF_ASSESSMENT,
        title="Managers' self-assessment",
    )
    return selfassess.launch_round(
        survey=survey, wave=make_wave(org, "2026 Q4"), actor=program_admin
    )


def test_manager_starts_answers_and_submits_a_self_assessment(page, org, manager, round):
    login(page, manager.email)
    page.goto(reverse("accounts:org_home", args=[org.slug]))
    tile = page.get_by_role("link", name="1 self-assessment waiting")
    assert tile.is_visible()
    tile.click()
    assert page.get_by_role("heading", name="My self-assessments").is_visible()
    assert page.get_by_text("Not started").is_visible()
    page.screenshot(path="test-artifacts/selfassess-mine-390.png", full_page=True)
    page.get_by_role("button", name="Start").click()
    page.wait_for_load_state()
    page.get_by_role("group", name="We answer calls within a minute.").get_by_text(
        "6", exact=True
    ).click()
    page.get_by_role("group", name="Callers expect an answer within a minute.").get_by_text(
        "7", exact=True
    ).click()
    page.screenshot(path="test-artifacts/selfassess-form-390.png", full_page=True)
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    response = Response.objects.get()
    assert (response.status, response.source, response.wave_id) == (
        "submitted",
        "self",
        round.wave_id,
    )
    assert dict(response.answers.values_list("question__code", "value_num")) == {
        "fast_p": 6,
        "fast_e": 7,
    }
    page.goto(reverse("surveys:selfassess_mine", args=[org.slug]))
    assert page.get_by_text("Submitted", exact=True).is_visible()
    assert page.get_by_role("link", name="See receipt").is_visible()
    page.screenshot(path="test-artifacts/selfassess-submitted-390.png", full_page=True)


def test_staff_rounds_page_on_a_phone(page, org, program_admin, round):
    login(page, program_admin.email)
    page.goto(reverse("surveys:selfassess_rounds", args=[org.slug]))
    assert page.get_by_role("heading", name="Self-assessment rounds").is_visible()
    page.screenshot(path="test-artifacts/selfassess-rounds-390.png", full_page=True)
    page.goto(reverse("surveys:selfassess_launch", args=[org.slug]))
    page.screenshot(path="test-artifacts/selfassess-launch-390.png", full_page=True)
