"""One fixed-window counter for every throttle (log-in failures per address, password resets,
public links, the API to come), in the Django cache (CACHE_URL: Redis in production, so that
every process shares it).

Callers count the *normalised* identity (`normalise_identity`: an email lower-cased and
stripped) and the *normalised* client address (cxaudit.accounts.security.client_ip, through
`normalise_address`: an IPv6 client counts as its /64, an IPv4 address mapped into IPv6 as that
IPv4 address), never what the attacker typed or which of their addresses they used.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
import unicodedata

from django.core.cache import cache


def normalise_identity(value: str) -> str:
    """An identifier as the login and the throttles see it: Unicode-normalised, trimmed, in
    lower case (log-in ignores case, so the throttle must too)."""
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


def normalise_address(value: str) -> str:
    """A client address as the throttles count it. One subscriber gets a whole IPv6 /64 (2^64
    addresses to rotate through), so an IPv6 address counts as its /64 network, written as the
    network's first address; an IPv4 address mapped into IPv6 (::ffff:203.0.113.9) counts as
    the IPv4 address; the way an address is written (case, zeros, brackets, a port) is not a
    new address. Anything else is kept, trimmed and lower-cased."""
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text.lower()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _name(scope: str, key: str, window: int) -> str:
    slot = int(time.time() // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # bounded, safe cache keys
    return f"cxaudit:throttle:{scope}:{digest}:{slot}"


def count(scope: str, key: str, *, window: int) -> int:
    """How many attempts of `key` in `scope` the current window has seen (nothing counted)."""
    return int(cache.get(_name(scope, key, window)) or 0)


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt of `key` in `scope` for the current window of `window` seconds;
    False when the attempt is over `limit`."""
    name = _name(scope, key, window)
    cache.add(name, 0, timeout=window * 2)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window * 2)
        count = 1
    return count <= limit
