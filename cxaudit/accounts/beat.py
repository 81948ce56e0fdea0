"""Celery beat's scheduler, with a heartbeat: every CXAUDIT_HEARTBEAT_SECONDS it records that
beat runs (WorkerHeartbeat "beat"), so that /healthz can tell a stopped beat from a stopped
worker (the worker's heartbeat is the `accounts.health_check` task that beat schedules).

Configured with CELERY_BEAT_SCHEDULER = "cxaudit.accounts.beat:HeartbeatScheduler".
"""

from __future__ import annotations

import logging
import time

from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, close_old_connections

log = logging.getLogger(__name__)


class HeartbeatScheduler(PersistentScheduler):
    _last_beat = 0.0

    def tick(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last_beat >= settings.CXAUDIT_HEARTBEAT_SECONDS:
            self._last_beat = now
            self.record_heartbeat()
        return super().tick(*args, **kwargs)

    @staticmethod
    def record_heartbeat() -> None:
        from .services import record_heartbeat

        close_old_connections()
        try:
            record_heartbeat(name="beat")
        except DatabaseError:  # the database is away: /healthz shows the beat as late
            log.warning("could not record beat's heartbeat", exc_info=True)
