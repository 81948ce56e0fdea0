from django.core.management.base import CommandError

from cxaudit.commands import TextRulesCommand
from cxaudit.journeys.models import Wave
from surveys.models import Survey
from surveys.responses import rescoring


class Command(TextRulesCommand):
    help = "Re-score the stored responses of a survey version: rescore --survey ID [--wave NAME]."

    def add_arguments(self, parser):
        parser.add_argument("--survey", type=int, required=True, help="survey version id")
        parser.add_argument("--wave", help="only the responses of this wave (its name)")
        parser.add_argument("--batch-size", type=int, default=rescoring.BATCH_SIZE)

    def handle(self, *args, survey, wave, batch_size, **options):
        found = Survey.objects.filter(pk=survey).first()
        if found is None:
            raise CommandError(f"No survey with id {survey}.")
        wave_row = None
        if wave is not None:
            wave_row = Wave.objects.filter(organization=found.organization, name=wave).first()
            if wave_row is None:
                raise CommandError(f"No wave named {wave!r} in {found.organization}.")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"{done}/{total} responses re-scored")

        count = rescoring.rescore(
            survey=found, wave=wave_row, batch_size=batch_size, progress=progress
        )
        self.stdout.write(self.style.SUCCESS(f"Re-scored {count} response(s) of {found}."))
