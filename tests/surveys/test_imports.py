"""The responses CSV import service: all or nothing, every problem named, scored like a form,
idempotent, with progress."""

from __future__ import annotations

import pytest
from django.db import connections
from django.utils import timezone

from cxaudit.errors import DomainError
from surveys.imports import services as imports
from surveys.imports.rows import MAX_BYTES
from surveys.models import Answer, Response, ResponseImport
from surveys.questionnaire.structure import load_structure
from surveys.responses.services import record_response
from tests.conftest import SentTask
from tests.surveys.import_helpers import (  # noqa: F401 (media_root is a fixture)
    GOOD_ROWS,
    HEADER,
    csv_file,
    make_import_context,
    media_root,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def survey(org, manager):
    return make_import_context(org)


def _run(org, lines, *, bom=False, user=None) -> ResponseImport:
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=user,
        file=csv_file(lines, bom=bom),
        enqueue=False,
    )
    result = imports.run_import(import_id=imp.pk)
    assert result is not None
    return result


def _errors(imp: ResponseImport) -> set[tuple]:
    return {(e["line"], e["column"], e["reason"]) for e in imp.errors}


def test_good_file_imports_every_row_scored_like_record_response(org, survey, manager):
    imp = _run(org, [HEADER, *GOOD_ROWS])
    assert imp.status == ResponseImport.Status.SUCCEEDED, imp.errors
    assert imp.imported_count == 3 and imp.processed_rows == imp.total_rows == 3
    assert imp.progress_percent == 100

    imported = list(Response.objects.filter(survey=survey).order_by("submitted_at"))
    assert [r.client_id for r in imported] == [
        imports.response_client_id(imp.pk, line) for line in (2, 3, 4)
    ]
    third = imported[2]
    assert third.respondent == manager and third.respondent_ref == "manager@acme.test"
    assert third.wave.name == "2026 Q3" and third.location.code == "MAN"
    # Naive times are read in the site's time zone (Europe/London, BST in July).
    assert timezone.localtime(imported[1].submitted_at).isoformat() == "2026-07-04T09:00:00+01:00"

    # The same rows through the form engine's path give identical stored data.
    header = HEADER.split(",")
    for row, response in zip(GOOD_ROWS, imported, strict=True):
        import csv

        cells = dict(zip(header, next(csv.reader([row])), strict=True))
        reference = record_response(
            survey=survey,
            source=response.source,
            raw_answers={k: v for k, v in cells.items() if k in survey_codes(survey)},
            location=response.location,
            wave=response.wave,
            respondent=response.respondent,
            respondent_ref=response.respondent_ref,
            submitted_at=response.submitted_at,
        )
        for field in (
            "status",
            "score_earned",
            "score_possible",
            "score_percent",
            "knocked_out",
            "score_detail",
            "submitted_at",
        ):
            assert getattr(response, field) == getattr(reference, field), field
        assert _answers(response) == _answers(reference)


def survey_codes(survey):
    return set(survey.questions.values_list("code", flat=True))


def _answers(response):
    return list(
        Answer.objects.filter(response=response)
        .order_by("question__code")
        .values(
            "question__code",
            "organization",
            "standard",
            "aspect",
            "source",
            "wave",
            "location",
            "submitted_at",
            "value",
            "is_na",
            "value_num",
            "value_100",
            "agrees",
        )
    )


