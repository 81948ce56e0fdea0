"""Staff questionnaire builder URLs (included by surveys/urls.py)."""

from django.urls import path

from . import views as v

_S = "o/<slug:org_slug>/surveys/"
_ONE = _S + "<int:pk>/"

urlpatterns: list = [
    path(_S, v.survey_list, name="survey_list"),
    path(_S + "new/", v.survey_create, name="survey_create"),
    path(_S + "import/", v.survey_import, name="survey_import"),
    path(_ONE, v.survey_detail, name="survey_detail"),
    path(_ONE + "settings/", v.survey_settings, name="survey_settings"),
    path(_ONE + "scoring/", v.survey_scoring, name="survey_scoring"),
    path(_ONE + "publish/", v.survey_publish, name="survey_publish"),
    path(_ONE + "unpublish/", v.survey_unpublish, name="survey_unpublish"),
    path(_ONE + "archive/", v.survey_archive, name="survey_archive"),
    path(_ONE + "new-version/", v.survey_new_version, name="survey_new_version"),
    path(_ONE + "export/", v.survey_export, name="survey_export"),
    path(_ONE + "sections/new/", v.section_edit, name="section_create"),
    path(_ONE + "sections/<int:section_pk>/", v.section_edit, name="section_edit"),
    path(_ONE + "sections/<int:section_pk>/delete/", v.section_delete, name="section_delete"),
    path(_ONE + "sections/<int:section_pk>/move/", v.section_move, name="section_move"),
    path(
        _ONE + "sections/<int:section_pk>/questions/new/",
        v.question_edit,
        name="question_create",
    ),
    path(_ONE + "questions/<int:question_pk>/", v.question_edit, name="question_edit"),
    path(_ONE + "questions/<int:question_pk>/delete/", v.question_delete, name="question_delete"),
    path(_ONE + "questions/<int:question_pk>/move/", v.question_move, name="question_move"),
]
