"""Errors answered before a request reaches the API's views (an address with a control
character refused by cxaudit.textinput, an unknown /api/v1/ address, a crash) in the API's one
JSON error shape rather than as the site's HTML error pages."""

from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse

from .v1.errors import body

PREFIX = "/api/v1/"
DOCS = ("/api/v1/docs/",)


class ApiErrorsAsJson:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(PREFIX)
            and not request.path.startswith(DOCS)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = HTTPStatus(response.status_code)
            code = status.phrase.lower().replace(" ", "_")
            return JsonResponse(body(f"{status.phrase}.", code), status=response.status_code)
        return response
