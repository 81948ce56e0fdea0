import copy
import json

import pytest

from cxaudit.accounts.models import Organization
from cxaudit.errors import ValidationFailed
from cxaudit.journeys import definition
from cxaudit.journeys.demo import document as demo_document
from cxaudit.journeys.models import Journey, Standard


def doc() -> dict:
    return {
        "format": "cxaudit.journey",
        "version": 1,
        "journey": {
            "name": "Small",
            "stages": [
                {
                    "position": 1,
                    "name": "Buy",
                    "touchpoints": [
                        {
                            "position": 1,
                            "name": "Desk",
                            "channel": "in_store",
                            "standards": [
                                {
                                    "position": 1,
                                    "code": "A-1",
                                    "name": "Greets",
                                    "dimension": "empathy",
                                },
                                {
                                    "position": 2,
                                    "code": "A-2",
                                    "name": "Queue",
                                    "dimension": "responsiveness",
                                    "target": {"value": 5, "unit": "minutes", "comparator": "lte"},
                                },
                            ],
                        }
                    ],
                },
                {"position": 2, "name": "Travel"},
            ],
        },
    }


def errors_of(org, document) -> list[tuple[str, str]]:
    data = document if isinstance(document, str | bytes) else json.dumps(document)
    with pytest.raises(ValidationFailed) as exc:
        definition.import_journeys(organization=org, data=data)
    assert not Journey.objects.for_org(org).exists(), "an invalid file changed something"
    return exc.value.errors


def paths(errors) -> list[str]:
    return [p for p, _ in errors]


@pytest.mark.django_db
def test_round_trip_is_lossless(org, other_org):
    document = demo_document()
    document["journey"]["stages"][0]["name"] = "<script>alert(1)</script> & “quotes”"
    document["journey"]["stages"][0]["touchpoints"][0]["standards"][0]["target"] = {
        "value": 0.125,
        "unit": "%",
        "comparator": "gte",
    }
    (journey,) = definition.import_journeys(organization=org, data=json.dumps(document))
    exported = definition.export_journey(journey)
    assert exported == document | {"journey": exported["journey"]}
    text = definition.dumps(exported)
    (again,) = definition.import_journeys(organization=other_org, data=text)
    assert definition.dumps(definition.export_journey(again)) == text
    assert json.loads(text)["journey"]["stages"][0]["name"].startswith("<script>")


@pytest.mark.django_db
def test_export_renumbers_positions_and_accepts_comparator_symbols(org):
    d = doc()
    d["journey"]["stages"][0]["touchpoints"][0]["standards"][1]["target"]["comparator"] = "≤"
    d["journey"]["stages"].reverse()  # any order in the file; positions decide
    (journey,) = definition.import_journeys(organization=org, data=json.dumps(d))
    out = definition.export_journey(journey)["journey"]
    assert [s["name"] for s in out["stages"]] == ["Buy", "Travel"]
    assert [s["position"] for s in out["stages"]] == [1, 2]
    assert out["stages"][0]["touchpoints"][0]["standards"][1]["target"]["comparator"] == "lte"


