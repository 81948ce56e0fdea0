from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "cxaudit.downloads"
    label = "downloads"
    verbose_name = "Exports"
