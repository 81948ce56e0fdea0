"""Class 2 of the hostile-input issue: no import format or form answers bad input with a 500 or
a traceback. Property-based: every import format (journey JSON, survey JSON, locations CSV,
responses CSV, KPI CSV) is fed a valid file with one value replaced by a hostile one (huge,
tiny and non-finite numbers, very long text, NUL and other control characters, odd encodings,
duplicate and unknown columns); each example either imports cleanly or is refused with the
field and reason, and a refused file writes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxaudit.accounts.models import Location
from cxaudit.accounts.services import import_locations
from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.journeys.definition import import_journeys
from cxaudit.journeys.models import Journey
from surveys.models import Survey

pytestmark = pytest.mark.django_db

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.just("x" * 100_000),
    st.just("\x00"),
    st.just("a\x00b"),
    st.sampled_from(
        ["\u202e", "\ufeff", "\r\n", "\t=1+1", "=cmd|'/c calc'!A0", "<script>x</script>", "💥" * 50]
    ),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=5),
)
HOSTILE_NUMBER_LITERALS = st.sampled_from(
    [
        "1e9999999999999999999",
        "-1e9999999999999999999",
        "1e-999999",
        "1e308",
        "-0",
        "0.0000000000001",
        "123456789012345678901234567890",
        "1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        "1.5",
        "-3",
    ]
)
JSON_VALUES = st.one_of(
    HOSTILE_TEXT,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


class _Rollback(Exception):
    pass


def in_savepoint(fn):
    """Run one example in a savepoint rolled back afterwards, so that examples do not see each
    other; returns what `fn` returned or raised."""
    try:
        with transaction.atomic():
            outcome = fn()
            raise _Rollback(outcome)
    except _Rollback as done:
        return done.args[0]


def leaves(value: Any, path=()):
    """Every (path, leaf) of a JSON document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))
    else:
        yield path, value


def replaced(document: Any, path, new: Any) -> Any:
    doc = copy.deepcopy(document)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return doc


def with_literal(document: Any, path, literal: str) -> str:
    """The document as text with the leaf at `path` written as a raw number literal."""
    marker = "__HOSTILE_NUMBER__"
    return json.dumps(replaced(document, path, marker)).replace(f'"{marker}"', literal)


def refused_cleanly(run, count) -> None:
    before = count()
    try:
        in_savepoint(run)
    except (ValidationFailed, DomainError) as exc:
        message = exc.message
        assert message and "Traceback" not in message
        for where, why in getattr(exc, "errors", []):
            assert isinstance(where, str) and isinstance(why, str) and why
        assert count() == before, "a refused file wrote something"


# --- journey JSON ------------------------------------------------------------------------------


def journey_doc() -> dict:
    from tests.journeys.test_definition import doc

    return doc()


JOURNEY_PATHS = [p for p, _ in leaves(journey_doc())]


@PROPERTY
@given(path=st.sampled_from(JOURNEY_PATHS), value=JSON_VALUES)
def test_journey_json_with_a_hostile_value(org, path, value):
    data = json.dumps(replaced(journey_doc(), path, value))
    refused_cleanly(lambda: import_journeys(organization=org, data=data), Journey.objects.count)


@PROPERTY
@given(path=st.sampled_from(JOURNEY_PATHS), literal=HOSTILE_NUMBER_LITERALS)
def test_journey_json_with_a_hostile_number_literal(org, path, literal):
    data = with_literal(journey_doc(), path, literal)
    refused_cleanly(lambda: import_journeys(organization=org, data=data), Journey.objects.count)


@PROPERTY
@given(raw=st.binary(max_size=200))
def test_journey_json_of_random_bytes(org, raw):
    refused_cleanly(lambda: import_journeys(organization=org, data=raw), Journey.objects.count)


# --- survey JSON -------------------------------------------------------------------------------


def survey_doc() -> dict:
    from tests.surveys.definition_example import example

    return example()


SURVEY_PATHS = [p for p, _ in leaves(survey_doc())]


@pytest.fixture
def standards(org):
    from tests.surveys.definition_example import example_standards

    example_standards(org)


@PROPERTY
@given(path=st.sampled_from(SURVEY_PATHS), value=JSON_VALUES)
def test_survey_json_with_a_hostile_value(org, standards, path, value):
    from surveys.questionnaire.definition import import_definition

    data = json.dumps(replaced(survey_doc(), path, value))
    refused_cleanly(lambda: import_definition(organization=org, data=data), Survey.objects.count)


@PROPERTY
@given(path=st.sampled_from(SURVEY_PATHS), literal=HOSTILE_NUMBER_LITERALS)
def test_survey_json_with_a_hostile_number_literal(org, standards, path, literal):
    from surveys.questionnaire.definition import import_definition

    data = with_literal(survey_doc(), path, literal)
    refused_cleanly(lambda: import_definition(organization=org, data=data), Survey.objects.count)


# --- CSV formats -------------------------------------------------------------------------------

CELL = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER_LITERALS, st.just(""), st.just('"unbalanced'))
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


LOCATION_HEADER = ["code", "name", "kind", "region", "address"]


