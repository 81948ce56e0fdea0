import logging

from django.apps import AppConfig


class ReportPdfsConfig(AppConfig):
    name = "cxaudit.reportpdfs"
    label = "reportpdfs"
    verbose_name = "PDF report cards"

    def ready(self) -> None:
        from . import emails

        emails.register()
        # WeasyPrint narrates every step at INFO (from its import on) and warns about each
        # screen-only CSS rule of the shared stylesheets (width media queries, SVG properties,
        # vw units) that paper does without; refused URLs are logged by .fetcher instead.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
