"""Insights URLs: gap report download, dashboards, journey heatmap (one module each)."""

from django.urls import path

from . import views
from .actions.urls import urlpatterns as action_urlpatterns
from .kpis.urls import urlpatterns as kpi_urlpatterns
from .planning.urls import urlpatterns as planning_urlpatterns
from .urls_dashboard import dashboard_urlpatterns
from .urls_heatmap import heatmap_urlpatterns

app_name = "insights"

urlpatterns = [
    path(
        "o/<slug:org_slug>/insights/gaps/report/",
        views.gap_report_download,
        name="gap_report_download",
    ),
    *dashboard_urlpatterns,
    *heatmap_urlpatterns,
    *action_urlpatterns,
    *kpi_urlpatterns,
    *planning_urlpatterns,
]
