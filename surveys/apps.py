from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    label = "surveys"
    verbose_name = "Surveys and responses"

    def ready(self) -> None:
        from .outreach import emails as outreach_emails
        from .selfassess import emails

        emails.register()
        outreach_emails.register()  # the outreach emails' outbox purposes
