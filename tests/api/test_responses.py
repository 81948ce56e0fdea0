"""The responses endpoint: cursor pages, filters, answers, bad input, and a constant number of
queries for a page of 50 or 500 responses with their answers."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surveys.models import Response
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import count_response, record_many, record_response
from tests.api.conftest import api_client, bearer
from tests.factories import make_wave
from tests.outreach.helpers import customer_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(org, program_admin):
    return api_client(bearer(program_admin, org))


def url(org) -> str:
    return reverse("api:responses", args=[org.slug])


def add_responses(org, n: int, *, location=None, wave=None) -> list[Response]:
    survey = customer_survey(org)
    items = [
        (
            uuid.uuid4(),
            {
                "raw_answers": {"sat": 1 + i % 5, "nps": i % 11, "why": f"note {i}"},
                "location": location,
                "wave": wave,
                "submitted_at": timezone.now(),
            },
        )
        for i in range(n)
    ]
    return record_many(items, load_structure(survey), source="customer")


def test_a_response_comes_with_its_answers(org, location, admin_api):
    wave = make_wave(org)
    survey = customer_survey(org)
    r = record_response(
        survey=survey,
        source="customer",
        raw_answers={"sat": 4, "why": "ok"},
        location=location,
        wave=wave,
        respondent_ref="crm-17",
    )
    body = admin_api.get(url(org)).json()
    assert body["next"] is None
    [row] = body["results"]
    assert row["id"] == r.pk
    assert row["client_id"] == str(r.client_id)
    assert (row["survey"], row["survey_code"], row["source"]) == (survey.pk, "cust", "customer")
    assert (row["location"], row["wave"], row["respondent_ref"]) == (location.pk, wave.pk, "crm-17")
    answers = {a["question"]: a for a in row["answers"]}
    assert set(answers) == {"sat", "why"}
    # CSAT 4 on 1–5 is (4 − 1) / (5 − 1) = 75 on the common scale.
    assert answers["sat"] == {
        "question": "sat",
        "value": 4,
        "is_na": False,
        "value_num": 4.0,
        "value_100": 75.0,
    }
    assert answers["why"]["value"] == "ok"


def test_pages_follow_each_other_without_gaps_or_repeats(org, admin_api):
    made = add_responses(org, 7)
    seen, pages, next_url = [], 0, url(org) + "?limit=3"
    while next_url:
        body = admin_api.get(next_url).json()
        seen += [r["id"] for r in body["results"]]
        next_url, pages = body["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(r.pk for r in made) and len(seen) == 7


def test_a_response_changed_after_a_sync_comes_again_in_the_next_sync(org, admin_api):
    """A client syncs with updated_since; a shop approved later (it now counts) shows up."""
    [early] = add_responses(org, 1)
    mark = timezone.now()
    assert admin_api.get(url(org), {"updated_since": mark.isoformat()}).json()["results"] == []
    Response.objects.filter(pk=early.pk).update(counted=False)
    count_response(response=Response.objects.get(pk=early.pk))
    rows = admin_api.get(url(org), {"updated_since": mark.isoformat()}).json()["results"]
    assert [r["id"] for r in rows] == [early.pk]


def test_filters_by_wave_location_and_survey(org, location, admin_api):
    wave = make_wave(org)
    [a] = add_responses(org, 1, location=location, wave=wave)
    add_responses(org, 2)
    survey = customer_survey(org)
    for query in ({"wave": wave.pk}, {"location": location.pk}):
        assert [r["id"] for r in admin_api.get(url(org), query).json()["results"]] == [a.pk]
    assert len(admin_api.get(url(org), {"survey": survey.pk}).json()["results"]) == 3
    assert len(admin_api.get(url(org), {"survey_code": "cust"}).json()["results"]) == 3
    assert admin_api.get(url(org), {"survey_code": "nope"}).json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field", "reason"),
    [
        ({"wave": "abc"}, "wave", "an id (a whole number)"),
        ({"wave": "999999"}, "wave", "no wave 999999 that you can see in this organisation"),
        ({"location": "-1"}, "location", "an id (a whole number)"),
        ({"survey": "12345678901234"}, "survey", "an id (a whole number)"),
        (
            {"updated_since": "yesterday"},
            "updated_since",
            "a date-time as ISO 8601 (2026-07-01T09:00:00Z)",
        ),
        (
            {"updated_since": "2026-07-01T09:00:00"},
            "updated_since",
            "give the time zone (Z or +01:00)",
        ),
        (
            {"updated_since": "2026-13-45"},
            "updated_since",
            "a date-time as ISO 8601 (2026-07-01T09:00:00Z)",
        ),
        ({"limit": "0"}, "limit", "a whole number from 1 to 500"),
        ({"limit": "501"}, "limit", "a whole number from 1 to 500"),
        ({"limit": "٣"}, "limit", "a whole number from 1 to 500"),
        ({"cursor": "not-a-cursor"}, "cursor", "not a cursor this API gave (use `next` as it is)"),
        (
            {"cursor": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ"},
            "cursor",
            "not a cursor this API gave (use `next` as it is)",
        ),
    ],
)
def test_bad_filters_say_which_field_and_why(org, admin_api, query, field, reason):
    response = admin_api.get(url(org), query)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request is not valid.",
        "code": "invalid",
        "errors": [{"field": field, "reason": reason}],
    }


def test_a_wave_of_another_organisation_is_not_a_filter(org, other_org, admin_api):
    theirs = make_wave(other_org)
    response = admin_api.get(url(org), {"wave": theirs.pk})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "wave"


def test_a_date_alone_means_its_midnight_utc(org, admin_api):
    add_responses(org, 2)
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    assert admin_api.get(url(org), {"updated_since": tomorrow}).json()["results"] == []
    assert len(admin_api.get(url(org), {"updated_since": "2020-01-01"}).json()["results"]) == 2


def _page_queries(client, org) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(org), {"limit": 500})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["results"])


def test_a_page_of_500_responses_costs_as_many_queries_as_a_page_of_50(
    org, location, admin_api, django_assert_max_num_queries
):
    add_responses(org, 50, location=location)
    small, n = _page_queries(admin_api, org)
    assert n == 50
    add_responses(org, 450, location=location)
    with django_assert_max_num_queries(small):
        response = admin_api.get(url(org), {"limit": 500})
    body = response.json()
    assert len(body["results"]) == 500 and body["next"] is None
    assert sum(len(r["answers"]) for r in body["results"]) == 1500
    # Token, membership, last-use and rate limit, then the page and its answers: a handful.
    assert small <= 8


def test_a_limited_managers_page_costs_the_same_too(
    org, inside, limited_manager, django_assert_max_num_queries
):
    client = api_client(bearer(limited_manager, org))
    add_responses(org, 50, location=inside)
    small, _ = _page_queries(client, org)
    add_responses(org, 450, location=inside)
    with django_assert_max_num_queries(small):
        assert len(client.get(url(org), {"limit": 500}).json()["results"]) == 500
