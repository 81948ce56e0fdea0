"""The API tokens page (the API itself is in v1/urls.py)."""

from django.urls import path

from . import views

app_name = "api_tokens"

urlpatterns = [
    path("o/<slug:org_slug>/api-tokens/", views.token_list, name="list"),
    path("o/<slug:org_slug>/api-tokens/new/", views.token_create, name="create"),
    path("o/<slug:org_slug>/api-tokens/<int:pk>/revoke/", views.token_revoke, name="revoke"),
]
