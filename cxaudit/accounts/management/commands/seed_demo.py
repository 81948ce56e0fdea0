import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from cxaudit.accounts import demo


def demo_modules() -> Iterator[ModuleType]:
    """Each installed app's `demo` module, in INSTALLED_APPS order (an app after those it
    depends on), except this app's own: it is the base that creates the organisation. An app
    adds demo data by giving itself a `demo` module with `seed_demo(org)`; nothing here names
    it."""
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, "demo"):
            continue
        module = importlib.import_module(f"{app_config.name}.demo")
        if module is not demo:
            yield module


class Command(BaseCommand):
    help = "Create or refresh the demo organisation 'northline-rail' and print its logins."

    def handle(self, *args, **options):
        with transaction.atomic():
            org, logins = demo.seed()
            for module in demo_modules():
                module.seed_demo(org)
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {org.name} ({org.slug})"))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.role:<32} {login.email}")
