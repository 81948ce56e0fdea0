"""The base of every API view: token, organisation, capability, rate limit, the one error
shape, and helpers to read filters as the UI reads them (404 or 400, never another
organisation's row)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.generics import GenericAPIView

from cxaudit.accounts.models import Location
from cxaudit.journeys.models import Wave

# The largest body a write takes: the size of the largest CSV the import services read.
MAX_BODY = 25 * 1024 * 1024


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = f"The body is larger than {MAX_BODY // 1024 // 1024} MB."
    default_code = "too_large"


def invalid(field: str, reason: str) -> ValidationError:
    return ValidationError({field: [reason]})


class OrgApiView(GenericAPIView):
    """Set `capabilities` ({"GET": Cap.X, "POST": Cap.Y}); `self.org`, `self.org_ctx` and
    `self.scope` (the member's LocationScope) are set once the request is let in."""

    capabilities: dict = {}
    metadata_class = None  # OPTIONS answers 405: the schema describes every endpoint
    _counted = False

    def initial(self, request, *args, **kwargs):
        # The parsers read a body whole: refuse an oversized one before reading it.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_BODY:
            raise RequestTooLarge()
        super().initial(request, *args, **kwargs)

    def check_permissions(self, request):
        # The rate limit counts every request of a token, refused ones too, before anything
        # else is looked up.
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        if self._counted:
            return
        self._counted = True
        super().check_throttles(request)

    # -- filters ---------------------------------------------------------------------------------

    def param(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return None if value in (None, "") else value

    def id_param(self, name: str) -> int | None:
        raw = self.param(name)
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise invalid(name, "an id (a whole number)")
        return int(raw)

    def pick(self, queryset: QuerySet, name: str, pk: int | None, what: str):
        """The row `pk` of `queryset` (already scoped), or a 400 naming the field."""
        if pk is None:
            return None
        row = queryset.filter(pk=pk).first()
        if row is None:
            raise invalid(name, f"no {what} {pk} that you can see in this organisation")
        return row

    def wave_param(self, name: str = "wave") -> Wave | None:
        return self.pick(Wave.objects.for_org(self.org), name, self.id_param(name), "wave")

    def location_param(self, name: str = "location") -> Location | None:
        return self.pick(self.scope.locations(), name, self.id_param(name), "location")

    def time_param(self, name: str) -> dt.datetime | None:
        raw = self.param(name)
        if raw is None:
            return None
        when = None
        try:
            if len(raw) == 10 and (day := parse_date(raw)) is not None:  # a date: 00:00 UTC
                when = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
            else:
                when = parse_datetime(raw)
        except ValueError:
            when = None
        if when is None:
            raise invalid(name, "a date-time as ISO 8601 (2026-07-01T09:00:00Z)")
        if when.tzinfo is None:
            raise invalid(name, "give the time zone (Z or +01:00)")
        return when
