from django.apps import AppConfig


class ReportPdfsConfig(AppConfig):
    name = "cxaudit.reportpdfs"
    label = "reportpdfs"
    verbose_name = "PDF report cards"

    def ready(self) -> None:
        from . import emails

        emails.register()
