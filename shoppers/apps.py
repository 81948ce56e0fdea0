from django.apps import AppConfig


class ShoppersConfig(AppConfig):
    name = "shoppers"
    label = "shoppers"
    verbose_name = "Shoppers and assignments"

    def ready(self) -> None:
        from surveys.responses.views import claim_drafts

        from . import emails
        from .engine import answered_here

        emails.register()
        # Visit forms and quiz attempts are answered through the shopper's pages only.
        claim_drafts(answered_here)
