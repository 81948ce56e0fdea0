from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "cxaudit.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from cxaudit.messaging import registry

        from . import emails

        registry.register(
            emails.DISABLED,
            label="Webhook disabled",
            template="emails/webhooks/endpoint_disabled",
            build=emails.build_disabled,
        )
