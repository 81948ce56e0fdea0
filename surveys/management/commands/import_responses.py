from pathlib import Path

from django.core.files import File
from django.core.management.base import CommandError

from cxaudit.accounts.models import Organization
from cxaudit.commands import TextRulesCommand
from cxaudit.errors import DomainError
from surveys.imports import services as imports
from surveys.models import ResponseImport


def format_error(error: dict) -> str:
    where = [f"line {error['line']}" if error.get("line") else "file"]
    if error.get("column"):
        where.append(f"column {error['column']}")
    return f"{', '.join(where)}: {error['reason']}"


class Command(TextRulesCommand):
    help = (
        "Import a responses CSV into the published version of a survey, in this process "
        "(docs/formats.md, 'Responses CSV'). All or nothing: a file with any bad row is "
        "rejected with every problem listed, and the exit status is 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--survey", required=True, help="survey code")

    def handle(self, *args, file: Path, org: str, survey: str, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organisation {org!r}.")
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            with file.open("rb") as handle:
                imp = imports.create_import(
                    organization=organization,
                    survey_code=survey,
                    uploaded_by=None,
                    file=File(handle, name=file.name),
                    enqueue=False,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        result = imports.run_import(import_id=imp.pk, progress=self._progress)
        if result is None:
            raise CommandError(f"Import #{imp.pk} was taken by another worker.")
        if result.status != ResponseImport.Status.SUCCEEDED:
            for error in result.errors:
                self.stderr.write(format_error(error))
            more = (
                f"; the first {len(result.errors)} are listed above"
                if result.unlisted_count
                else ", listed above"
            )
            raise CommandError(
                f"Import #{result.pk} rejected: nothing was imported "
                f"({result.problem_count} problem(s){more})."
            )
        self.stdout.write(
            f"Imported {result.imported_count} responses into {result.survey} "
            f"(import #{result.pk})."
        )

    def _progress(self, phase: str, done: int, total: int) -> None:
        if phase == "done":
            return
        label = "checking" if phase == "validating" else "saving"
        self.stderr.write(f"{label}: {done}/{total} rows", ending="\n")
