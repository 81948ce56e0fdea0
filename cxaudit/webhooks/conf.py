"""The webhooks' settings (cxaudit/settings.py reads them from the environment). Claiming,
leases, backoff with jitter and the sweeper are the outbox's (cxaudit.messaging): the delivery
side is an OutboxSettings of its own values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from django.conf import settings

from cxaudit.messaging.conf import OutboxSettings

from .addresses import Network, parse_cidrs


@dataclass(frozen=True)
class WebhookSettings:
    outbox: OutboxSettings  # batch, lease, attempts, retry base and cap, dispatchers
    connect_timeout: float
    read_timeout: float
    response_bytes: int  # the most of a response body read (and kept, up to 1,000 chars)
    disable_after: int  # consecutive failed attempts that disable an endpoint
    allow_cidrs: str  # destinations allowed although private (tests, internal receivers)
    ca_bundle: str  # extra CA certificates to trust (a private CA; the tests' trustme CA)

    @classmethod
    def load(cls) -> WebhookSettings:
        return cls(
            outbox=OutboxSettings(
                batch_size=max(1, int(settings.CXAUDIT_WEBHOOK_BATCH)),
                rate=0.0,
                lease=timedelta(seconds=max(1.0, float(settings.CXAUDIT_WEBHOOK_LEASE_SECONDS))),
                max_attempts=max(1, int(settings.CXAUDIT_WEBHOOK_MAX_ATTEMPTS)),
                retry_base=max(0.0, float(settings.CXAUDIT_WEBHOOK_RETRY_SECONDS)),
                retry_cap=max(0.0, float(settings.CXAUDIT_WEBHOOK_RETRY_CAP_SECONDS)),
                dispatchers=max(1, int(settings.CXAUDIT_WEBHOOK_DISPATCHERS)),
            ),
            connect_timeout=max(0.1, float(settings.CXAUDIT_WEBHOOK_CONNECT_TIMEOUT)),
            read_timeout=max(0.1, float(settings.CXAUDIT_WEBHOOK_READ_TIMEOUT)),
            response_bytes=max(0, int(settings.CXAUDIT_WEBHOOK_RESPONSE_BYTES)),
            disable_after=max(1, int(settings.CXAUDIT_WEBHOOK_DISABLE_AFTER)),
            allow_cidrs=settings.CXAUDIT_WEBHOOK_ALLOW_CIDRS,
            ca_bundle=settings.CXAUDIT_WEBHOOK_CA_BUNDLE,
        )

    @cached_property
    def allow(self) -> tuple[Network, ...]:
        return parse_cidrs(self.allow_cidrs)
