"""`Idempotency-Key` on writes: a client that retries a write (a timeout, a lost answer) with
the same key gets the first answer back, and the write is done once.

The first request with a key claims it (a row unique per token and key) in the transaction of
the write; the answer is stored with it when the write succeeded. The same key again: the
stored answer (with `Idempotent-Replayed: true`); the same key with another method, path or
body: 422; while the first is still running: 409. A refused write (4xx) stores nothing, so it
can be corrected and sent again with the same key. Keys are kept for a day."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from ..models import IdempotentRequest

HEADER = "Idempotency-Key"
KEEP = timedelta(days=1)


class KeyReused(APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for another request."
    default_code = "idempotency_key_reused"


class KeyInFlight(APIException):
    status_code = 409
    default_detail = "A request with this Idempotency-Key is still being processed; retry later."
    default_code = "idempotency_key_in_flight"


def _fingerprint(request) -> str:
    """SHA-256 of the method, the path and the parsed body (uploaded files by content), read
    through the parsers so that the request body's own size limits apply."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    fields = sorted(data.lists()) if hasattr(data, "lists") else data
    digest.update(json.dumps(fields, sort_keys=True, default=repr).encode())
    for name, upload in sorted(request.FILES.items()):
        digest.update(f"\n{name}\n".encode())
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    return digest.hexdigest()


def _replay(row: IdempotentRequest, fingerprint: str) -> Response:
    if row.fingerprint != fingerprint:
        raise KeyReused()
    if row.status_code is None:
        raise KeyInFlight()
    return Response(row.body, status=row.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent(handler):
    """Decorate a view's write method (see the module docstring)."""

    @wraps(handler)
    def wrapped(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 1 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
            raise ValidationError({HEADER: ["1 to 200 printable ASCII characters"]})
        token = request.auth
        fingerprint = _fingerprint(request)
        row = IdempotentRequest.objects.filter(token=token, key=key).first()
        if row is not None:
            return _replay(row, fingerprint)
        IdempotentRequest.objects.filter(token=token, created_at__lt=timezone.now() - KEEP).delete()
        try:
            with transaction.atomic():
                row = IdempotentRequest.objects.create(
                    token=token, key=key, fingerprint=fingerprint
                )
                response = handler(view, request, *args, **kwargs)
                if response.status_code >= 300:
                    raise _NotKept(response)
                row.status_code, row.body = response.status_code, response.data
                row.save(update_fields=["status_code", "body"])
        except _NotKept as exc:
            return exc.response
        except IntegrityError:
            # Another request with this key claimed it first and has finished meanwhile.
            row = IdempotentRequest.objects.filter(token=token, key=key).first()
            if row is None:
                raise
            return _replay(row, fingerprint)
        return response

    return wrapped


class _NotKept(Exception):
    """Leaves the claim's transaction without keeping it (the write answered an error)."""

    def __init__(self, response):
        super().__init__()
        self.response = response
