"""The OpenAPI document: every operation also documents the error answers it may give, in the
one error shape (errors.py), so that clients (and the schema tests) can rely on them."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

ERRORS = {
    "400": "The input is not valid: each problem names its field and why.",
    "401": "No token, or a token that is not valid or was revoked.",
    "403": "Your role does not allow this.",
    "404": "No such organisation or object for this token.",
    "429": "Too many requests for this token: wait `Retry-After` seconds.",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail", "code", "errors"],
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string", "nullable": True},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}
WRITE_ERRORS = {
    "413": "The body is larger than 25 MB.",
    "409": "The object changed meanwhile, or the Idempotency-Key is still in use.",
    "422": "This Idempotency-Key was used for another request.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/o/"):
            continue
        for method, operation in operations.items():
            errors = dict(ERRORS)
            if method == "post":
                errors |= WRITE_ERRORS
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                responses.setdefault(code, {"description": description, "content": ref})
    return result


class SchemaView(SpectacularAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar (served by the app, no CDN), its start-up script
    in a file of its own so that the Content-Security-Policy needs no inline script."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    template_name = "api/swagger_ui.html"
    url_name = "api:schema"
