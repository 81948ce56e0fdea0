"""`manage.py import_responses FILE --org SLUG --survey CODE`."""

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Response
from tests.surveys.import_helpers import (  # noqa: F401 (media_root is a fixture)
    GOOD_ROWS,
    HEADER,
    make_import_context,
    media_root,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


def test_command_imports_a_good_file_and_prints_the_count(org, manager, tmp_path, capsys):
    make_import_context(org)
    path = tmp_path / "history.csv"
    path.write_text("\n".join([HEADER, *GOOD_ROWS]) + "\n", encoding="utf-8")
    call_command("import_responses", str(path), "--org", org.slug, "--survey", "visit")
    out, err = capsys.readouterr()
    assert "Imported 3 responses" in out
    assert "checking: 3/3 rows" in err and "saving: 3/3 rows" in err
    assert Response.objects.count() == 3


def test_command_lists_every_problem_and_fails(org, tmp_path, capsys):
    make_import_context(org)
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "\nrobot,KGX,2026 Q3,2026-07-01,,yes,,,,,,,,,\n"
        "shopper,KGX,2026 Q3,2026-07-01,,,,,,,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="rejected: nothing was imported"):
        call_command("import_responses", str(path), "--org", org.slug, "--survey", "visit")
    err = capsys.readouterr().err
    assert "line 2, column source: unknown source 'robot'" in err
    assert "line 3, column greet: an answer is required" in err
    assert not Response.objects.exists()


def test_command_refuses_unknown_org_and_survey(org, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_responses", str(path), "--org", "nope", "--survey", "visit")
    with pytest.raises(CommandError, match="No published survey"):
        call_command("import_responses", str(path), "--org", org.slug, "--survey", "visit")
