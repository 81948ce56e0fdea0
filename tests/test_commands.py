import pytest
from django.core.management import CommandError, call_command

from cxaudit.accounts.models import Membership, Organization, User


@pytest.mark.django_db
def test_create_org_creates_an_empty_organisation(capsys):
    call_command("create_org", "new-co", "New Co")
    assert Organization.objects.get(slug="new-co").name == "New Co"
    assert "Created organisation new-co" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("create_org", "new-co", "Again")


@pytest.mark.django_db
def test_seed_demo_is_repeatable_and_prints_logins(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    org = Organization.objects.get(slug="northline-rail")
    out = capsys.readouterr().out
    assert "admin@northline.example" in out and "shopper@northline.example" in out
    assert org.locations.filter(kind="branch").count() == 3
    assert set(Membership.objects.for_org(org).values_list("role", flat=True)) == {
        "program_admin",
        "reviewer",
        "client_manager",
        "shopper",
    }
    assert User.objects.filter(email="admin@northline.example").count() == 1


def test_seed_demo_finds_each_apps_demo_module_through_the_app_registry():
    from cxaudit.accounts.management.commands.seed_demo import demo_modules

    # In INSTALLED_APPS order; the accounts demo is the base the command calls first.
    modules = list(demo_modules())
    assert [m.__name__ for m in modules] == [
        "cxaudit.webhooks.demo",
        "cxaudit.journeys.demo",
        "shoppers.demo",
        "cxaudit.insights.demo",
    ]
    assert all(callable(m.seed_demo) for m in modules)
