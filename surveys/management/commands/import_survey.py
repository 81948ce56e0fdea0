import sys
from pathlib import Path

from django.core.management.base import CommandError

from cxaudit.accounts.models import Organization
from cxaudit.commands import TextRulesCommand
from cxaudit.errors import DomainError, ValidationFailed
from surveys.questionnaire.definition import import_definition


class Command(TextRulesCommand):
    help = (
        "Import a survey definition JSON file (docs/formats.md) into an organisation as a draft; "
        "an existing code gets its next version. Prints the new survey's id. Use - for stdin."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="Slug of the organisation.")

    def handle(self, *args, file, org, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation with the slug {org!r}.")
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        try:
            survey = import_definition(organization=organization, data=raw)
        except ValidationFailed as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise CommandError(exc.message) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Imported “{survey.title}” as version {survey.version} of {survey.code} (draft)."
        )
        self.stdout.write(str(survey.pk))
