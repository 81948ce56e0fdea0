from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "cxaudit.messaging"
    label = "messaging"
    verbose_name = "Outbound messages"

    def ready(self) -> None:
        from . import registry

        # A plain notice: subject, text and an optional link given by the sender (operational
        # notices to staff, test emails, the outbox's own checks).
        registry.register(NOTICE, label="Notice", template="emails/notice")


NOTICE = "messaging.notice"
