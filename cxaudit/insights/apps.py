from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "cxaudit.insights"
    label = "insights"
    verbose_name = "Insights and gaps"

    def ready(self) -> None:
        from .actions import emails

        emails.register()