@PROPERTY
@given(
    column=st.integers(min_value=0, max_value=4),
    cell=CELL,
    extra_header=st.sampled_from([None, "code", "unknown", "", "=x"]),
    encoding=ENCODINGS,
)
def test_locations_csv_with_a_hostile_cell(org, column, cell, extra_header, encoding):
    row = ["L1", "Name", "branch", "North", "1 Street"]
    row[column] = cell
    header = list(LOCATION_HEADER)
    if extra_header is not None:
        header.append(extra_header)
        row.append("v")
    data = encoded(csv_text(header, [row]), encoding)
    refused_cleanly(
        lambda: import_locations(organization=org, data=data),
        lambda: Location.objects.filter(organization=org).count(),
    )


@PROPERTY
@given(
    row=st.integers(min_value=0, max_value=2),
    column=st.integers(min_value=0, max_value=14),
    cell=CELL,
    extra_header=st.sampled_from([None, "greet", "unknown", "", "=x"]),
    encoding=ENCODINGS,
)
def test_responses_csv_with_a_hostile_cell(
    org, row, column, cell, extra_header, encoding, tmp_path
):
    import csv
    import io

    from django.core.files.base import ContentFile

    from surveys.imports import services as imports
    from surveys.models import Response
    from tests.surveys.import_helpers import GOOD_ROWS, HEADER, make_import_context

    def run():
        make_import_context(org)
        header = HEADER.split(",")
        rows = [list(r) for r in csv.reader(io.StringIO("\n".join(GOOD_ROWS)))]
        rows[row][column] = cell
        if extra_header is not None:
            header.append(extra_header)
            for r in rows:
                r.append("v")
        data = encoded(csv_text(header, rows), encoding)
        try:
            imp = imports.create_import(
                organization=org,
                survey_code="visit",
                uploaded_by=None,
                file=ContentFile(data, name="r.csv"),
                enqueue=False,
            )
        except DomainError:
            return "refused at upload"
        result = imports.run_import(import_id=imp.pk)
        assert result.status in ("succeeded", "failed")
        if result.status == "failed":
            assert result.errors and Response.objects.filter(organization=org).count() == 0
            for e in result.errors:
                assert set(e) == {"line", "column", "reason"} and e["reason"]
        return result.status

    in_savepoint(run)


@PROPERTY
@given(
    column=st.integers(min_value=0, max_value=3),
    cell=CELL,
    extra_header=st.sampled_from([None, "value", "unknown", ""]),
    encoding=ENCODINGS,
)
def test_kpi_csv_with_a_hostile_cell(org, location, column, cell, extra_header, encoding):
    from cxaudit.insights.kpis.models import Kpi, KpiValue
    from cxaudit.insights.kpis.services import import_kpi_values
    from tests.factories import make_wave

    def run():
        Kpi.objects.create(organization=org, code="FCR", name="FCR")
        make_wave(org, "2026 Q3")
        row = ["FCR", location.code, "2026 Q3", "71.5"]
        row[column] = cell
        header = ["kpi", "location", "wave", "value"]
        if extra_header is not None:
            header.append(extra_header)
            row.append("v")
        data = encoded(csv_text(header, [row]), encoding)
        try:
            import_kpi_values(organization=org, data=data)
        except ValidationFailed as exc:
            assert exc.errors and KpiValue.objects.count() == 0
        return True

    in_savepoint(run)


# --- management commands -----------------------------------------------------------------------

COMMANDS = [
    ("create_org", ["{v}", "Name"]),
    ("create_org", ["fine-slug", "{v}"]),
    ("gap_report", ["--org", "{v}"]),
    ("gap_report", ["--org", "acme-rail", "--wave", "{v}"]),
    ("gap_report", ["--org", "acme-rail", "--location", "{v}"]),
    ("export_journey", ["--org", "{v}"]),
    ("import_journey", ["{file}", "--org", "{v}"]),
    ("import_survey", ["{file}", "--org", "{v}"]),
    ("import_kpis", ["{file}", "--org", "{v}"]),
    ("import_responses", ["{file}", "--org", "{v}", "--survey", "x"]),
    ("import_responses", ["{file}", "--org", "acme-rail", "--survey", "{v}"]),
    ("rescore", ["--survey", "1", "--wave", "{v}"]),
]


@pytest.mark.parametrize(("command", "argv"), COMMANDS)
@pytest.mark.parametrize("value", ["a\x00b", "\udcff", "x\x1b[2Jy"])
def test_a_command_refuses_a_hostile_argument_with_a_message(org, tmp_path, command, argv, value):
    """Bytes that are not UTF-8 on the command line reach Python as lone surrogates ("\\udcff");
    before, they answered with a UnicodeEncodeError traceback from the database."""
    from django.core.management import CommandError, call_command

    path = tmp_path / "input.csv"
    path.write_text("{}")
    args = [a.format(v=value, file=path) for a in argv]
    with pytest.raises(CommandError):
        call_command(command, *args)


def test_every_command_with_arguments_applies_the_text_rules():
    from django.core.management import get_commands, load_command_class

    from cxaudit.commands import TextRulesCommand

    ours = {
        name: app
        for name, app in get_commands().items()
        if app.startswith(("cxaudit", "surveys", "shoppers"))
    }
    assert "gap_report" in ours
    for name, app in ours.items():
        command = load_command_class(app, name)
        if name != "seed_demo":  # takes no argument
            assert isinstance(command, TextRulesCommand), name
