from pathlib import Path

from django.core.management.base import CommandError

from cxaudit.accounts.models import Organization
from cxaudit.commands import TextRulesCommand
from cxaudit.errors import ValidationFailed
from cxaudit.insights.kpis.services import import_kpi_values


class Command(TextRulesCommand):
    help = "Import KPI values (CSV: kpi, location, wave, value); all or nothing, bad lines listed."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="organisation slug")

    def handle(self, *args, file, org, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation {org!r}.")
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        try:
            report = import_kpi_values(organization=organization, data=data)
        except ValidationFailed as exc:
            lines = "\n".join(f"  {line}" for line in exc.lines())
            raise CommandError(f"{exc.message}\n{lines}") from exc
        self.stdout.write(f"Imported: {report.created} new, {report.updated} changed.")
