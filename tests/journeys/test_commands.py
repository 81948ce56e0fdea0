import json

import pytest
from django.core.management import CommandError, call_command

from cxaudit.accounts.models import Organization
from cxaudit.journeys.demo import JOURNEY_NAME
from cxaudit.journeys.models import Journey, Stage, Standard, Touchpoint, Wave

pytestmark = pytest.mark.django_db


def test_export_then_import_into_another_organisation_round_trips(org, other_org, tmp_path, capsys):
    from cxaudit.journeys.demo import seed_demo

    seed_demo(org)
    journey = Journey.objects.get(organization=org)
    call_command("export_journey", "--org", org.slug, "--journey", str(journey.pk))
    text = capsys.readouterr().out
    assert json.loads(text)["journey"]["name"] == JOURNEY_NAME
    path = tmp_path / "j.json"
    path.write_text(text)
    call_command("import_journey", str(path), "--org", other_org.slug)
    assert "Imported journey" in capsys.readouterr().out
    copy = Journey.objects.get(organization=other_org)
    call_command("export_journey", "--org", other_org.slug, "--journey", str(copy.pk))
    assert capsys.readouterr().out == text
    call_command("export_journey", "--org", other_org.slug)
    assert len(json.loads(capsys.readouterr().out)["journeys"]) == 1


def test_import_errors_are_listed_and_change_nothing(org, tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "cxaudit.journey", "version": 1, "journey": {}}))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_journey", str(path), "--org", org.slug)
    err = capsys.readouterr().err
    assert "journey.name: is required" in err and "journey.stages: is required" in err
    assert not Journey.objects.exists()


def test_import_refuses_a_5_mb_file_and_unknown_org_or_file(org, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (5 * 1024 * 1024))
    with pytest.raises(CommandError):
        call_command("import_journey", str(big), "--org", org.slug)
    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_journey", str(big), "--org", "nope")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_journey", str(tmp_path / "missing.json"), "--org", org.slug)
    with pytest.raises(CommandError, match="no journey"):
        call_command("export_journey", "--org", org.slug, "--journey", "999999")


def test_seed_demo_journey_is_realistic_and_idempotent():
    call_command("seed_demo")
    org = Organization.objects.get(slug="northline-rail")
    counts = (
        Journey.objects.for_org(org).count(),
        Stage.objects.for_org(org).count(),
        Touchpoint.objects.for_org(org).count(),
        Standard.objects.for_org(org).count(),
        list(Wave.objects.for_org(org).values_list("name", "status")),
    )
    call_command("seed_demo")
    assert counts == (
        Journey.objects.for_org(org).count(),
        Stage.objects.for_org(org).count(),
        Touchpoint.objects.for_org(org).count(),
        Standard.objects.for_org(org).count(),
        list(Wave.objects.for_org(org).values_list("name", "status")),
    )
    assert counts[:3] == (1, 5, 12)
    assert 25 <= counts[3] <= 40
    assert counts[4] == [("2026 Q2", "closed"), ("2026 Q3", "closed"), ("2026 Q4", "open")]
    standards = Standard.objects.for_org(org)
    assert set(standards.values_list("dimension", flat=True)) == {
        "tangibles",
        "reliability",
        "responsiveness",
        "assurance",
        "empathy",
    }
    phone = standards.get(code="RESP-PHONE-01")
    assert phone.touchpoint.channel == "phone" and phone.target_display == "≤ 60 seconds"
    assert standards.get(code="RESP-CHAT-01").target_display == "≤ 2 minutes"
    assert standards.exclude(promise="").count() >= 5
    channels = set(Touchpoint.objects.for_org(org).values_list("channel", flat=True))
    assert {"in_store", "phone", "chat", "app", "email"} <= channels
