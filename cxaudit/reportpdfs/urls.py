"""PDF report cards: a shop's, a location's, zips of a wave and the organisation's setting."""

from django.urls import path

from . import views

app_name = "reportpdfs"

_org = "o/<slug:org_slug>/"

urlpatterns = [
    path(f"{_org}shop-reports/<int:pk>/pdf/", views.shop_pdf, name="shop_pdf"),
    path(
        f"{_org}insights/locations/<str:code>/report-card/pdf/",
        views.location_pdf,
        name="location_pdf",
    ),
    path(f"{_org}report-pdfs/", views.batches, name="batches"),
    path(f"{_org}report-pdfs/settings/", views.pdf_settings, name="settings"),
    path(f"{_org}report-pdfs/<int:pk>/", views.batch, name="batch"),
    path(f"{_org}report-pdfs/<int:pk>/status/", views.batch_status, name="batch_status"),
    path(f"{_org}report-pdfs/<int:pk>/download/", views.batch_download, name="batch_download"),
]
