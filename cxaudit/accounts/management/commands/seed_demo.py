import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from cxaudit.accounts import demo

# Each app that has demo data adds a module with `seed_demo(org)` here, in dependency order.
EXTENSIONS = [
    "cxaudit.journeys.demo",
    "surveys.demo",
    "shoppers.demo",
    "cxaudit.insights.demo",
]


class Command(BaseCommand):
    help = "Create or refresh the demo organisation 'northline-rail' and print its logins."

    def handle(self, *args, **options):
        with transaction.atomic():
            org, logins = demo.seed()
            for name in EXTENSIONS:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    continue
                module.seed_demo(org)
        self.stdout.write(self.style.SUCCESS(f"Demo organisation ready: {org.name} ({org.slug})"))
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.role:<32} {login.email}")
