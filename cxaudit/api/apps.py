from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cxaudit.api"
    label = "api"
    verbose_name = "REST API"
