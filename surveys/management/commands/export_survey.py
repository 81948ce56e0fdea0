from django.core.management.base import CommandError

from cxaudit.commands import TextRulesCommand
from surveys.models import Survey
from surveys.questionnaire.definition import export_json


class Command(TextRulesCommand):
    help = "Write a survey version's definition JSON (docs/formats.md) to standard output."

    def add_arguments(self, parser):
        parser.add_argument("survey_id", metavar="ID", type=int, help="The survey version's id.")

    def handle(self, *args, survey_id, **options):
        survey = Survey.objects.filter(pk=survey_id).first()
        if survey is None:
            raise CommandError(f"No survey with id {survey_id}.")
        self.stdout.write(export_json(survey), ending="")
