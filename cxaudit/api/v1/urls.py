"""/api/v1/: the schema, its docs, and the organisation's endpoints under /api/v1/o/<slug>/."""

from django.urls import path

from . import reads, writes
from .schema import DocsView, SchemaView

app_name = "api"

ORG = "o/<slug:org_slug>/"

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
    path(f"{ORG}journeys/", reads.JourneyList.as_view(), name="journeys"),
    path(f"{ORG}standards/", reads.StandardList.as_view(), name="standards"),
    path(f"{ORG}waves/", reads.WaveList.as_view(), name="waves"),
    path(f"{ORG}locations/", reads.LocationList.as_view(), name="locations"),
    path(f"{ORG}surveys/", reads.SurveyList.as_view(), name="surveys"),
    path(f"{ORG}surveys/<int:pk>/", reads.SurveyDetail.as_view(), name="survey"),
    path(f"{ORG}responses/", reads.ResponseList.as_view(), name="responses"),
    path(f"{ORG}shops/", reads.ShopList.as_view(), name="shops"),
    path(f"{ORG}gap-report/", reads.GapReport.as_view(), name="gap_report"),
    path(f"{ORG}action-items/", writes.ActionItems.as_view(), name="action_items"),
    path(f"{ORG}kpis/", reads.KpiList.as_view(), name="kpis"),
    path(f"{ORG}kpi-values/", writes.KpiValueWrite.as_view(), name="kpi_values"),
    path(f"{ORG}campaigns/", reads.CampaignList.as_view(), name="campaigns"),
    path(
        f"{ORG}campaigns/<int:pk>/launch/", writes.CampaignLaunch.as_view(), name="campaign_launch"
    ),
    path(f"{ORG}contacts/", writes.ContactWrite.as_view(), name="contacts"),
    path(
        f"{ORG}contact-imports/<int:pk>/",
        writes.ContactImportDetail.as_view(),
        name="contact_import",
    ),
    path(f"{ORG}response-imports/", writes.ResponseImportWrite.as_view(), name="response_imports"),
    path(
        f"{ORG}response-imports/<int:pk>/",
        writes.ResponseImportDetail.as_view(),
        name="response_import",
    ),
]
