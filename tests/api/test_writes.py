"""Writes through the API go through the services the UI uses: contacts (the contact import),
campaign launch, response import, KPI values, action items; with Idempotency-Key, errors naming
their field, and the rate limit per token."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cxaudit.api.models import IdempotentRequest
from cxaudit.insights.actions.models import ActionItem
from cxaudit.insights.kpis.models import Kpi, KpiValue
from cxaudit.messaging.models import Message
from surveys.imports.services import run_import
from surveys.models import Campaign, Contact, Response
from surveys.outreach.contacts import run_contact_import
from tests.api.conftest import api_client, bearer
from tests.factories import make_standard, make_wave
from tests.outreach.helpers import campaign, customer_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(org, program_admin):
    return api_client(bearer(program_admin, org))


def u(org, name, *args) -> str:
    return reverse(f"api:{name}", args=[org.slug, *args])


# -- contacts ------------------------------------------------------------------------------------


def test_contacts_are_imported_as_a_csv_upload_is(
    org, location, admin_api, sent_tasks, django_capture_on_commit_callbacks
):
    body = {
        "list": "Spring",
        "contacts": [
            {
                "email": " Pat@Example.test ",
                "first_name": "Pat",
                "location": location.code,
                "attributes": {"tier": "gold"},
            },
            {"email": "sam@example.test", "language": "fr"},
            {"email": "not an address"},
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(u(org, "contacts"), body, format="json")
    assert response.status_code == 202, response.content
    imp = response.json()
    assert response["Location"] == u(org, "contact_import", imp["id"])
    assert [t.name for t in sent_tasks] == ["surveys.run_contact_import"]
    run_contact_import(import_id=imp["id"])
    done = admin_api.get(response["Location"]).json()
    assert (done["status"], done["created_count"], done["rejected_count"]) == ("succeeded", 2, 1)
    assert done["errors"]
    pat = Contact.objects.get(email="pat@example.test")
    assert (pat.first_name, pat.location, pat.attributes) == ("Pat", location, {"tier": "gold"})
    assert Contact.objects.get(email="sam@example.test").language == "fr"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "contacts"),
        ({"contacts": []}, "contacts"),
        ({"contacts": [{"first_name": "x"}]}, "contacts.0.email"),
        ({"contacts": [{"email": "a@b.test", "language": "de"}]}, "contacts.0.language"),
        ({"contacts": "a@b.test"}, "contacts"),
        (
            {"contacts": [{"email": "a@b.test", "attributes": {"k": ["x"]}}]},
            "contacts.0.attributes.k",
        ),
    ],
)
def test_bad_contacts_say_which_field(org, admin_api, body, field):
    response = admin_api.post(u(org, "contacts"), body, format="json")
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json()["errors"]}


def test_a_body_that_is_not_json_is_refused_with_400(org, admin_api):
    response = admin_api.post(u(org, "contacts"), b"{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


# -- campaigns -----------------------------------------------------------------------------------


def test_launching_a_campaign(org, admin_api, sent_tasks, django_capture_on_commit_callbacks):
    draft = campaign(org)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(u(org, "campaign_launch", draft.pk), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Campaign.objects.get().status == "scheduled"
    assert "surveys.write_invitations" in [t.name for t in sent_tasks]
    again = admin_api.post(u(org, "campaign_launch", draft.pk), {}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_a_campaign_whose_links_would_have_expired_is_not_launched(org, admin_api):
    draft = campaign(org)
    later = (draft.expires_at + dt.timedelta(days=1)).isoformat()
    response = admin_api.post(
        u(org, "campaign_launch", draft.pk), {"send_at": later}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "expires_at", "reason": "The links would have expired already."}
    ]


# -- responses CSV -------------------------------------------------------------------------------


def test_importing_responses(
    org, location, admin_api, sent_tasks, django_capture_on_commit_callbacks
):
    wave = make_wave(org)
    customer_survey(org)
    csv = (
        f"source,location,wave,submitted_at,sat,nps\n"
        f"customer,{location.code},{wave.name},2026-07-04T09:00:00+01:00,5,10\n"
    )
    upload = SimpleUploadedFile("r.csv", csv.encode(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(u(org, "response_imports"), {"survey": "cust", "file": upload})
    assert response.status_code == 202, response.content
    assert [t.name for t in sent_tasks] == ["surveys.run_response_import"]
    run_import(import_id=response.json()["id"])
    done = admin_api.get(response["Location"]).json()
    assert (done["status"], done["imported_count"], done["survey"]) == ("succeeded", 1, "cust")
    assert Response.objects.get().location == location


def test_a_response_import_into_an_unknown_survey_names_the_field(org, admin_api):
    upload = SimpleUploadedFile("r.csv", b"source\ncustomer\n")
    response = admin_api.post(u(org, "response_imports"), {"survey": "nope", "file": upload})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "survey", "reason": "No published survey with code 'nope'."}
    ]


# -- KPI values ----------------------------------------------------------------------------------


def test_kpi_values_are_created_then_updated(org, location, admin_api):
    wave = make_wave(org)
    Kpi.objects.create(organization=org, code="AHT", name="Handling time", unit="s")
    body = {
        "values": [{"kpi": "AHT", "location": location.code, "wave": wave.name, "value": "312.5"}]
    }
    assert admin_api.post(u(org, "kpi_values"), body, format="json").json() == {
        "created": 1,
        "updated": 0,
    }
    body["values"][0]["value"] = 300
    assert admin_api.post(u(org, "kpi_values"), body, format="json").json() == {
        "created": 0,
        "updated": 1,
    }
    assert KpiValue.objects.get().value == Decimal("300")
    figures = admin_api.get(u(org, "kpis"), {"wave": wave.pk}).json()
    assert figures[0]["code"] == "AHT" and figures[0]["value"] == 300.0


def test_bad_kpi_values_name_the_row_and_field_and_write_nothing(org, location, admin_api):
    wave = make_wave(org)
    Kpi.objects.create(organization=org, code="AHT", name="Handling time")
    body = {
        "values": [
            {"kpi": "AHT", "location": location.code, "wave": wave.name, "value": 1},
            {"kpi": "NOPE", "location": location.code, "wave": wave.name, "value": 1},
        ]
    }
    response = admin_api.post(u(org, "kpi_values"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "values.1.kpi", "reason": "no KPI 'NOPE' in Acme Rail"}
    ]
    assert not KpiValue.objects.exists()


# -- action items --------------------------------------------------------------------------------


def _action(org, wave, std, who, **extra):
    return {
        "wave": wave.pk,
        "gap": "self_vs_perceived",
        "standard": std.code,
        "title": "Greet faster",
        "root_cause": "process",
        "owner": who.email,
        "due_date": "2030-01-31",
    } | extra


def test_creating_an_action_item(org, admin_api, manager):
    wave, std = make_wave(org), make_standard(org, "GREET")
    response = admin_api.post(
        u(org, "action_items"), _action(org, wave, std, manager), format="json"
    )
    assert response.status_code == 201, response.content
    item = ActionItem.objects.get()
    assert response.json()["id"] == item.pk and response.json()["standard"] == "GREET"
    assert item.owner == manager and item.status == "open"
    # The owner is told, through the outbox.
    assert Message.objects.filter(to_email=manager.email).count() == 1


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ({"standard": "NOPE"}, "standard", "no standard 'NOPE' in this organisation"),
        ({"owner": "nobody@acme.test"}, "owner", "no member of this organisation with this email"),
        ({"due_date": "2020-01-01"}, "due_date", "The due date is in the past."),
        ({"standard": None}, "standard", "Choose a standard or a touchpoint."),
        (
            {"location": 999999},
            "location",
            "no location 999999 that you can see in this organisation",
        ),
        ({"title": "a\x00b"}, "title", "Null characters are not allowed."),
    ],
)
def test_a_bad_action_item_names_its_field(org, admin_api, manager, extra, field, reason):
    wave, std = make_wave(org), make_standard(org, "GREET")
    response = admin_api.post(
        u(org, "action_items"), _action(org, wave, std, manager, **extra), format="json"
    )
    assert response.status_code == 400, response.content
    assert {"field": field, "reason": reason} in response.json()["errors"]
    assert not ActionItem.objects.exists()


def test_a_shopper_cannot_own_an_action(org, admin_api, shopper):
    wave, std = make_wave(org), make_standard(org, "GREET")
    response = admin_api.post(
        u(org, "action_items"), _action(org, wave, std, shopper), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "owner"


def test_a_limited_manager_cannot_plan_at_another_location(org, limited_manager, outside):
    client = api_client(bearer(limited_manager, org))
    wave, std = make_wave(org), make_standard(org, "GREET")
    response = client.post(
        u(org, "action_items"),
        _action(org, wave, std, limited_manager, location=outside.pk),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "location"


# -- idempotency ---------------------------------------------------------------------------------


def test_a_retried_write_with_the_same_key_is_done_once(org, admin_api, manager):
    wave, std = make_wave(org), make_standard(org, "GREET")
    body = _action(org, wave, std, manager)
    first = admin_api.post(
        u(org, "action_items"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    again = admin_api.post(
        u(org, "action_items"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert ActionItem.objects.count() == 1
    # Another key is another write.
    admin_api.post(u(org, "action_items"), body, format="json", HTTP_IDEMPOTENCY_KEY="abc-2")
    assert ActionItem.objects.count() == 2


def test_a_key_reused_for_another_body_is_refused(org, admin_api, manager):
    wave, std = make_wave(org), make_standard(org, "GREET")
    admin_api.post(
        u(org, "action_items"),
        _action(org, wave, std, manager),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    other = admin_api.post(
        u(org, "action_items"),
        _action(org, wave, std, manager, title="B"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert ActionItem.objects.count() == 1


def test_a_refused_write_keeps_nothing_so_the_key_can_be_used_again(org, admin_api, manager):
    wave, std = make_wave(org), make_standard(org, "GREET")
    bad = admin_api.post(
        u(org, "action_items"),
        _action(org, wave, std, manager, owner="x@y.z"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert bad.status_code == 400
    assert not IdempotentRequest.objects.exists()


def test_keys_are_per_token(org, admin_api, program_admin, manager):
    wave, std = make_wave(org), make_standard(org, "GREET")
    body = _action(org, wave, std, manager)
    other = api_client(bearer(program_admin, org, "second"))
    for client in (admin_api, other):
        client.post(u(org, "action_items"), body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert ActionItem.objects.count() == 2


def test_a_bad_key_is_refused(org, admin_api):
    response = admin_api.post(u(org, "contacts"), {}, format="json", HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"


# -- rate limit ----------------------------------------------------------------------------------


def test_the_rate_limit_counts_the_token_not_the_address(org, program_admin, settings):
    settings.CXAUDIT_API_RATE = 3
    first, second = (api_client(bearer(program_admin, org, n)) for n in ("a", "b"))
    url = u(org, "waves")
    assert [first.get(url).status_code for _ in range(3)] == [200, 200, 200]
    refused = first.get(url)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= settings.CXAUDIT_API_RATE_WINDOW
    # Same address, another token: its own count.
    assert second.get(url).status_code == 200


def test_an_oversized_body_is_refused_before_it_is_read(org, admin_api):
    response = admin_api.post(
        u(org, "contacts"),
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(26 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_retried_upload_with_the_same_key_is_imported_once(org, location, admin_api, sent_tasks):
    customer_survey(org)
    csv = b"source,location,wave,submitted_at,sat\ncustomer,,,2026-07-04,5\n"

    def post(content: bytes):
        upload = SimpleUploadedFile("r.csv", content, content_type="text/csv")
        return admin_api.post(
            u(org, "response_imports"),
            {"survey": "cust", "file": upload},
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = post(csv), post(csv)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert post(csv + b"customer,,,2026-07-05,4\n").status_code == 422
