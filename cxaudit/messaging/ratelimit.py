"""One send rate for every sender: a counter per second in the cache. With CACHE_URL on Redis
(production) all workers share it; with the local-memory default it holds per process."""

from __future__ import annotations

import math
import time

from django.core.cache import cache

KEY = "cxaudit:outbox:rate:{window}"


class RateLimiter:
    def __init__(self, per_second: float, *, clock=time.time, sleep=time.sleep):
        self.per_second = per_second
        self.clock = clock
        self.sleep = sleep

    def _window_limit(self, window: int) -> int:
        # A fractional rate (0.5/s) becomes whole messages over the seconds it spans.
        whole = math.floor(self.per_second * (window + 1)) - math.floor(self.per_second * window)
        return max(0, whole)

    def acquire(self) -> float:
        """Wait until one more message may go; returns the seconds waited."""
        if not self.per_second:
            return 0.0
        waited = 0.0
        while True:
            now = self.clock()
            window = int(now)
            limit = self._window_limit(window)
            if limit:
                key = KEY.format(window=window)
                cache.add(key, 0, timeout=10)
                try:
                    count = cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, timeout=10)
                    count = 1
                if count <= limit:
                    return waited
            pause = max(0.001, window + 1 - now)
            self.sleep(pause)
            waited += pause
