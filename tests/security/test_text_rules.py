"""Class 6 of the hostile-input issue: one set of rules for text (cxaudit.textinput), applied by
every import, every form, autosave and the address itself. NUL, other control characters and
lone surrogates are refused with the field and the reason; tab and line breaks are text.

Before the fix: autosave and submit answered a NUL with a server error (PostgreSQL jsonb), a
responses CSV with a NUL in a plain column crashed the import, a JSON definition holding
"\\ud800" answered with a UnicodeEncodeError, a control character was taken by the imports
and forms alike (and then crashed the XLSX export), and a NUL in a query string crashed the
gap report download and the import pages."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from django import forms
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from cxaudit.accounts.models import Location
from cxaudit.accounts.services import import_locations
from cxaudit.errors import ValidationFailed
from cxaudit.journeys.definition import import_journeys
from cxaudit.journeys.models import Journey
from cxaudit.textinput import TextRulesMixin, first_problem, text_problem
from surveys.models import Response, Survey
from surveys.responses import services
from tests.factories import make_survey

pytestmark = pytest.mark.django_db

REFUSED = ["a\x00b", "a\x01b", "\x1b[31mred", "a\x0bb", "del\x7f", "lone \ud800"]
TAKEN = ["plain", "tab\tand\nline\r\nbreaks", "Zoë ☕ 💥", "\u202eright-to-left", "=1+1"]


@pytest.mark.parametrize("value", REFUSED)
def test_the_rules_refuse_nul_control_characters_and_lone_surrogates(value):
    assert text_problem(value)


@pytest.mark.parametrize("value", TAKEN)
def test_the_rules_take_tabs_line_breaks_and_any_real_text(value):
    assert text_problem(value) is None


def test_the_first_problem_of_a_document_names_its_path():
    document = {"a": [{"b": "ok"}, {"c": "x\x07"}]}
    assert first_problem(document) == ("a[1].c", "contains a control character (U+0007)")
    assert first_problem({"k\x00": 1})[1] == "contains a NUL character"
    assert first_problem({"a": ["fine", 1, None]}) is None


# --- imports -----------------------------------------------------------------------------------


def journey_text(name: str) -> str:
    from tests.journeys.test_definition import doc

    document = doc()
    document["journey"]["stages"][0]["name"] = name
    return json.dumps(document)


@pytest.mark.parametrize("value", REFUSED)
def test_journey_json_refuses_bad_text_with_its_path(org, value):
    with pytest.raises(ValidationFailed) as exc:
        import_journeys(organization=org, data=journey_text(value))
    (where, why), *_ = exc.value.errors
    assert where == "journey.stages[0].name" and why == text_problem(value)
    assert not Journey.objects.exists()


def test_survey_json_refuses_a_lone_surrogate(org):
    from surveys.questionnaire.definition import import_definition
    from tests.surveys.definition_example import example, example_standards

    example_standards(org)
    document = example()
    document["title"] = "__X__"
    data = json.dumps(document).replace("__X__", "\\ud800")
    with pytest.raises(ValidationFailed) as exc:
        import_definition(organization=org, data=data)
    assert exc.value.errors[0] == ("title", "is not valid Unicode text (a lone surrogate)")
    assert not Survey.objects.exists()


@pytest.mark.parametrize("value", ["Nor\x00th", "Nor\x01th"])
def test_locations_csv_refuses_bad_text_with_its_line(org, value):
    data = f"code,name\nL1,Fine\nL2,{value}\n".encode()
    with pytest.raises(ValidationFailed) as exc:
        import_locations(organization=org, data=data)
    assert exc.value.errors == [("line 3", text_problem(value))]
    assert not Location.objects.exists()


def test_kpi_csv_refuses_a_control_character(org, location):
    from cxaudit.insights.kpis.services import import_kpi_values

    with pytest.raises(ValidationFailed) as exc:
        import_kpi_values(organization=org, data=b"kpi,location,wave,value\nFCR,KGX,W\x02,1\n")
    assert exc.value.errors == [("line 2", "contains a control character (U+0002)")]


@pytest.mark.parametrize("column", ["respondent", "comment", "location"])
def test_responses_csv_refuses_a_nul_in_any_column_instead_of_crashing(org, column):
    from surveys.imports import services as imports
    from tests.surveys.import_helpers import GOOD_ROWS, HEADER, make_import_context

    make_import_context(org)
    cells = GOOD_ROWS[0].split(",")
    at = HEADER.split(",").index(column)
    cells[at] = cells[at][:1] + "\x00" + cells[at][1:]
    data = (HEADER + "\n" + ",".join(cells) + "\n").encode()
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=ContentFile(data, name="r.csv"),
        enqueue=False,
    )
    result = imports.run_import(import_id=imp.pk)
    assert result.status == "failed"
    assert result.errors == [{"line": 2, "column": "", "reason": "contains a NUL character"}]
    assert not Response.objects.exists()


# --- autosave and submission ---------------------------------------------------------------------


@pytest.fixture
def draft(org, shopper):
    survey = make_survey(
        org,
        [
            {
                "questions": [
                    {"code": "t", "type": "long_text", "text": "Your words"},
                    {"code": "c", "type": "yes_no"},
                ]
            }
        ],
        code="text-rules",
    )
    return services.start_response(survey=survey, source="shopper", respondent=shopper)


def _post(user, name, org, response, data):
    client = Client()
    client.force_login(user)
    url = reverse(f"surveys:{name}", kwargs={"org_slug": org.slug, "client_id": response.client_id})
    return client.post(url, data)


@pytest.mark.parametrize("value", ["a\x00b", "pasted\x0bfrom a word processor"])
def test_autosave_leaves_out_bad_text_and_says_which_question(org, shopper, draft, value):
    answer = _post(shopper, "autosave", org, draft, {"q-t": value, "q-c": "yes"})
    assert answer.status_code == 200
    assert answer.json()["refused"] == [
        {"question": "t", "label": "Your words", "reason": text_problem(value)}
    ]
    draft.refresh_from_db()
    assert draft.draft == {"c": "yes"}  # the rest is saved


def test_autosave_keeps_tabs_and_line_breaks(org, shopper, draft):
    answer = _post(shopper, "autosave", org, draft, {"q-t": "one\ttwo\r\nthree"})
    assert answer.json()["refused"] == []
    draft.refresh_from_db()
    assert draft.draft == {"t": "one\ttwo\r\nthree"}


@pytest.mark.parametrize("field", ["q-t", "q-c"])
def test_submit_refuses_a_nul_with_the_question_instead_of_crashing(org, shopper, draft, field):
    answer = _post(shopper, "submit", org, draft, {"q-c": "yes", field: "x\x00y"})
    assert answer.status_code == 200
    assert "contains a NUL character" in answer.content.decode() or field == "q-c"
    draft.refresh_from_db()
    assert draft.status == Response.Status.DRAFT
    assert "\x00" not in json.dumps(draft.draft)


# --- forms and addresses -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Ticket\x01office", "Ticket\x1b[2Joffice"])
def test_a_form_refuses_a_control_character_naming_the_field(org, admin_client_org, value):
    url = reverse("journeys:journey_create", args=[org.slug])
    answer = admin_client_org.post(url, {"name": value, "description": ""})
    assert answer.status_code == 200
    assert "This value contains a control character" in answer.content.decode()
    assert not Journey.objects.exists()


def test_a_form_takes_line_breaks_in_a_description(org, admin_client_org):
    url = reverse("journeys:journey_create", args=[org.slug])
    answer = admin_client_org.post(url, {"name": "Buying", "description": "One\r\nTwo\tThree"})
    assert answer.status_code == 302
    assert Journey.objects.get().description.startswith("One")


def test_a_password_is_not_held_to_the_rules(program_admin):
    program_admin.set_password("old\x01pass-from-before")
    program_admin.save()
    answer = Client().post(
        reverse("login"), {"username": program_admin.email, "password": "old\x01pass-from-before"}
    )
    assert answer.status_code == 302


@pytest.mark.parametrize(
    "address",
    [
        "insights/gaps/report/?wave=a%00b",
        "insights/gaps/report/?location=a%00b",
        "responses/imports/template/a%00b.csv",
        "responses/imports/new/?survey=%00",
        "insights/heatmap/?location=%1b",
        "actions/?x%00=1",
    ],
)
def test_an_address_holding_a_nul_or_control_character_is_refused(org, admin_client_org, address):
    answer = admin_client_org.get(f"/o/{org.slug}/{address}")
    assert answer.status_code == 400
    assert "could not be accepted" in answer.content.decode()


def _project_forms():
    """Every form class defined in cxaudit, surveys and shoppers."""
    found = set()
    for package_name in ("cxaudit", "surveys", "shoppers"):
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if "migrations" in info.name or info.name.endswith(("celery", "wsgi", "asgi")):
                continue
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.BaseForm)
                    and value.__module__ == info.name
                ):
                    found.add(value)
    return found


def test_every_form_of_the_project_applies_the_rules():
    project_forms = _project_forms()
    assert len(project_forms) > 20
    missing = sorted(
        f"{f.__module__}.{f.__name__}" for f in project_forms if not issubclass(f, TextRulesMixin)
    )
    assert not missing, (
        f"put cxaudit.textinput.TextRulesMixin first in the bases of these forms: {missing}"
    )


def test_a_name_with_line_breaks_cannot_break_an_email_header(org, mailoutbox, sent_tasks):
    from cxaudit.accounts import services as accounts
    from cxaudit.accounts.models import Role
    from cxaudit.messaging.services import deliver_due

    accounts.add_member(
        organization=org,
        email="pat@example.test",
        role=Role.SHOPPER,
        full_name='Pat\r\nBcc: thief@evil.test "x"\\',
    )
    deliver_due()
    (email,) = mailoutbox
    assert email.to == ['"Pat Bcc: thief@evil.test x" <pat@example.test>']
    assert email.bcc == [] and "thief" not in " ".join(email.recipients()[1:])
