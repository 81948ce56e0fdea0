"""Making, revoking and checking API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.models import Organization, User
from cxaudit.errors import DomainError
from cxaudit.textinput import text_problem

from .models import ApiToken

SCHEME = "cxa_"
# 8 characters of [a-z0-9] find the row; 43 URL-safe characters (256 bits) are the secret.
_TOKEN_RE = re.compile(r"^cxa_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
MAX_LIVE_TOKENS = 50


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once and never stored


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(*, organization: Organization, user: User, name: str) -> NewToken:
    """Make a named token of `user` for `organization`; only its hash is stored."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Give the token a name (what will use it).", field="name")
    if len(name) > 100:
        raise DomainError("At most 100 characters.", field="name")
    if problem := text_problem(name):
        raise DomainError(problem, field="name")
    live = ApiToken.objects.for_org(organization).of_user(user).live()
    if live.count() >= MAX_LIVE_TOKENS:
        raise DomainError(
            f"You have {MAX_LIVE_TOKENS} live tokens here; revoke one first.", field="name"
        )
    while True:
        prefix = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    raw = f"{SCHEME}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organization=organization, user=user, name=name, prefix=prefix, secret_hash=_digest(raw)
    )
    return NewToken(token=token, secret=raw)


def revoke_token(*, token: ApiToken) -> bool:
    """Revoke a token for good (False when it already was)."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return changed == 1


def find_token(raw: str) -> ApiToken | None:
    """The live token whose secret is `raw` (None for anything else, in about the same time)."""
    match = _TOKEN_RE.match(raw or "")
    if match is None:
        return None
    token = (
        ApiToken.objects.select_related("user", "organization")
        .filter(prefix=match.group(1))
        .first()
    )
    digest = _digest(raw)
    if token is None:
        hmac.compare_digest(digest, "0" * 64)  # same work whether or not the prefix exists
        return None
    if not hmac.compare_digest(digest, token.secret_hash) or not token.is_live:
        return None
    return token
