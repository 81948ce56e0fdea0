from django.apps import AppConfig


class ShoppersConfig(AppConfig):
    name = "shoppers"
    label = "shoppers"
    verbose_name = "Shoppers and assignments"

    def ready(self) -> None:
        from . import emails

        emails.register()
