"""Gap dashboard URLs (included by cxaudit/insights/urls.py)."""

from django.urls import path

from . import views_dashboard

dashboard_urlpatterns: list = [
    path("o/<slug:org_slug>/insights/", views_dashboard.gap_dashboard, name="dashboard"),
    path(
        "o/<slug:org_slug>/insights/standards/<int:pk>/",
        views_dashboard.standard_detail,
        name="standard_detail",
    ),
]