@pytest.mark.django_db
def test_several_journeys_in_one_file(org):
    one, two = doc()["journey"], copy.deepcopy(doc()["journey"])
    for std in two["stages"][0]["touchpoints"][0]["standards"]:
        std["code"] += "b"
    data = json.dumps({"format": "cxaudit.journey", "version": 1, "journeys": [one, two]})
    assert len(definition.import_journeys(organization=org, data=data)) == 2
    assert len(definition.export_journeys(Journey.objects.for_org(org))["journeys"]) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][1]["target"].update(
                comparator="about"
            ),
            "journey.stages[0].touchpoints[0].standards[1].target.comparator",
            "unknown comparator",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][1]["target"].pop("unit"),
            "journey.stages[0].touchpoints[0].standards[1].target.unit",
            "is required",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][1]["target"].update(unit=" "),
            "journey.stages[0].touchpoints[0].standards[1].target.unit",
            "needs a unit",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0].update(channel="pigeon"),
            "journey.stages[0].touchpoints[0].channel",
            "unknown channel 'pigeon'",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][0].update(dimension="speed"),
            "journey.stages[0].touchpoints[0].standards[0].dimension",
            "unknown dimension 'speed'",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][1].update(code="A-1"),
            "journey.stages[0].touchpoints[0].standards[1].code",
            "duplicate code 'A-1'",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][0].update(code="bad code!"),
            "journey.stages[0].touchpoints[0].standards[0].code",
            "not a valid code",
        ),
        (
            lambda j: j["stages"][1].update(position=3),
            "journey.stages",
            "without gaps; missing 2",
        ),
        (
            lambda j: j["stages"][1].update(position=1),
            "journey.stages[1].position",
            "duplicate position 1",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][0].update(importance=9),
            "journey.stages[0].touchpoints[0].standards[0].importance",
            "from 1 to 5",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][1]["target"].update(value="5"),
            "journey.stages[0].touchpoints[0].standards[1].target.value",
            "must be a number",
        ),
        (
            lambda j: j["stages"][0]["touchpoints"][0]["standards"][1]["target"].update(
                value=1.0001
            ),
            "journey.stages[0].touchpoints[0].standards[1].target.value",
            "3 decimal places",
        ),
        (lambda j: j.update(name=""), "journey.name", "must not be empty"),
        (lambda j: j.update(name="x" * 201), "journey.name", "the limit is 200"),
        (lambda j: j.update(colour="red"), "journey.colour", "unknown key"),
        (lambda j: j["stages"][0].pop("name"), "journey.stages[0].name", "is required"),
        (lambda j: j.update(stages={}), "journey.stages", "must be a list"),
        (
            lambda j: j["stages"][0]["touchpoints"][0].update(moment_that_matters="yes"),
            "journey.stages[0].touchpoints[0].moment_that_matters",
            "true or false",
        ),
    ],
)
def test_each_validation_error_names_its_path(org, mutate, path, reason):
    d = doc()
    mutate(d["journey"])
    errors = errors_of(org, d)
    assert any(p == path and reason in r for p, r in errors), errors


@pytest.mark.django_db
def test_codes_already_used_in_the_organisation_are_refused(org):
    definition.import_journeys(organization=org, data=json.dumps(doc()))
    with pytest.raises(ValidationFailed) as exc:
        definition.import_journeys(organization=org, data=json.dumps(doc()))
    assert paths(exc.value.errors) == [
        "journey.stages[0].touchpoints[0].standards[0].code",
        "journey.stages[0].touchpoints[0].standards[1].code",
    ]
    assert "already used in this organisation" in exc.value.errors[0][1]
    assert Journey.objects.for_org(org).count() == 1


@pytest.mark.django_db
def test_codes_of_another_organisation_do_not_clash(org, other_org):
    definition.import_journeys(organization=other_org, data=json.dumps(doc()))
    definition.import_journeys(organization=org, data=json.dumps(doc()))
    assert Standard.objects.for_org(org).count() == 2


@pytest.mark.django_db
def test_every_problem_is_listed_in_file_order(org):
    d = doc()
    d["journey"]["stages"][0]["touchpoints"][0]["channel"] = "fax"
    d["journey"]["stages"][1]["name"] = 7
    d["journey"]["name"] = ""
    assert paths(errors_of(org, d)) == [
        "journey.name",
        "journey.stages[0].touchpoints[0].channel",
        "journey.stages[1].name",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"format": "cxaudit.journey", "format": "x"}', "duplicate key 'format'"),
        (b'{"value": NaN}', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_unreadable_files_are_refused(org, data, reason):
    errors = errors_of(org, data)
    assert errors[0][0] == "file" and reason in errors[0][1], errors


@pytest.mark.django_db
def test_a_5_mb_file_is_refused_before_parsing(org):
    d = doc()
    d["journey"]["description"] = "x" * (5 * 1024 * 1024)
    errors = errors_of(org, json.dumps(d).encode())
    assert errors == [("file", "the file is 5.0 MB; the limit is 2 MB")]


@pytest.mark.django_db
def test_wrong_format_version_and_shape(org):
    errors = errors_of(org, {"format": "survey", "version": 2, "journey": {}, "journeys": []})
    ps = paths(errors)
    assert "format" in ps and "version" in ps and "journey" in ps
    assert paths(errors_of(org, [1, 2])) == ["file"]


@pytest.mark.django_db
def test_demo_document_is_valid_for_a_fresh_organisation():
    org = Organization.objects.create(slug="fresh", name="Fresh")
    specs = definition.validate(demo_document(), organization=org)
    assert sum(len(t.standards) for s in specs[0].stages for t in s.touchpoints) == 35


@pytest.mark.django_db
def test_the_documented_example_imports_and_round_trips(org):
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text()
    section = text.split("## Journey definition JSON", 1)[1].split("\n## ", 1)[0]
    example = section.split("```json\n", 1)[1].split("```", 1)[0]
    (journey,) = definition.import_journeys(organization=org, data=example)
    assert definition.export_journey(journey) == json.loads(example)
