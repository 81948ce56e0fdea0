"""Requests per token per window, counted in the shared cache by cxaudit/throttle.py (the
token, never the client address: many clients behind one proxy are not one client)."""

from __future__ import annotations

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from cxaudit import throttle

from ..models import ApiToken


class TokenRateThrottle(BaseThrottle):
    scope = "api"

    def allow_request(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            return True  # refused with 401 by the permission check
        window = settings.CXAUDIT_API_RATE_WINDOW
        self.window = window
        return throttle.hit(
            self.scope, f"token:{token.pk}", limit=settings.CXAUDIT_API_RATE, window=window
        )

    def wait(self) -> float:
        window = getattr(self, "window", settings.CXAUDIT_API_RATE_WINDOW)
        return max(1.0, window - (time.time() % window))
