from django.core.management.base import CommandError

from cxaudit.accounts import services
from cxaudit.commands import TextRulesCommand
from cxaudit.errors import DomainError


class Command(TextRulesCommand):
    help = 'Create an empty organisation: create_org SLUG "NAME".'

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("name")

    def handle(self, *args, slug, name, **options):
        try:
            org = services.create_organization(slug=slug, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created organisation {org.slug} (id {org.pk}).")
