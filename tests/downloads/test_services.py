"""Export contents and the export service (small at once, large as a job)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cxaudit.accounts.scope import LocationScope
from cxaudit.downloads import services
from cxaudit.downloads.kinds import KINDS, Table, column_map, pivot_rows_portable, response_rows
from cxaudit.downloads.models import ExportJob
from cxaudit.errors import DomainError
from surveys.models import Response
from surveys.responses.services import record_response
from tests.factories import make_survey, make_wave

from .conftest import export

pytestmark = pytest.mark.django_db

SIMPLE = [
    {
        "title": "Desk",
        "questions": [
            {"code": "greet", "type": "yes_no", "points": 1},
            {"code": "smile", "type": "yes_no", "points": 1},
        ],
    },
    {
        "title": "Close",
        "questions": [
            {"code": "thanks", "type": "yes_no", "points": 1},
            {
                "code": "extras",
                "type": "multi_choice",
                "required": False,
                "points": 0,
                "config": {
                    "options": [{"value": "tea", "points": 0}, {"value": "cake", "points": 0}]
                },
            },
        ],
    },
]


def simple(org, location, n: int = 1, wave=None):
    survey = make_survey(org, SIMPLE, code="simple")
    for i in range(n):
        record_response(
            survey=survey,
            source="shopper",
            raw_answers={
                "greet": "yes",
                "smile": "no",
                "thanks": "yes" if i % 2 else "no",
                "extras": "tea;cake",
            },
            location=location,
            wave=wave,
            respondent_ref=f"r{i}",
        )
    return survey


def test_responses_export_has_one_column_per_question_and_hand_computed_scores(org, location):
    wave = make_wave(org, "2026 Q3")
    simple(org, location, n=1, wave=wave)
    rows = export(org, "responses", "csv", survey="simple")
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[-4:] == ["greet", "smile", "thanks", "extras"]
    assert header[14:16] == ["section: Desk", "section: Close"]
    assert (row["survey"], row["version"], row["source"]) == ("simple", "1", "shopper")
    assert (row["location"], row["location_name"], row["wave"]) == ("KGX", "Kingsbridge", "2026 Q3")
    # greet yes, smile no: 1 of 2 in Desk; thanks no: 0 of 1 in Close; pooled 1 of 3.
    assert float(row["section: Desk"]) == 50.0
    assert float(row["section: Close"]) == 0.0
    assert (float(row["score_earned"]), float(row["score_possible"])) == (1.0, 3.0)
    assert float(row["score_percent"]) == pytest.approx(100 / 3)
    assert (row["greet"], row["smile"], row["thanks"]) == ("true", "false", "false")
    assert row["extras"] == "tea; cake"  # read back by the responses CSV import
    assert row["respondent"] == "r0"


def test_xlsx_keeps_numbers_and_moments_typed(org, location):
    survey = make_survey(
        org,
        [{"title": "S", "questions": [{"code": "wait", "type": "number", "points": 0}]}],
        code="num",
    )
    record_response(survey=survey, source="customer", raw_answers={"wait": "4.5"})
    rows = export(org, "responses", "xlsx", survey="num")
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["wait"] == 4.5
    assert row["submitted_at"].year >= 2026


def test_postgresql_pivot_and_portable_merge_give_the_same_rows(org, location, monkeypatch):
    survey = simple(org, location, n=4)
    cmap = column_map(org, "simple")
    qs = Response.objects.filter(survey=survey).submitted()
    req = services.resolve(
        scope=LocationScope(org),
        kind=KINDS["responses"],
        fmt="csv",
        filters=services.Filters(survey="simple"),
    )
    fast = list(response_rows(req, cmap, qs))
    import cxaudit.downloads.kinds.responses as responses

    assert responses.pivot_rows_postgresql is not pivot_rows_portable
    original = responses.pivot_rows_postgresql
    responses.pivot_rows_postgresql = pivot_rows_portable
    try:
        portable = list(response_rows(req, cmap, qs))
    finally:
        responses.pivot_rows_postgresql = original
    assert [r[:1] + r[2:] for r in fast] == [r[:1] + r[2:] for r in portable]
    assert len(fast) == 4


def _table(org, kind: str, **filters) -> Table:
    req = services.resolve(
        scope=LocationScope(org),
        kind=KINDS[kind],
        fmt="csv",
        filters=services.Filters(**filters),
    )
    return KINDS[kind].build(req)


@pytest.mark.parametrize("kind", ["responses", "answers", "shops"])
def test_the_export_loop_runs_a_constant_number_of_queries(
    org, location, data, kind, django_assert_max_num_queries
):
    filters = {"survey": "visit"} if kind in ("responses", "answers") else {}
    table = _table(org, kind, **filters)
    with CaptureQueriesContext(connection) as few:
        before = len(list(table.rows()))
    assert len(few) <= 1  # one server-side cursor
    for i in range(4):
        record_more(org, location, data, i)
    table = _table(org, kind, **filters)
    # Many more rows, the same queries: no query per row.
    with django_assert_max_num_queries(len(few)):
        after = len(list(table.rows()))
    assert after > before


def record_more(org, location, data, i: int) -> None:
    from shoppers.models import Assignment

    for j in range(5):
        response = record_response(
            survey=data["survey"],
            source="shopper",
            raw_answers={"greet": "no", "wait": "3", "extras": "tea", "note": f"n{i}{j}"},
            location=location,
            wave=data["wave"],
        )
        shop = data["shop"]
        Assignment.objects.create(
            organization=org,
            scenario=shop.scenario,
            location=location,
            wave=shop.wave,
            window_start=shop.window_start,
            window_end=shop.window_end,
            deadline=shop.deadline,
            status="submitted",
            shopper=shop.shopper,
            response=response,
            fee=shop.fee,
        )


def test_a_small_export_is_returned_to_stream_at_once(org, location, program_admin, sent_tasks):
    simple(org, location, n=3)
    result = services.request_export(
        scope=LocationScope(org),
        user=program_admin,
        kind=KINDS["responses"],
        fmt="csv",
        filters=services.Filters(survey="simple"),
    )
    assert isinstance(result, Table)
    assert not ExportJob.objects.exists() and sent_tasks == []


def test_a_large_export_becomes_a_queued_job(
    org, location, program_admin, sent_tasks, settings, django_capture_on_commit_callbacks
):
    settings.CXAUDIT_EXPORT_INLINE_ROWS = 2
    simple(org, location, n=3)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.request_export(
            scope=LocationScope(org, frozenset({location.pk})),
            user=program_admin,
            kind=KINDS["responses"],
            fmt="xlsx",
            filters=services.Filters(survey="simple"),
        )
    assert isinstance(job, ExportJob)
    # The worker counts the rows; the request only saw that there are more than allowed now.
    assert (job.state, job.rows_total, job.format, job.kind) == ("queued", 0, "xlsx", "responses")
    assert job.location_ids == [location.pk]
    assert job.filters == {"survey": "simple"}
    assert "survey simple" in job.description and "your locations only" in job.description
    assert [(t.name, t.args) for t in sent_tasks] == [("downloads.run_export", [job.pk])]


@pytest.mark.parametrize(
    ("kind", "filters", "field"),
    [
        ("responses", {}, "survey"),
        ("responses", {"survey": "nope"}, "survey"),
        ("campaign", {}, "campaign"),
        ("shops", {"wave": 999999}, "wave"),
        ("shops", {"location": 999999}, "location"),
    ],
)
def test_bad_filters_name_the_field(org, program_admin, kind, filters, field):
    with pytest.raises(DomainError) as err:
        services.request_export(
            scope=LocationScope(org),
            user=program_admin,
            kind=KINDS[kind],
            fmt="csv",
            filters=services.Filters(**filters),
        )
    assert err.value.field == field


def test_another_organisations_wave_or_location_is_refused(org, other_org, other_location):
    other_wave = make_wave(other_org, "X")
    for filters in ({"wave": other_wave.pk}, {"location": other_location.pk}):
        with pytest.raises(DomainError):
            services.resolve(
                scope=LocationScope(org),
                kind=KINDS["shops"],
                fmt="csv",
                filters=services.Filters(**filters),
            )


def test_a_location_limit_leaves_other_locations_out(org, inside, outside):
    survey = make_survey(org, SIMPLE, code="simple")
    for loc in (inside, outside):
        record_response(
            survey=survey,
            source="shopper",
            location=loc,
            raw_answers={"greet": "yes", "smile": "yes", "thanks": "yes"},
        )
    rows = export(org, "responses", "csv", survey="simple", location_ids=frozenset({inside.pk}))
    assert [r[4] for r in rows[1:]] == ["LIM-IN"]
    rows = export(org, "answers", "csv", survey="simple", location_ids=frozenset({inside.pk}))
    assert {r[4] for r in rows[1:]} == {"LIM-IN"}
