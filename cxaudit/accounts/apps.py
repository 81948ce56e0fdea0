from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cxaudit.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        from . import emails

        emails.register()
