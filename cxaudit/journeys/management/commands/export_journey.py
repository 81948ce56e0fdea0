from django.core.management.base import CommandError

from cxaudit.accounts.models import Organization
from cxaudit.commands import TextRulesCommand
from cxaudit.journeys import definition
from cxaudit.journeys.models import Journey


class Command(TextRulesCommand):
    help = (
        "Write journey definition JSON (docs/formats.md) to standard output: one journey with "
        "--journey, otherwise every journey of the organisation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="slug of the organisation")
        parser.add_argument("--journey", type=int, help="id of one journey to export")

    def handle(self, *args, **options):
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with the slug {options['org']!r}.")
        journeys = Journey.objects.for_org(org).order_by("pk")
        if options["journey"] is not None:
            journey = journeys.filter(pk=options["journey"]).first()
            if journey is None:
                raise CommandError(f"{org.slug} has no journey with the id {options['journey']}.")
            document = definition.export_journey(journey)
        else:
            document = definition.export_journeys(journeys)
        self.stdout.write(definition.dumps(document), ending="")
