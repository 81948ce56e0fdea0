"""Export URLs: the list of exports, starting one, its progress and its download."""

from django.urls import path

from . import views

app_name = "downloads"

P = "o/<slug:org_slug>/exports/"

urlpatterns = [
    path(P, views.export_list, name="export_list"),
    path(f"{P}new/", views.export_start, name="export_start"),
    path(f"{P}status.json", views.export_status, name="export_status"),
    path(f"{P}<uuid:public_id>/download/", views.export_download, name="export_download"),
]
