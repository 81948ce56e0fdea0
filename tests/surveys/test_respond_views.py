"""The form engine's views: rendering every type, server-side skip logic, bad input, autosave,
idempotent submission, ownership."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Response
from surveys.responses import services
from tests.factories import make_survey

ALL_TYPES = [
    {"code": "yn", "type": "yes_no", "required": True, "help_text": "Look at the door."},
    {"code": "yna", "type": "yes_no_na"},
    {
        "code": "rate",
        "type": "rating",
        "config": {"scale_min": 1, "scale_max": 7, "min_label": "Poor", "max_label": "Great"},
    },
    {"code": "nps", "type": "nps"},
    {"code": "csat", "type": "csat"},
    {"code": "ces", "type": "ces"},
    {
        "code": "one",
        "type": "single_choice",
        "config": {
            "options": [
                {"value": "a", "label": "Apple", "points": 1},
                {"value": "b", "label": "Banana", "points": 0},
            ]
        },
    },
    {
        "code": "many",
        "type": "multi_choice",
        "config": {
            "options": [
                {"value": "x", "label": "Ex", "points": 1},
                {"value": "y", "label": "Why", "points": 1},
            ]
        },
    },
    {"code": "num", "type": "number", "config": {"unit": "people", "allow_na": True}},
    {"code": "dur", "type": "duration"},
    {"code": "when", "type": "datetime"},
    {"code": "short", "type": "short_text"},
    {"code": "long", "type": "long_text"},
    {"code": "photo", "type": "file", "points": 0},
]


@pytest.fixture
def survey(org):
    return make_survey(org, [{"title": "Everything", "questions": ALL_TYPES}], code="all")


@pytest.fixture
def skip_survey(org):
    return make_survey(
        org,
        [
            {
                "title": "Visit",
                "questions": [
                    {"code": "called", "type": "yes_no", "required": True},
                    {
                        "code": "speed",
                        "type": "rating",
                        "required": True,
                        "show_if": {"question": "called", "operator": "equals", "value": "yes"},
                    },
                ],
            },
            {
                "title": "Phone",
                "show_if": {"question": "called", "operator": "equals", "value": "yes"},
                "questions": [{"code": "agent", "type": "short_text"}],
            },
        ],
        code="skip",
        paging="sections",
    )


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _url(name, org, response):
    return reverse(
        f"surveys:{name}", kwargs={"org_slug": org.slug, "client_id": response.client_id}
    )


@pytest.fixture
def draft(survey, shopper):
    return services.start_response(survey=survey, source="shopper", respondent=shopper)


def test_form_renders_every_type_accessibly(org, shopper, draft):
    html = _client(shopper).get(_url("respond", org, draft)).content.decode()
    assert '<legend class="question-text' in html  # radio groups are fieldsets with legends
    assert 'aria-describedby="q-yn-help"' in html and 'id="q-yn-help"' in html
    assert "(required)" in html
    assert 'for="q-nps-0"' in html and 'id="q-nps-10"' in html  # NPS 0-10 row
    assert "Poor" in html and "Great" in html  # scale end labels
    assert 'id="q-num-unit">people<' in html
    assert 'type="datetime-local"' in html
    assert 'maxlength="255"' in html and 'maxlength="5000"' in html
    assert 'accept="image/jpeg,image/png,image/webp,application/pdf"' in html
    assert 'type="checkbox" name="q-many"' in html
    assert 'id="survey-engine" type="application/json"' in html
    assert "<script>" not in html.split('id="survey-engine"')[0].split("<main")[1]


def test_script_in_question_text_and_answers_is_escaped(org, shopper):
    survey = make_survey(
        org,
        [
            {
                "title": "<script>alert('s')</script>",
                "questions": [
                    {
                        "code": "t",
                        "type": "short_text",
                        "text": "<script>alert('q')</script>",
                        "help_text": "<img src=x onerror=alert(1)>",
                    },
                ],
            }
        ],
        code="xss",
    )
    response = services.start_response(survey=survey, source="shopper", respondent=shopper)
    services.save_form_draft(response=response, raw_answers={"t": '"><script>alert(1)</script>'})
    html = _client(shopper).get(_url("respond", org, response)).content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#x27;q&#x27;)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_other_users_draft_is_404(org, draft, manager, outsider):
    assert _client(manager).get(_url("respond", org, draft)).status_code == 404
    assert _client(manager).post(_url("autosave", org, draft), {"q-yn": "yes"}).status_code == 404
    assert _client(manager).post(_url("submit", org, draft), {"q-yn": "yes"}).status_code == 404
    assert _client(outsider).get(_url("respond", org, draft)).status_code == 404


def test_autosave_keeps_typed_values_and_restores_them(org, shopper, draft):
    c = _client(shopper)
    r = c.post(_url("autosave", org, draft), {"q-short": "Friendly", "q-nps": "12", "q-zzz": "x"})
    assert r.status_code == 200 and "saved_at" in r.json()
    draft.refresh_from_db()
    # Invalid values are kept as typed (fixed on submit); unknown codes are dropped.
    assert draft.draft == {"short": "Friendly", "nps": "12"}
    html = c.get(_url("respond", org, draft)).content.decode()
    assert 'value="Friendly"' in html


def test_autosave_discards_answers_hidden_by_skip_logic(org, shopper, skip_survey):
    response = services.start_response(survey=skip_survey, source="shopper", respondent=shopper)
    _client(shopper).post(
        _url("autosave", org, response), {"q-called": "no", "q-speed": "4", "q-agent": "Bob"}
    )
    response.refresh_from_db()
    assert response.draft == {"called": "no"}


def test_submit_discards_hidden_answers_on_the_server(org, shopper, skip_survey):
    response = services.start_response(survey=skip_survey, source="shopper", respondent=shopper)
    r = _client(shopper).post(
        _url("submit", org, response), {"q-called": "no", "q-speed": "5", "q-agent": "Bob"}
    )
    assert r.status_code == 302 and r["Location"] == _url("receipt", org, response)
    codes = set(Answer.objects.filter(response=response).values_list("question__code", flat=True))
    assert codes == {"called"}


def test_forged_foreign_question_is_rejected_with_a_message(org, other_org, shopper, draft):
    other = make_survey(other_org, [{"questions": [{"code": "secret", "type": "yes_no"}]}])
    assert other
    r = _client(shopper).post(_url("submit", org, draft), {"q-yn": "yes", "q-secret": "yes"})
    assert r.status_code == 200
    assert "not a question of this survey" in r.content.decode()
    draft.refresh_from_db()
    assert draft.status == Response.Status.DRAFT


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("q-yn", "maybe", "not yes or no"),
        ("q-rate", "9", "out of range 1–7"),
        ("q-nps", "-1", "out of range 0–10"),
        ("q-csat", "abc", "not a number"),
        ("q-one", "c", "unknown option"),
        ("q-many", "z", "unknown option"),
        ("q-num", "1,5", "decimal separator"),
        ("q-dur", "-3", "cannot be negative"),
        ("q-dur", "1:99", "not a duration"),
        ("q-when", "yesterday", "ISO 8601"),
        ("q-short", "x" * 256, "too long"),
        ("q-long", "y" * 5001, "too long"),
        ("q-photo", "not-a-real-key", "upload it again"),
        ("q-yna", "", None),
    ],
)
def test_wrong_values_get_messages_and_typed_values_are_kept(
    org, shopper, draft, field, value, message
):
    data = {"q-yn": "yes", field: value} if field != "q-yn" else {field: value}
    r = _client(shopper).post(_url("submit", org, draft), data)
    html = r.content.decode()
    if message is None:  # an optional question left empty is fine
        assert r.status_code == 302
        return
    assert r.status_code == 200
    assert 'role="alert" id="error-summary"' in html
    assert message in html
    code = field[2:]
    assert f'id="q-{code}-error"' in html and f'href="#q-{code}"' in html
    if field in ("q-short", "q-when", "q-num"):
        assert f'value="{value}"' in html  # what was typed is shown again


def test_missing_required_answer_is_reported(org, shopper, draft):
    r = _client(shopper).post(_url("submit", org, draft), {"q-short": "hello"})
    html = r.content.decode()
    assert "an answer is required" in html and 'value="hello"' in html
    draft.refresh_from_db()
    assert draft.draft["short"] == "hello"  # nothing typed is lost


def test_submit_is_idempotent_on_replay(org, shopper, draft):
    c = _client(shopper)
    first = c.post(_url("submit", org, draft), {"q-yn": "yes", "q-nps": "9"})
    second = c.post(_url("submit", org, draft), {"q-yn": "no", "q-nps": "1"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Response.objects.filter(survey=draft.survey).count() == 1
    assert Answer.objects.get(response=draft, question__code="nps").value == 9
    receipt = c.get(first["Location"]).content.decode()
    assert "Thank you" in receipt and str(draft.client_id) in receipt
    # The form of a submitted response leads to its receipt; autosave refuses politely.
    assert c.get(_url("respond", org, draft))["Location"] == first["Location"]
    assert c.post(_url("autosave", org, draft), {"q-yn": "no"}).status_code == 409


def test_na_checkbox_beside_a_number(org, shopper, draft):
    _client(shopper).post(_url("submit", org, draft), {"q-yn": "yes", "q-num": ["", "NA"]})
    assert Answer.objects.get(response=draft, question__code="num").is_na


def test_too_many_fields_is_a_clear_400(org, shopper, draft):
    data = {f"q-f{i}": "1" for i in range(2500)}
    r = _client(shopper).post(_url("submit", org, draft), data)
    assert r.status_code == 400
    assert "could not be accepted" in r.content.decode()


def test_a_thousand_forged_fields_under_the_limit_are_rejected_not_500(org, shopper, draft):
    data = {f"q-f{i}": "1" for i in range(1200)} | {"q-yn": "yes"}
    r = _client(shopper).post(_url("submit", org, draft), data)
    assert r.status_code == 200 and "not a question of this survey" in r.content.decode()
    assert _client(shopper).post(_url("autosave", org, draft), data).status_code == 200


def test_preview_renders_for_staff_with_banner_and_saves_nothing(org, program_admin, survey):
    url = reverse("surveys:preview", kwargs={"org_slug": org.slug, "pk": survey.pk})
    html = _client(program_admin).get(url).content.decode()
    assert "Preview — nothing is saved" in html
    assert 'data-action="submit" disabled' in html
    assert Response.objects.count() == 0


def test_csrf_token_endpoint(client):
    r = client.get(reverse("surveys:csrf_token"))
    assert r.status_code == 200 and len(r.json()["token"]) == 64


def test_start_response_refuses_unpublished_surveys(org, shopper):
    from cxaudit.errors import DomainError

    draft_survey = make_survey(org, [{"questions": []}], code="dr", status="draft")
    with pytest.raises(DomainError):
        services.start_response(survey=draft_survey, source="shopper", respondent=shopper)
