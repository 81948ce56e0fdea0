"""Gap dashboard URLs (included by cxaudit/insights/urls.py)."""

dashboard_urlpatterns: list = []
