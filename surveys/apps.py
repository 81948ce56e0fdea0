from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    label = "surveys"
    verbose_name = "Surveys and responses"