def test_every_bad_row_is_named_and_nothing_is_imported(org, survey):
    rows = [
        HEADER,
        GOOD_ROWS[0],
        "robot,XXX,1999 Q1,yesterday,,yes,,no,,,,,,,",  # line 3: source, location, wave, time
        "shopper,KGX,2026 Q3,2026-07-03T10:00:00Z,,,maybe,yes,9,desk_z,tea,1,5,nps,",  # line 4
        "shopper,KGX,2026 Q3,2999-01-01T00:00:00Z,,yes,,no,3,,,,,,",  # line 5: future, hidden
        "shopper,KGX,2026 Q3,2026-07-03T10:00:00Z,,yes,,yes,,,,,,,",  # line 6: required speed
        "shopper,KGX,2026 Q3",  # line 7: short row
    ]
    imp = _run(org, rows)
    assert imp.status == ResponseImport.Status.FAILED and imp.imported_count == 0
    found = _errors(imp)
    columns = {(line, column) for line, column, _ in found}
    assert {
        (3, "source"),
        (3, "location"),
        (3, "wave"),
        (3, "submitted_at"),
        (4, "greet"),
        (4, "clean"),
        (4, "speed"),
        (4, "desk"),
        (4, "extras"),
        (4, "visit_time"),
        (4, "nps"),
        (5, "submitted_at"),
        (5, "speed"),
        (6, "speed"),
        (7, ""),
    } == columns
    reasons = {(line, column): reason for line, column, reason in found}
    assert "unknown source 'robot'" in reasons[3, "source"]
    assert "no location with code 'XXX'" in reasons[3, "location"]
    assert "no wave named '1999 Q1'" in reasons[3, "wave"]
    assert "ISO 8601" in reasons[3, "submitted_at"]
    assert reasons[4, "greet"] == "an answer is required"
    assert "out of range" in reasons[4, "speed"]
    assert "unknown option 'desk_z'" in reasons[4, "desk"]
    assert reasons[5, "submitted_at"] == "in the future"
    assert "skip logic hides" in reasons[5, "speed"]
    assert reasons[6, "speed"] == "an answer is required"
    assert "3 cells but the header has 15 columns" in reasons[7, ""]
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_na_where_the_question_does_not_allow_it_is_refused(org, survey):
    row = GOOD_ROWS[0].replace(",9,Fine", ",NA,Fine")
    imp = _run(org, [HEADER, row])
    assert _errors(imp) == {(2, "nps", "N/A is not allowed for this question")}


def test_header_problems_are_reported_on_line_1(org, survey):
    imp = _run(org, ["source,location,when,greet,greet,Q99", GOOD_ROWS[0]])
    assert imp.status == ResponseImport.Status.FAILED
    assert _errors(imp) == {
        (1, "when", "not a question code of this survey"),
        (1, "greet", "the column appears twice"),
        (1, "Q99", "not a question code of this survey"),
        (1, "wave", "required column missing"),
        (1, "submitted_at", "required column missing"),
    }


def test_missing_optional_question_columns_are_unanswered(org, survey):
    imp = _run(org, ["source,location,wave,submitted_at,greet", "self,KGX,2026 Q3,2026-07-01,y"])
    assert imp.status == ResponseImport.Status.SUCCEEDED
    assert Answer.objects.get().question.code == "greet"


def test_bom_and_semicolons_and_blank_lines_are_accepted(org, survey):
    text = (
        "source;location;wave;submitted_at;greet;comment\r\n"
        '\r\nshopper;KGX;2026 Q3;2026-07-01T10:00:00Z;yes;"two\r\nlines"\r\n'
        "\r\nshopper;KGX;2026 Q3;2026-07-01T11:00:00Z;no;\r\n"
    )
    imp = _run(org, text, bom=True)
    assert imp.status == ResponseImport.Status.SUCCEEDED, imp.errors
    assert imp.imported_count == 2
    assert Answer.objects.get(question__code="comment").value == "two\nlines"
    # Line numbers are the file's: blank lines and the two-line cell count.
    ids = {imports.response_client_id(imp.pk, line) for line in (3, 6)}
    assert set(Response.objects.values_list("client_id", flat=True)) == ids


def test_line_numbers_count_multiline_cells(org, survey):
    text = (
        "source,location,wave,submitted_at,greet,comment\n"
        'shopper,KGX,2026 Q3,2026-07-01T10:00:00Z,yes,"a\nb\nc"\n'
        "shopper,KGX,2026 Q3,2026-07-01T10:00:00Z,maybe,\n"
    )
    imp = _run(org, text)
    assert {(e["line"], e["column"]) for e in imp.errors} == {(5, "greet")}


