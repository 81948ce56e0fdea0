"""URLs for the Celery worker of tests/shoppers/test_tasks.py while the shopper pages are not
merged yet: the site's URLs, with placeholder pages for the URL names the programme's emails
link to (shoppers:assignment, :job, :jobs, :join) that shoppers/urls.py does not have. Every
name the real shoppers/urls.py has is its own; once all four exist this adds nothing (and
test_tasks.py stops using it)."""

from django.http import HttpResponse
from django.urls import include, path

from cxaudit.urls import urlpatterns as site
from shoppers import urls as shopper_urls


def _placeholder(request, **kwargs):  # pragma: no cover - never requested, only reversed
    return HttpResponse("")


PLACEHOLDERS = [
    path("o/<slug:org_slug>/shops/<int:pk>/", _placeholder, name="assignment"),
    path("o/<slug:org_slug>/jobs/<int:pk>/", _placeholder, name="job"),
    path("o/<slug:org_slug>/jobs/", _placeholder, name="jobs"),
    path("join/<slug:org_slug>/", _placeholder, name="join"),
]
_have = {getattr(p, "name", None) for p in shopper_urls.urlpatterns}
_missing = [p for p in PLACEHOLDERS if p.name not in _have]

urlpatterns = [
    *(p for p in site if getattr(p, "namespace", None) != "shoppers"),
    path("", include(([*shopper_urls.urlpatterns, *_missing], "shoppers"))),
]
