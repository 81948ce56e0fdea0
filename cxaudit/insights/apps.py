from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "cxaudit.insights"
    label = "insights"
    verbose_name = "Insights and gaps"
