from django.urls import path

from . import views

P = "o/<slug:org_slug>/outbox/"

outbox_urlpatterns = [
    path(P, views.outbox_list, name="outbox_list"),
    path(f"{P}<int:pk>/", views.outbox_detail, name="outbox_detail"),
    path(f"{P}<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
]
