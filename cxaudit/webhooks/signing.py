"""Signing a delivery: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's secret, sent
as `Cxaudit-Signature: t=<unix seconds>,v1=<hex digest>` (plain Python, no Django).

The secret is kept as it is (not hashed) because HMAC needs the key itself to sign every
delivery: a hash of the secret could check a secret someone presents, but could not compute a
signature. It is shown to the organisation once, when made, and never again in the UI.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Cxaudit-Signature"
PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, URL-safe, with a recognisable prefix."""
    return PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
