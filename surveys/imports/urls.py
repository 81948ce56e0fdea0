"""Responses CSV import URLs (included by surveys/urls.py)."""

from django.urls import path

from . import views

P = "o/<slug:org_slug>/responses/imports/"

urlpatterns = [
    path(P, views.import_list, name="import_list"),
    path(f"{P}new/", views.import_new, name="import_new"),
    path(f"{P}template/<str:survey_code>.csv", views.import_template, name="import_template"),
    path(f"{P}<int:pk>/", views.import_detail, name="import_detail"),
    path(f"{P}<int:pk>/status.json", views.import_status, name="import_status"),
]
