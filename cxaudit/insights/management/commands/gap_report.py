import io
import json

from django.core.management.base import CommandError

from cxaudit.accounts.models import Location, Organization
from cxaudit.commands import TextRulesCommand
from cxaudit.insights.gaps import analyse_gaps
from cxaudit.insights.gaps.report import report_dict, write_gap_csv
from cxaudit.journeys.models import Wave


class Command(TextRulesCommand):
    help = (
        "Print the gap report of an organisation as JSON or CSV (docs/formats.md): "
        "gap_report --org SLUG [--wave NAME] [--location CODE] --format json|csv"
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--wave", help="wave name (default: every wave)")
        parser.add_argument("--location", help="location code (default: every location)")
        parser.add_argument("--format", choices=["json", "csv"], default="json")

    def handle(self, *args, org, wave, location, format, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation with slug {org!r}.")
        wave_obj = None
        if wave:
            wave_obj = Wave.objects.for_org(organization).filter(name=wave).first()
            if wave_obj is None:
                known = ", ".join(Wave.objects.for_org(organization).values_list("name", flat=True))
                raise CommandError(f"No wave {wave!r} in {org} (waves: {known or 'none'}).")
        location_obj = None
        if location:
            location_obj = Location.objects.for_org(organization).filter(code=location).first()
            if location_obj is None:
                raise CommandError(f"No location with code {location!r} in {org}.")
        analysis = analyse_gaps(organization=organization, wave=wave_obj, location=location_obj)
        if format == "csv":
            buffer = io.StringIO()
            write_gap_csv(analysis, buffer)
            self.stdout.write(buffer.getvalue(), ending="")
        else:
            self.stdout.write(json.dumps(report_dict(analysis), indent=2, ensure_ascii=False))
