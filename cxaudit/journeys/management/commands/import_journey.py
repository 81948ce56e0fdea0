import sys
from pathlib import Path

from django.core.management.base import CommandError

from cxaudit.accounts.models import Organization
from cxaudit.commands import TextRulesCommand
from cxaudit.errors import ValidationFailed
from cxaudit.journeys import definition


class Command(TextRulesCommand):
    help = (
        "Import a journey definition JSON file (docs/formats.md) into an organisation. "
        "All or nothing: a file with any problem changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the JSON file, or - for standard input")
        parser.add_argument("--org", required=True, help="slug of the organisation")

    def handle(self, *args, **options):
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        path = options["file"]
        if path == "-":
            data = sys.stdin.buffer.read(definition.MAX_BYTES + 1)
        else:
            try:
                with Path(path).open("rb") as handle:
                    # Read one byte past the limit: enough to tell that the file is too large.
                    data = handle.read(definition.MAX_BYTES + 1)
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        try:
            journeys = definition.import_journeys(organization=org, data=data)
        except ValidationFailed as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise CommandError(exc.message) from exc
        for journey in journeys:
            self.stdout.write(self.style.SUCCESS(f"Imported journey {journey.pk}: {journey.name}"))
