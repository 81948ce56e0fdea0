"""Respondent-facing form engine URLs (fill, autosave, submit, preview, evidence)."""

from django.urls import path

from . import views

_draft = "o/<slug:org_slug>/respond/<uuid:client_id>/"

urlpatterns: list = [
    path(_draft, views.RespondView.as_view(), name="respond"),
    path(f"{_draft}autosave/", views.AutosaveView.as_view(), name="autosave"),
    path(f"{_draft}submit/", views.SubmitView.as_view(), name="submit"),
    path(f"{_draft}upload/", views.UploadView.as_view(), name="upload"),
    path(f"{_draft}done/", views.ReceiptView.as_view(), name="receipt"),
    path(
        "o/<slug:org_slug>/evidence/<uuid:key>/",
        views.EvidenceFileView.as_view(),
        name="evidence_file",
    ),
    path(
        "o/<slug:org_slug>/surveys/<int:pk>/preview/",
        views.PreviewView.as_view(),
        name="preview",
    ),
    path("forms/csrf-token/", views.csrf_token, name="csrf_token"),
]
