from __future__ import annotations

from cxaudit.webhooks.events import EVENTS
from cxaudit.webhooks.models import Endpoint
from cxaudit.webhooks.signing import new_secret


def endpoint(org, url: str, events=None, **extra) -> Endpoint:
    """An endpoint written directly (no DNS check: the tests' own server or resolver)."""
    return Endpoint.objects.create(
        organization=org, url=url, events=list(events or EVENTS), secret=new_secret(), **extra
    )
