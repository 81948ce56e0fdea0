"""The form engine in Chromium: skip logic, paging, autosave and restore, one submission for a
double click, and saving after the CSRF token was rotated."""

import secrets

import pytest
from django.urls import reverse

from surveys.models import Answer, Response
from surveys.responses import services
from tests.conftest import login, wait_for
from tests.factories import make_survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft(org, shopper):
    survey = make_survey(
        org,
        [
            {
                "title": "Arrival",
                "questions": [
                    {
                        "code": "called",
                        "type": "yes_no",
                        "required": True,
                        "text": "Did you phone <b>first</b>?",
                    },
                    {
                        "code": "speed",
                        "type": "rating",
                        "text": "How fast was the answer?",
                        "show_if": {"question": "called", "operator": "equals", "value": "yes"},
                    },
                    {"code": "note", "type": "short_text", "text": "Your name for the record"},
                ],
            },
            {
                "title": "On the phone",
                "show_if": {"question": "called", "operator": "equals", "value": "yes"},
                "questions": [{"code": "agent", "type": "short_text", "text": "Agent name"}],
            },
            {
                "title": "Finally",
                "questions": [{"code": "nps", "type": "nps", "text": "Would you recommend us?"}],
            },
        ],
        code="e2e",
        paging="sections",
    )
    return services.start_response(survey=survey, source="shopper", respondent=shopper)


def _open(page, org, shopper, draft):
    login(page, shopper.email)
    page.goto(
        reverse("surveys:respond", kwargs={"org_slug": org.slug, "client_id": draft.client_id})
    )


def test_skip_logic_shows_and_hides_questions_and_sections(page, org, shopper, draft):
    _open(page, org, shopper, draft)
    speed = page.get_by_role("group", name="How fast was the answer?")
    assert not speed.is_visible()
    assert page.locator("#progress-text").inner_text() == "Section 1 of 2"
    page.get_by_label("Yes", exact=True).check()
    assert speed.is_visible()
    assert page.locator("#progress-text").inner_text() == "Section 1 of 3"
    page.get_by_label("No", exact=True).check()
    assert not speed.is_visible()
    page.get_by_role("button", name="Next").click()
    # The phone section is skipped: straight to the last one.
    assert page.get_by_role("heading", name="Finally").is_visible()
    assert page.locator("#progress-text").inner_text() == "Section 2 of 2"
    page.screenshot(path="test-artifacts/survey-form-390.png", full_page=True)


def test_autosave_then_reload_restores(page, org, shopper, draft):
    _open(page, org, shopper, draft)
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Your name for the record").fill("Ada <script>")
    page.get_by_label("Your name for the record").blur()
    page.get_by_text("Saved at").wait_for()
    wait_for(lambda: Response.objects.get(pk=draft.pk).draft.get("note") == "Ada <script>")
    page.reload()
    assert page.get_by_label("Your name for the record").input_value() == "Ada <script>"
    assert page.get_by_label("No", exact=True).is_checked()


def test_double_click_submits_once(page, org, shopper, draft):
    _open(page, org, shopper, draft)
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Next").click()
    page.get_by_text("9", exact=True).click()
    page.get_by_role("button", name="Submit").dblclick()
    page.get_by_role("heading", name="Thank you").wait_for()
    assert Response.objects.filter(survey=draft.survey).count() == 1
    assert Response.objects.get(pk=draft.pk).status == Response.Status.SUBMITTED
    assert Answer.objects.filter(response=draft).count() == 2


def test_rotated_csrf_token_still_saves(page, org, shopper, draft):
    _open(page, org, shopper, draft)
    # As if the user logged in again in another tab: the CSRF cookie changes under the page.
    page.context.add_cookies(
        [{"name": "csrftoken", "value": secrets.token_hex(16), "url": page.url}]
    )
    page.get_by_label("Your name for the record").fill("Still here")
    page.get_by_label("Your name for the record").blur()
    wait_for(lambda: Response.objects.get(pk=draft.pk).draft.get("note") == "Still here")
    page.get_by_text("Saved at").wait_for()


def test_unsaved_answers_are_offered_back_from_the_browser_after_reload(page, org, shopper, draft):
    _open(page, org, shopper, draft)
    # The server cannot be reached: what is typed stays in this browser.
    page.route("**/autosave/", lambda route: route.abort())
    page.get_by_label("Your name for the record").fill("Typed offline")
    page.get_by_label("Your name for the record").blur()
    page.get_by_text("kept in this browser").wait_for()
    page.unroute("**/autosave/")
    page.reload()
    assert page.get_by_label("Your name for the record").input_value() == ""
    page.get_by_role("button", name="Restore them").click()
    assert page.get_by_label("Your name for the record").input_value() == "Typed offline"
    wait_for(lambda: Response.objects.get(pk=draft.pk).draft.get("note") == "Typed offline")


def test_expired_session_keeps_input_and_saves_after_logging_in_again(page, org, shopper, draft):
    _open(page, org, shopper, draft)
    page.context.clear_cookies()  # the session ended
    page.get_by_label("Your name for the record").fill("Kept across login")
    page.get_by_label("Your name for the record").blur()
    notice = page.get_by_role("alert").filter(has_text="session has ended")
    notice.wait_for()
    assert notice.get_by_role("link", name="log in again in a new tab").is_visible()
    other = page.context.new_page()
    login(other, shopper.email)
    other.close()
    page.get_by_label("Your name for the record").fill("Kept across login!")
    page.get_by_label("Your name for the record").blur()
    wait_for(lambda: Response.objects.get(pk=draft.pk).draft.get("note") == "Kept across login!")
    assert page.get_by_label("Your name for the record").input_value() == "Kept across login!"
