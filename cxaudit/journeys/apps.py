from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "cxaudit.journeys"
    label = "journeys"
    verbose_name = "Journeys, standards and waves"
