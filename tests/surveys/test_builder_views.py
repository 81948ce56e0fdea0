"""Builder pages: happy paths, escaping, errors shown in the form, constant query counts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from surveys.models import Question, Survey
from surveys.questionnaire import services as builder
from surveys.questionnaire.services import QuestionData, SectionData
from tests.factories import make_standard
from tests.surveys.definition_example import example, example_standards

pytestmark = pytest.mark.django_db


def url(name, org, **kw):
    return reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, **kw})


@pytest.fixture
def draft(org):
    survey = builder.create_survey(
        organization=org, code="visit", title="Visit", kind="mystery_shop"
    )
    section = builder.add_section(survey=survey, data=SectionData(title="Arrival"))
    builder.add_question(
        section=section, data=QuestionData(code="greet", type="yes_no", text="Greeted?")
    )
    return survey


def test_create_survey_then_section_then_question(org, admin_client_org):
    c = admin_client_org
    r = c.post(url("survey_create", org), {"title": "Shop", "code": "shop", "kind": "mystery_shop"})
    survey = Survey.objects.get(code="shop")
    assert r.status_code == 302 and r["Location"] == url("survey_detail", org, pk=survey.pk)
    r = c.post(url("section_create", org, pk=survey.pk), {"title": "Arrival"})
    assert r.status_code == 302
    section = survey.sections.get()
    std = make_standard(org, "GREET")
    r = c.post(
        url("question_create", org, pk=survey.pk, section_pk=section.pk),
        {
            "code": "offer",
            "type": "single_choice",
            "text": "Offer?",
            "points": "1",
            "options": "Yes, unprompted | 3\nOnly when asked | 1 | asked\nNo",
            "scale_min": "9",  # left over from another type: ignored
            "standard": std.pk,
            "aspect": "perception",
        },
    )
    assert r.status_code == 302, r.content.decode()
    q = Question.objects.get(code="offer")
    assert q.config == {
        "options": [
            {"value": "yes-unprompted", "label": "Yes, unprompted", "points": 3},
            {"value": "asked", "label": "Only when asked", "points": 1},
            {"value": "no", "label": "No", "points": 0},
        ]
    }
    assert q.standard == std and q.aspect == "perception"
    # The edit form shows the options as typed lines, and saves them unchanged.
    page = c.get(url("question_edit", org, pk=survey.pk, question_pk=q.pk)).content.decode()
    assert "Yes, unprompted | 3 | yes-unprompted" in page
    r = c.post(
        url("question_create", org, pk=survey.pk, section_pk=section.pk),
        {
            "code": "why",
            "type": "short_text",
            "text": "Why?",
            "points": "0",
            "show_if_question": "offer",
            "show_if_operator": "in",
            "show_if_value": "asked; no",
            "max_length": "80",
            "save_add": "1",
        },
    )
    assert r.status_code == 302 and r["Location"].endswith("/questions/new/")
    assert Question.objects.get(code="why").config == {"max_length": 80}
    assert Question.objects.get(code="why").show_if == {
        "question": "offer",
        "operator": "in",
        "value": ["asked", "no"],
    }


def test_show_if_values_are_stored_as_the_question_stores_answers(org, admin_client_org, draft):
    section = draft.sections.get()
    r = admin_client_org.post(
        url("question_create", org, pk=draft.pk, section_pk=section.pk),
        {
            "code": "name",
            "type": "short_text",
            "text": "Name?",
            "points": "0",
            "show_if_question": "greet",
            "show_if_operator": "equals",
            "show_if_value": "Yes",
        },
    )
    assert r.status_code == 302
    assert Question.objects.get(code="name").show_if["value"] is True


def test_invalid_question_shows_errors_next_to_fields(org, admin_client_org, draft):
    section = draft.sections.get()
    r = admin_client_org.post(
        url("question_create", org, pk=draft.pk, section_pk=section.pk),
        {
            "code": "GREET",
            "type": "rating",
            "text": "Rate",
            "points": "1",
            "scale_min": "5",
            "scale_max": "3",
            "show_if_question": "greet",
            "show_if_operator": "equals",
            "show_if_value": "perhaps",
        },
    )
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "already has the code" in errors["code"][0]
    assert "less than scale_max" in errors["scale_min"][0]
    assert "not yes or no" in errors["show_if_value"][0]
    assert not Question.objects.filter(type="rating").exists()


def test_choice_without_options_is_refused(org, admin_client_org, draft):
    r = admin_client_org.post(
        url("question_create", org, pk=draft.pk, section_pk=draft.sections.get().pk),
        {"code": "c", "type": "multi_choice", "text": "Pick", "points": "1", "options": ""},
    )
    assert "at least one option" in r.context["form"].errors["options"][0]


def test_script_in_question_text_is_shown_escaped(org, admin_client_org, draft):
    section = draft.sections.get()
    builder.add_question(
        section=section,
        data=QuestionData(code="x", type="yes_no", text="<script>alert('x')</script>"),
    )
    builder.update_section(section=section, data=SectionData(title="<b>Arrival</b>"))
    for page in (
        admin_client_org.get(url("survey_detail", org, pk=draft.pk)),
        admin_client_org.get(
            url("question_edit", org, pk=draft.pk, question_pk=Question.objects.get(code="x").pk)
        ),
        admin_client_org.get(url("question_create", org, pk=draft.pk, section_pk=section.pk)),
    ):
        html = page.content.decode()
        assert "<script>alert" not in html and "<b>Arrival" not in html
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
        in admin_client_org.get(url("survey_detail", org, pk=draft.pk)).content.decode()
    )


def test_detail_page_query_count_is_constant(
    org, admin_client_org, draft, django_assert_max_num_queries
):
    std = make_standard(org, "S1")

    def grow(n):
        section = builder.add_section(survey=draft, data=SectionData(title=f"S{n}"))
        for i in range(5):
            builder.add_question(
                section=section,
                data=QuestionData(
                    code=f"q{n}_{i}",
                    type="single_choice",
                    text="?",
                    standard=std,
                    config={"options": [{"value": "a", "label": "A", "points": 1}]},
                    show_if={"question": "greet", "operator": "answered"},
                ),
            )

    page = url("survey_detail", org, pk=draft.pk)
    grow(1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert admin_client_org.get(page).status_code == 200
    for n in range(2, 6):
        grow(n)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = admin_client_org.get(page)
    assert r.context["question_count"] == 26


def test_list_page_query_count_is_constant(
    org, admin_client_org, draft, django_assert_max_num_queries
):
    for i in range(10):
        builder.create_survey(organization=org, code=f"s{i}", title=f"S{i}", kind="customer")
    with django_assert_max_num_queries(8):
        r = admin_client_org.get(url("survey_list", org))
    assert r.status_code == 200 and "S9" in r.content.decode()


def test_publish_edit_as_new_version_flow(org, admin_client_org, draft):
    c = admin_client_org
    r = c.post(url("survey_publish", org, pk=draft.pk))
    draft.refresh_from_db()
    assert draft.status == "published"
    page = c.get(url("survey_detail", org, pk=draft.pk)).content.decode()
    assert "Edit as a new version" in page and "Return to draft" in page
    r = c.post(url("survey_new_version", org, pk=draft.pk))
    v2 = Survey.objects.get(code="visit", version=2)
    assert r["Location"] == url("survey_detail", org, pk=v2.pk)
    # A second click leads to the same draft instead of a third version.
    r = c.post(url("survey_new_version", org, pk=draft.pk))
    assert r["Location"] == url("survey_detail", org, pk=v2.pk)
    assert Survey.objects.filter(code="visit").count() == 2


def test_publish_problems_are_listed(org, admin_client_org):
    survey = builder.create_survey(organization=org, code="e", title="E", kind="customer")
    r = admin_client_org.post(url("survey_publish", org, pk=survey.pk), follow=True)
    assert "has no questions yet" in r.content.decode()
    survey.refresh_from_db()
    assert survey.status == "draft"


def test_export_downloads_the_definition(org, admin_client_org, draft):
    r = admin_client_org.get(url("survey_export", org, pk=draft.pk))
    assert r["Content-Type"].startswith("application/json")
    assert 'filename="survey-visit-v1.json"' in r["Content-Disposition"]
    assert json.loads(r.content)["code"] == "visit"


def test_import_upload_creates_a_draft_and_lists_errors(org, admin_client_org):
    example_standards(org)
    doc = example()
    upload = SimpleUploadedFile("s.json", json.dumps(doc).encode(), "application/json")
    r = admin_client_org.post(url("survey_import", org), {"file": upload})
    survey = Survey.objects.get(code="station-visit")
    assert r["Location"] == url("survey_detail", org, pk=survey.pk)
    upload = SimpleUploadedFile("s.json", json.dumps(doc).encode(), "application/json")
    r = admin_client_org.post(url("survey_import", org), {"file": upload}, follow=True)
    assert "version 2" in r.content.decode()
    doc["sections"][1]["questions"][1]["config"]["scale_min"] = 8
    doc["sections"][0]["questions"][0]["text"] = "<script>x</script>"
    doc["kind"] = "<img src=x>"
    upload = SimpleUploadedFile("s.json", json.dumps(doc).encode(), "application/json")
    r = admin_client_org.post(url("survey_import", org), {"file": upload})
    html = r.content.decode()
    assert r.status_code == 200 and "Nothing was imported" in html
    assert "sections[1].questions[1].config.scale_min" in html
    assert "Section 2 “At the counter” › question courtesy" in html
    assert "<img src=x>" not in html
    assert Survey.objects.filter(code="station-visit").count() == 2


def test_section_and_question_moves_and_deletes(org, admin_client_org, draft):
    c = admin_client_org
    section = draft.sections.get()
    builder.add_question(section=section, data=QuestionData(code="two", type="yes_no", text="2"))
    two = Question.objects.get(code="two")
    c.post(url("question_move", org, pk=draft.pk, question_pk=two.pk), {"direction": "up"})
    assert list(section.questions.order_by("position").values_list("code", flat=True)) == [
        "two",
        "greet",
    ]
    c.post(url("question_delete", org, pk=draft.pk, question_pk=two.pk))
    assert not Question.objects.filter(code="two").exists()
    other = builder.add_section(survey=draft, data=SectionData(title="B"))
    c.post(url("section_move", org, pk=draft.pk, section_pk=other.pk), {"direction": "up"})
    assert list(draft.sections.order_by("position").values_list("title", flat=True)) == [
        "B",
        "Arrival",
    ]
    c.post(url("section_delete", org, pk=draft.pk, section_pk=other.pk))
    assert draft.sections.count() == 1


def test_settings_saved(org, admin_client_org, draft):
    r = admin_client_org.post(
        url("survey_settings", org, pk=draft.pk),
        {
            "title": "New title",
            "kind": "customer",
            "na_policy": "count_as_fail",
            "critical_scope": "form",
            "paging": "single",
        },
    )
    assert r.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.na_policy, draft.bonus_cap) == ("New title", "count_as_fail", False)


def test_another_orgs_survey_is_404(org, other_org, admin_client_org):
    foreign = builder.create_survey(organization=other_org, code="x", title="X", kind="customer")
    assert admin_client_org.get(url("survey_detail", org, pk=foreign.pk)).status_code == 404
    assert admin_client_org.get(url("survey_export", org, pk=foreign.pk)).status_code == 404


def test_reviewer_sees_structure_without_edit_buttons(org, roles, draft):
    page = roles.client("reviewer").get(url("survey_detail", org, pk=draft.pk)).content.decode()
    assert "greet" in page and "Add question" not in page and "Publish" not in page


def test_edit_pages_of_a_published_version_say_how_to_edit(org, admin_client_org, draft):
    builder.publish_survey(survey=draft)
    r = admin_client_org.get(
        url("question_create", org, pk=draft.pk, section_pk=draft.sections.get().pk), follow=True
    )
    assert r.redirect_chain[-1][0] == url("survey_detail", org, pk=draft.pk)
    assert "return it to draft" in r.content.decode()


def test_survey_page_links_to_the_respondent_preview(org, admin_client_org, draft):
    html = admin_client_org.get(url("survey_detail", org, pk=draft.pk)).content.decode()
    preview = url("preview", org, pk=draft.pk)
    assert f'href="{preview}"' in html
    assert admin_client_org.get(preview).status_code == 200
