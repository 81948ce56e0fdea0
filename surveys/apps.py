from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    label = "surveys"
    verbose_name = "Surveys and responses"

    def ready(self) -> None:
        from .selfassess import emails

        emails.register()
