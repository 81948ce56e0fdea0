"""Client address for throttling: REMOTE_ADDR unless we are told how many proxies to trust."""

import logging

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address that connected to the first trusted proxy (forged hops cannot move it),
    normalised as every throttle counts it (cxaudit.throttle.normalise_address: an IPv6 client
    is its /64). django-axes and the reset and log-in throttles all key on it."""
    from cxaudit.throttle import normalise_address

    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return normalise_address(remote)
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    # Each trusted proxy appends the address it saw; a client can only prepend fake entries.
    if len(hops) >= count:
        return normalise_address(hops[-count])
    return normalise_address(remote)


def login_identity(request: HttpRequest, credentials: dict | None = None) -> str:
    """The username django-axes counts failures against: normalised as log-in matches it, so
    that "Admin@Example.com " and "admin@example.com" share one lockout."""
    from cxaudit.throttle import normalise_identity

    raw = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None and request is not None:
        raw = request.POST.get(settings.AXES_USERNAME_FORM_FIELD, "")
    return normalise_identity(str(raw or ""))


class ForbiddenWithoutTraceback(logging.Filter):
    """django.request logs a 403 with the PermissionDenied traceback; a refused request is an
    expected outcome (a role without the capability), so it is one line: method-less path and
    status, as Django words it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
