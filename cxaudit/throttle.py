"""One fixed-window counter for every throttle (password resets, public links, the API to come),
in the Django cache (CACHE_URL: Redis in production, so that every process shares it).

Callers count the *normalised* identity (an email lower-cased and stripped, a token prefix) and
the client address (cxaudit.accounts.security.client_ip), never what the attacker typed as is.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata

from django.core.cache import cache


def normalise_identity(value: str) -> str:
    """An identifier as the login and the throttles see it: Unicode-normalised, trimmed, in
    lower case (log-in ignores case, so the throttle must too)."""
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt of `key` in `scope` for the current window of `window` seconds;
    False when the attempt is over `limit`."""
    slot = int(time.time() // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # bounded, safe cache keys
    name = f"cxaudit:throttle:{scope}:{digest}:{slot}"
    cache.add(name, 0, timeout=window * 2)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window * 2)
        count = 1
    return count <= limit
