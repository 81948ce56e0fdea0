"""Every API error as one JSON shape: what went wrong, a stable code, and each problem with the
field it is about and why:

    {"detail": "The request is not valid.", "code": "invalid",
     "errors": [{"field": "wave", "reason": "No wave 12 in this organisation."}]}

Domain errors of the services (cxaudit/errors.py) become 400 (409 for a state that changed)
with the field they name."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed

INVALID = "The request is not valid."


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested error detail as [{field, reason}] with dotted paths (answers.0.value)."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(detail, list):
        if all(not isinstance(x, dict | list) for x in detail):
            return [{"field": prefix or None, "reason": str(x)} for x in detail]
        out = []
        for i, value in enumerate(detail):
            if value:
                out += _flatten(value, f"{prefix}.{i}" if prefix else str(i))
        return out
    return [{"field": prefix or None, "reason": str(detail)}]


def body(detail: str, code: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or []}


def handler(exc, context):
    """DRF's exception handler, answering in the one error shape."""
    if isinstance(exc, ValidationFailed):
        errors = [{"field": where, "reason": why} for where, why in exc.errors]
        set_rollback()
        return Response(body(exc.message, "invalid", errors), status=400)
    if isinstance(exc, DomainError):
        set_rollback()
        conflict = isinstance(exc, InvalidTransition)
        return Response(
            body(
                exc.message,
                "conflict" if conflict else "invalid",
                [{"field": exc.field, "reason": exc.message}],
            ),
            status=409 if conflict else 400,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied("Your role does not allow this.")
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 page and the log
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        payload = body(INVALID, "invalid", _flatten(exc.detail))
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        payload = body(str(detail), code)
    set_rollback()
    return Response(payload, status=exc.status_code, headers=headers)