def test_non_utf8_file_is_refused_with_its_line(org, survey):
    text = HEADER + "\n" + GOOD_ROWS[0] + "\nshopper,KGX,2026 Q3,2026-07-01,,yes,,,,,,,,,Caf\xe9\n"
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([]).__class__("r.csv", text.encode("latin-1")),
        enqueue=False,
    )
    imp = imports.run_import(import_id=imp.pk)
    assert imp.status == ResponseImport.Status.FAILED
    [error] = imp.errors
    assert error["line"] == 3 and "not UTF-8" in error["reason"]


def test_file_over_the_size_limit_is_refused(org, survey):
    big = csv_file(HEADER + "\n" + "x" * MAX_BYTES)
    with pytest.raises(DomainError, match="the limit is 20 MB"):
        imports.create_import(organization=org, survey_code="visit", uploaded_by=None, file=big)
    assert not ResponseImport.objects.exists()


def test_unknown_or_unpublished_survey_code_is_refused(org, survey):
    with pytest.raises(DomainError, match="No published survey with code 'nope'"):
        imports.create_import(
            organization=org, survey_code="nope", uploaded_by=None, file=csv_file([HEADER])
        )


def test_the_same_file_cannot_be_imported_twice(org, survey):
    _run(org, [HEADER, *GOOD_ROWS])
    with pytest.raises(DomainError, match="already uploaded"):
        _run(org, [HEADER, *GOOD_ROWS])
    assert Response.objects.count() == 3


def test_a_rejected_file_can_be_uploaded_again_once_fixed(org, survey):
    assert _run(org, [HEADER, GOOD_ROWS[0] + ",extra"]).status == "failed"
    assert _run(org, [HEADER, GOOD_ROWS[0] + ",extra"]).status == "failed"
    assert _run(org, [HEADER, GOOD_ROWS[0]]).status == "succeeded"


def test_running_an_import_twice_imports_once(org, survey):
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, *GOOD_ROWS]),
        enqueue=False,
    )
    assert imports.run_import(import_id=imp.pk).imported_count == 3
    assert imports.run_import(import_id=imp.pk) is None
    # Even a job put back to pending (a redelivered message after a crash) cannot duplicate:
    # the client ids are derived from (import, line).
    ResponseImport.objects.filter(pk=imp.pk).update(status="pending")
    with pytest.raises(Exception):  # noqa: B017 - the unique index refuses the second copy
        imports.run_import(import_id=imp.pk)
    assert Response.objects.count() == 3


def test_a_worker_that_lost_its_lease_writes_nothing(org, survey):
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, *GOOD_ROWS]),
        enqueue=False,
    )
    claimed = imports.claim_import(import_id=imp.pk)
    # The sweeper took the job for dead and another worker claimed it meanwhile.
    ResponseImport.objects.filter(pk=imp.pk).update(attempt=claimed.attempt + 1)
    with pytest.raises(imports.LeaseLost):
        imports._write(
            claimed,
            load_structure(claimed.survey),
            imports._read(claimed),
            imports._Reporter(claimed, None),
        )
    assert not Response.objects.exists()


def test_a_worker_beaten_by_its_successor_stands_down(org, survey, monkeypatch):
    """The job was taken over and the new owner committed first: the old worker's inserts hit
    the unique client ids, and it leaves the finished job alone."""
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, *GOOD_ROWS]),
        enqueue=False,
    )
    stale = imports.claim_import(import_id=imp.pk)
    ResponseImport.objects.filter(pk=imp.pk).update(status="pending")
    assert imports.run_import(import_id=imp.pk).status == "succeeded"  # the successor
    # The stale worker resumes from its claim.
    monkeypatch.setattr(imports, "claim_import", lambda import_id: stale)
    assert imports.run_import(import_id=imp.pk) is None
    imp.refresh_from_db()
    assert imp.status == "succeeded" and imp.attempt == 2 and Response.objects.count() == 3


