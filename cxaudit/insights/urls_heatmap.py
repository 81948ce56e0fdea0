"""Journey heatmap, drill-down, league table and report card URLs (included by urls.py)."""

from django.urls import path

from . import views_heatmap as views

_base = "o/<slug:org_slug>/insights/"

heatmap_urlpatterns: list = [
    path(f"{_base}heatmap/", views.heatmap, name="heatmap"),
    path(
        f"{_base}heatmap/touchpoints/<int:pk>/",
        views.heatmap_touchpoint,
        name="heatmap_touchpoint",
    ),
    path(f"{_base}league/", views.league, name="league"),
    path(f"{_base}locations/<str:code>/report-card/", views.report_card, name="report_card"),
]
