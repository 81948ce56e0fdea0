from django.urls import path

from . import views
from .outbox.urls import outbox_urlpatterns

app_name = "accounts"

urlpatterns = [
    path("orgs/new/", views.org_create, name="org_create"),
    path("o/<slug:org_slug>/", views.org_home, name="org_home"),
    path("o/<slug:org_slug>/settings/", views.org_settings, name="org_settings"),
    path("o/<slug:org_slug>/locations/", views.location_list, name="location_list"),
    path("o/<slug:org_slug>/locations/new/", views.location_edit, name="location_create"),
    path("o/<slug:org_slug>/locations/import/", views.location_import, name="location_import"),
    path("o/<slug:org_slug>/locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("o/<slug:org_slug>/members/", views.member_list, name="member_list"),
    path("o/<slug:org_slug>/members/new/", views.member_add, name="member_add"),
    path("o/<slug:org_slug>/members/<int:pk>/", views.member_edit, name="member_edit"),
    path("o/<slug:org_slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    *outbox_urlpatterns,
]