def test_progress_is_reported_as_rows_are_checked_and_written(org, survey, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_INTERVAL", 0)
    seen = []
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, *GOOD_ROWS]),
        enqueue=False,
    )
    imports.run_import(import_id=imp.pk, progress=lambda *a: seen.append(a))
    assert seen[:4] == [
        ("validating", 0, 3),
        ("validating", 1, 3),
        ("validating", 2, 3),
        (
            "validating",
            3,
            3,
        ),
    ]
    assert seen[4] == ("writing", 0, 3) and seen[-1] == ("done", 3, 3)


def test_progress_percent_runs_over_both_phases():
    imp = ResponseImport(status="running", phase="validating", total_rows=200, processed_rows=100)
    assert imp.progress_percent == 25
    imp.phase, imp.processed_rows = "writing", 100
    assert imp.progress_percent == 75
    imp.status = "succeeded"
    assert imp.progress_percent == 100


def test_sweeper_requeues_dead_workers_jobs_and_fails_repeated_crashes(
    org, survey, django_capture_on_commit_callbacks, sent_tasks
):
    old = timezone.now() - imports.STALE_AFTER * 2
    make = lambda **kw: ResponseImport.objects.create(  # noqa: E731
        organization=org, survey=survey, file="imports/x.csv", heartbeat_at=old, **kw
    )
    dead = make(status="running", attempt=1)
    lost = make(status="pending")
    crashing = make(status="running", attempt=imports.MAX_ATTEMPTS)
    fresh = make(status="running", attempt=1)
    ResponseImport.objects.filter(pk=fresh.pk).update(heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert sorted(imports.requeue_stalled_imports()) == sorted([dead.pk, lost.pk])
    assert sorted(sent_tasks, key=lambda t: t.args) == [
        SentTask("surveys.run_response_import", [pk], {}) for pk in sorted([dead.pk, lost.pk])
    ]
    dead.refresh_from_db(), crashing.refresh_from_db(), fresh.refresh_from_db()
    assert dead.status == "pending" and fresh.status == "running"
    assert crashing.status == "failed" and "stopped 3 times" in crashing.errors[0]["reason"]


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_while_writing(org, survey, monkeypatch):
    """The write phase runs in one transaction; its progress goes through a second connection
    so that the status page (another connection) sees it move."""
    if connections["default"].vendor != "postgresql":
        pytest.skip("progress during the write phase is reported on PostgreSQL only")
    monkeypatch.setattr(imports, "PROGRESS_INTERVAL", 0)
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    imp = imports.create_import(
        organization=org,
        survey_code="visit",
        uploaded_by=None,
        file=csv_file([HEADER, *GOOD_ROWS]),
        enqueue=False,
    )
    observer = connections.create_connection("default")
    imports_table = observer.ops.quote_name(ResponseImport._meta.db_table)
    responses_table = observer.ops.quote_name(Response._meta.db_table)
    seen = []

    def look(phase, done, total):
        with observer.cursor() as cursor:
            cursor.execute(
                f"SELECT phase, processed_rows, status FROM {imports_table} WHERE id = %s",  # noqa: S608
                [imp.pk],
            )
            seen.append((phase, done, cursor.fetchone()))
            cursor.execute(f"SELECT count(*) FROM {responses_table}")  # noqa: S608
            seen[-1] += cursor.fetchone()

    try:
        imports.run_import(import_id=imp.pk, progress=look)
    finally:
        observer.close()
    assert ("validating", 2, ("validating", 2, "running"), 0) in seen
    # Mid-write: progress visible, responses not yet (one transaction).
    assert ("writing", 2, ("writing", 2, "running"), 0) in seen
    assert Response.objects.count() == 3


def test_the_sweeper_runs_every_minute_in_beat():
    from cxaudit.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["surveys.requeue_stalled_imports"]
    assert entry["task"] in app.tasks and entry["schedule"] == 60.0
