"""The builder in Chromium: settings follow the chosen type; the structure page works on a phone.

Set SCREENSHOT_DIR to keep screenshots of the pages (390 px and desktop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveys.models import Question
from surveys.questionnaire import services as builder
from surveys.questionnaire.services import QuestionData, SectionData
from tests.conftest import login
from tests.factories import make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)


@pytest.fixture
def survey(org):
    std = make_standard(org, "GREET-10S", name="Greeted within 10 seconds")
    s = builder.create_survey(
        organization=org, code="visit", title="Station visit", kind="mystery_shop"
    )
    a = builder.add_section(survey=s, data=SectionData(title="Arrival", weight=1))
    builder.add_question(
        section=a,
        data=QuestionData(
            code="greet",
            type="yes_no",
            text="Were you greeted within 10 seconds?",
            critical=True,
            standard=std,
            aspect="perception",
            required=True,
        ),
    )
    builder.add_question(
        section=a,
        data=QuestionData(
            code="wait",
            type="duration",
            text="How long did you queue?",
            points=2,
            config={"target_value": 300, "target_comparator": "<="},
        ),
    )
    b = builder.add_section(
        survey=s,
        data=SectionData(
            title="At the counter",
            show_if={"question": "greet", "operator": "equals", "value": True},
        ),
    )
    builder.add_question(
        section=b,
        data=QuestionData(
            code="offer",
            type="single_choice",
            text="<script>alert(1)</script> Did they offer the cheapest fare?",
            config={
                "options": [
                    {"value": "yes", "label": "Yes", "points": 2},
                    {"value": "no", "label": "No", "points": 0},
                ]
            },
        ),
    )
    return s


def test_question_form_shows_the_settings_of_the_chosen_type(
    page, live_server, program_admin, org, survey
):
    login(page, program_admin.email)
    page.goto(f"/o/{org.slug}/surveys/")
    _shot(page, "list-390")
    page.get_by_role("link", name="Station visit").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Station visit"
    assert "<script>alert(1)</script> Did they" in page.content().replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    _shot(page, "detail-390")
    page.get_by_role("link", name="Add question to Arrival").click()
    # The page's script shows the chosen type's settings: wait for it (a loaded machine).
    page.get_by_label("Type").select_option("rating")
    expect(page.get_by_label("Scale from")).to_be_visible()
    expect(page.get_by_label("Options")).to_be_hidden()
    page.get_by_label("Type").select_option("multi_choice")
    expect(page.get_by_label("Options")).to_be_visible()
    expect(page.get_by_label("Scale from")).to_be_hidden()
    _shot(page, "question-form-390")
    page.get_by_label("Code").fill("extras")
    page.get_by_label("Question text").fill("Which extras were offered?")
    page.get_by_label("Options").fill("Railcard | 1\nReturn date | 1 | return")
    page.get_by_role("button", name="Save question", exact=True).click()
    page.wait_for_load_state()
    assert Question.objects.get(code="extras").config["options"][1]["value"] == "return"
    # Keyboard-operable reorder: the move buttons are real buttons with names.
    page.get_by_role("button", name="Move extras up").click()
    page.wait_for_load_state()
    assert Question.objects.get(code="extras").position == 1
    page.set_viewport_size({"width": 1280, "height": 900})
    _shot(page, "detail-desktop")
    page.goto(
        f"/o/{org.slug}/surveys/{survey.pk}/questions/{Question.objects.get(code='wait').pk}/"
    )
    _shot(page, "question-form-desktop")


def test_import_lists_problems_and_changes_nothing(page, live_server, program_admin, org, tmp_path):
    import json

    from surveys.models import Survey
    from tests.surveys.definition_example import example

    doc = example()  # its standards do not exist in this organisation
    doc["sections"][1]["questions"][1]["config"]["scale_min"] = 9
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    login(page, program_admin.email)
    page.goto(f"/o/{org.slug}/surveys/import/")
    page.get_by_label("Survey definition (JSON)").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").filter(has_text="Fix these")
    assert "sections[1].questions[1].config.scale_min" in alert.inner_text()
    _shot(page, "import-errors-390")
    assert not Survey.objects.exists()
