from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path(
        "o/<slug:org_slug>/insights/gaps/report/",
        views.gap_report_download,
        name="gap_report_download",
    ),
]
