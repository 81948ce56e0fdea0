from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "cxaudit.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        from cxaudit.messaging import registry

        from .addresses import parse_cidrs

        try:
            parse_cidrs(settings.CXAUDIT_WEBHOOK_ALLOW_CIDRS)
        except ValueError as exc:
            raise ImproperlyConfigured(f"CXAUDIT_WEBHOOK_ALLOW_CIDRS: {exc}") from exc

        from . import emails

        registry.register(
            emails.DISABLED,
            label="Webhook disabled",
            template="emails/webhooks/endpoint_disabled",
            build=emails.build_disabled,
        )
