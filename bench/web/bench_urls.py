"""Every URL of cxaudit, and /bench/minimal/: a view that does nothing, behind the same
middleware, the ceiling of what the server can answer."""

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/minimal/", minimal),
    path("", include("cxaudit.urls")),
]
handler403 = "cxaudit.accounts.errors.permission_denied"
