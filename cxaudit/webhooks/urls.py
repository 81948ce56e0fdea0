from django.urls import path

from . import views

app_name = "webhooks"

P = "o/<slug:org_slug>/webhooks/"

urlpatterns = [
    path(P, views.endpoint_list, name="endpoint_list"),
    path(f"{P}new/", views.endpoint_create, name="endpoint_create"),
    path(f"{P}<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path(f"{P}<int:pk>/edit/", views.endpoint_edit, name="endpoint_edit"),
    path(f"{P}<int:pk>/disable/", views.endpoint_disable, name="endpoint_disable"),
    path(f"{P}<int:pk>/secret/", views.endpoint_rotate_secret, name="endpoint_rotate_secret"),
    path(f"{P}deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path(f"{P}deliveries/<int:pk>/replay/", views.delivery_replay, name="delivery_replay"),
]
