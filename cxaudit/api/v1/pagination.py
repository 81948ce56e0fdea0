"""Cursor pagination by keyset: a page is the rows after the last one of the previous page in a
fixed order (`(updated_at, id)` for responses and shops, `id` elsewhere), so a page costs the
same at row 10 and at row 10,000,000 and rows added meanwhile are neither skipped nor repeated.

The cursor is opaque to clients (URL-safe base64 of the last row's key); `next` is the URL of
the next page, null on the last one."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


def _invalid(field: str, reason: str) -> ValidationError:
    return ValidationError({field: [reason]})


def page_size(request) -> int:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return settings.CXAUDIT_API_PAGE_SIZE
    top = settings.CXAUDIT_API_MAX_PAGE_SIZE
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= top:
        raise _invalid("limit", f"a whole number from 1 to {top}")
    return int(raw)


def _encode(values: list) -> str:
    text = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, timed: bool) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if timed:
            when, pk = values
            when = datetime.fromisoformat(when)
            if when.tzinfo is None:
                raise ValueError("naive time")
            return [when, int(pk)]
        (pk,) = values
        return [int(pk)]
    except (ValueError, TypeError, binascii.Error, UnicodeError, json.JSONDecodeError) as exc:
        raise _invalid("cursor", "not a cursor this API gave (use `next` as it is)") from exc


@dataclass
class Page:
    """One page: `rows` (at most the page size) and the URL of the `next` page (None at the
    end). Rows may be model instances or `values()` dicts holding `id` (and `updated_at`)."""

    rows: list
    next: str | None

    @classmethod
    def of(cls, request, queryset: QuerySet, *, timed: bool = False) -> Page:
        """The page of `queryset` the request asks for; `timed`: ordered by (updated_at, id),
        else by id."""
        size = page_size(request)
        queryset = queryset.order_by(*(("updated_at", "id") if timed else ("id",)))
        if cursor := request.query_params.get("cursor"):
            key = _decode(cursor, timed)
            if timed:
                when, pk = key
                queryset = queryset.filter(Q(updated_at__gt=when) | Q(updated_at=when, id__gt=pk))
            else:
                queryset = queryset.filter(id__gt=key[0])
        rows = list(queryset[: size + 1])
        if len(rows) <= size:
            return cls(rows, None)
        rows = rows[:size]
        last = rows[-1]
        get = last.get if isinstance(last, dict) else lambda name: getattr(last, name)
        key = [get("updated_at").isoformat(), get("id")] if timed else [get("id")]
        url = replace_query_param(request.build_absolute_uri(), "cursor", _encode(key))
        return cls(rows, url)

    def response(self, results: list) -> Response:
        return Response({"results": results, "next": self.next})


def page_serializer(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a page of `item`s (named after it: ResponsePage…)."""
    name = item.__name__.removesuffix("Serializer") + "Page"
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
        },
    )
