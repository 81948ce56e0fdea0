"""Words that fit what is measured: a question's aspect as its kind of survey means it (a
mystery shopper observes; there is no shopper's expectation), and targets whose units read
naturally ("≤ 1 minute", "≤ 2 minutes")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cxaudit.journeys.models import Standard
from surveys.models import Survey
from surveys.questionnaire import services as builder
from surveys.questionnaire.definition import FORMAT, FORMAT_VERSION, check_definition
from surveys.questionnaire.models import aspect_label
from surveys.questionnaire.services import QuestionData, SectionData
from tests.factories import make_standard

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "unit", "comparator", "shown"),
    [
        ("1", "minutes", "lte", "≤ 1 minute"),
        ("2", "minutes", "lte", "≤ 2 minutes"),
        ("1.0", "working days", "lte", "≤ 1 working day"),
        ("1.5", "hours", "lt", "< 1.5 hours"),
        ("60", "seconds", "lte", "≤ 60 seconds"),
        ("1", "s", "lte", "≤ 1 s"),
        ("80", "%", "gte", "≥ 80 %"),
    ],
)
def test_targets_read_naturally(value, unit, comparator, shown):
    std = Standard(target_value=Decimal(value), target_unit=unit, target_comparator=comparator)
    assert std.target_display == shown


def test_aspects_are_worded_for_the_kind_of_survey():
    assert aspect_label("mystery_shop", "perception") == "Observation (what the shopper saw)"
    assert aspect_label("customer", "perception") == "Perception (how it was)"
    assert aspect_label("self_assessment", "perception") == "Self-rating (how we deliver it)"
    assert aspect_label("customer", "") == ""


def _url(name, org, **kw):
    return reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, **kw})


@pytest.fixture
def shop(org):
    survey = builder.create_survey(
        organization=org, code="visit", title="Visit", kind="mystery_shop"
    )
    section = builder.add_section(survey=survey, data=SectionData(title="Arrival"))
    return survey, section


def test_a_mystery_shop_question_is_an_observation(org, admin_client_org, shop):
    survey, section = shop
    std = make_standard(org, "GREET")
    new = _url("question_create", org, pk=survey.pk, section_pk=section.pk)
    page = admin_client_org.get(new).content.decode()
    assert '<option value="perception">Observation (what the shopper saw)</option>' in page
    assert 'value="expectation"' not in page
    data = {"code": "greet", "type": "yes_no", "text": "Greeted?", "standard": std.pk}
    refused = admin_client_org.post(new, {**data, "aspect": "expectation"})
    assert refused.status_code == 200
    assert not survey.questions.exists()
    ok = admin_client_org.post(new, {**data, "aspect": "perception"})
    assert ok.status_code == 302
    detail = admin_client_org.get(_url("survey_detail", org, pk=survey.pk)).content.decode()
    assert "· Observation (what the shopper saw)" in detail


def test_the_service_refuses_an_expectation_on_a_mystery_shop(org, shop):
    from cxaudit.errors import ValidationFailed

    _, section = shop
    with pytest.raises(ValidationFailed) as exc:
        builder.add_question(
            section=section,
            data=QuestionData(code="q", type="yes_no", text="Q?", aspect="expectation"),
        )
    assert exc.value.errors[0][0] == "aspect"


def test_a_customer_survey_keeps_both_aspects(org, admin_client_org):
    survey = builder.create_survey(organization=org, code="c", title="C", kind=Survey.Kind.CUSTOMER)
    section = builder.add_section(survey=survey, data=SectionData(title="All"))
    page = admin_client_org.get(
        _url("question_create", org, pk=survey.pk, section_pk=section.pk)
    ).content.decode()
    assert '<option value="expectation">Expectation (how it should be)</option>' in page


def test_the_definition_import_refuses_an_expectation_on_a_mystery_shop(org):
    checked = check_definition(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "code": "v",
            "title": "Visit",
            "kind": "mystery_shop",
            "sections": [
                {
                    "title": "A",
                    "questions": [
                        {"code": "q", "type": "yes_no", "text": "Q?", "aspect": "expectation"}
                    ],
                }
            ],
        },
        organization=org,
    )
    assert [path for path, _ in checked.errors] == ["sections[0].questions[0].aspect"]
