"""Permission-matrix rows of the questionnaire builder."""

from cxaudit.accounts.permissions import Cap
from surveys.models import Question, Section, Survey
from tests.matrix_row import Row


def _survey(org) -> Survey:
    survey, _ = Survey.objects.get_or_create(
        organization=org, code="matrix", defaults={"title": "Matrix", "kind": "customer"}
    )
    section, _ = Section.objects.get_or_create(survey=survey, title="S", position=0)
    Question.objects.get_or_create(
        survey=survey, section=section, code="q1", defaults={"type": "yes_no", "text": "Q?"}
    )
    return survey


def _pk(org):
    return {"pk": _survey(org).pk}


def _section(org):
    survey = _survey(org)
    return {"pk": survey.pk, "section_pk": survey.sections.get().pk}


def _question(org):
    survey = _survey(org)
    return {"pk": survey.pk, "question_pk": survey.questions.get().pk}


ROWS: list[Row] = [
    Row("surveys:survey_list", Cap.VIEW_SURVEYS),
    Row("surveys:survey_create", Cap.EDIT_SURVEYS),
    Row("surveys:survey_import", Cap.EDIT_SURVEYS),
    Row("surveys:survey_detail", Cap.VIEW_SURVEYS, _pk),
    Row("surveys:survey_export", Cap.VIEW_SURVEYS, _pk),
    Row("surveys:survey_settings", Cap.EDIT_SURVEYS, _pk),
    Row("surveys:survey_scoring", Cap.EDIT_SURVEYS, _pk),
    Row("surveys:survey_publish", Cap.EDIT_SURVEYS, _pk, "post"),
    Row("surveys:survey_unpublish", Cap.EDIT_SURVEYS, _pk, "post"),
    Row("surveys:survey_archive", Cap.EDIT_SURVEYS, _pk, "post"),
    Row("surveys:survey_new_version", Cap.EDIT_SURVEYS, _pk, "post"),
    Row("surveys:section_create", Cap.EDIT_SURVEYS, _pk),
    Row("surveys:section_edit", Cap.EDIT_SURVEYS, _section),
    Row("surveys:section_delete", Cap.EDIT_SURVEYS, _section, "post"),
    Row("surveys:section_move", Cap.EDIT_SURVEYS, _section, "post"),
    Row("surveys:question_create", Cap.EDIT_SURVEYS, _section),
    Row("surveys:question_edit", Cap.EDIT_SURVEYS, _question),
    Row("surveys:question_delete", Cap.EDIT_SURVEYS, _question, "post"),
    Row("surveys:question_move", Cap.EDIT_SURVEYS, _question, "post"),
]
