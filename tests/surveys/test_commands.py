"""manage.py import_survey / export_survey."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Survey
from tests.surveys.definition_example import example, example_standards

pytestmark = pytest.mark.django_db


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_the_new_id_and_export_writes_the_same_json(org, tmp_path):
    example_standards(org)
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(example()))
    out, err = _run("import_survey", str(path), "--org", org.slug)
    survey = Survey.objects.get(code="station-visit")
    assert out.strip() == str(survey.pk)
    assert "version 1" in err
    exported, _ = _run("export_survey", str(survey.pk))
    assert json.loads(exported) == example()
    # Again: the next version, as a draft.
    out, err = _run("import_survey", str(path), "--org", org.slug)
    assert Survey.objects.get(pk=int(out)).version == 2 and "version 2" in err


def test_import_errors_name_the_path_and_change_nothing(org, tmp_path):
    doc = example()
    doc["sections"][0]["questions"][1]["config"]["target_comparator"] = "~"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_survey", str(path), "--org", org.slug, stderr=err)
    assert "sections[0].questions[1].config.target_comparator" in err.getvalue()
    assert "sections[0].questions[1].standard: unknown standard 'QUEUE-5MIN'" in err.getvalue()
    assert not Survey.objects.exists()


def test_import_refuses_unknown_org_and_missing_file(org, tmp_path):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_survey", str(tmp_path / "x.json"), "--org", "nope")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_survey", str(tmp_path / "x.json"), "--org", org.slug)


def test_export_unknown_id(db):
    with pytest.raises(CommandError, match="No survey with id 999999"):
        call_command("export_survey", "999999")
