"""The outbox's settings (cxaudit/settings.py reads them from the environment)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class OutboxSettings:
    batch_size: int  # messages one sender claims at a time
    rate: float  # most messages per second across senders (0 = no limit)
    lease: timedelta  # how long a claim holds before the sweeper takes it back
    max_attempts: int
    retry_base: float  # seconds before the first retry; doubles with each attempt
    retry_cap: float  # longest wait between two attempts, in seconds
    dispatchers: int  # senders the sweeper keeps busy when work is due

    @classmethod
    def load(cls) -> OutboxSettings:
        return cls(
            batch_size=max(1, int(settings.CXAUDIT_OUTBOX_BATCH)),
            rate=max(0.0, float(settings.CXAUDIT_OUTBOX_RATE)),
            lease=timedelta(seconds=max(1.0, float(settings.CXAUDIT_OUTBOX_LEASE_SECONDS))),
            max_attempts=max(1, int(settings.CXAUDIT_OUTBOX_MAX_ATTEMPTS)),
            retry_base=max(0.0, float(settings.CXAUDIT_OUTBOX_RETRY_SECONDS)),
            retry_cap=max(0.0, float(settings.CXAUDIT_OUTBOX_RETRY_CAP_SECONDS)),
            dispatchers=max(1, int(settings.CXAUDIT_OUTBOX_DISPATCHERS)),
        )

    def retry_delay(self, attempts: int) -> float:
        """Exponential backoff with jitter: between half and all of base × 2^(attempts − 1),
        capped, so that senders failing together do not come back together."""
        ceiling = min(self.retry_cap, self.retry_base * 2 ** max(0, attempts - 1))
        return random.uniform(ceiling / 2, ceiling)

    def next_attempt(self, attempts: int, now: datetime | None = None) -> datetime:
        return (now or timezone.now()) + timedelta(seconds=self.retry_delay(attempts))
