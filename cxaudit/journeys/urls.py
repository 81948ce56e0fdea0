from django.urls import path

from . import views, views_items

app_name = "journeys"

J = "o/<slug:org_slug>/journeys/"
W = "o/<slug:org_slug>/waves/"

urlpatterns = [
    path(J, views.journey_list, name="journey_list"),
    path(f"{J}new/", views.journey_create, name="journey_create"),
    path(f"{J}import/", views.journey_import, name="journey_import"),
    path(f"{J}export/", views.journey_export_all, name="journey_export_all"),
    path(f"{J}<int:pk>/", views.journey_detail, name="journey_detail"),
    path(f"{J}<int:pk>/map/", views.journey_map, name="journey_map"),
    path(f"{J}<int:pk>/edit/", views.journey_edit, name="journey_edit"),
    path(f"{J}<int:pk>/export/", views.journey_export, name="journey_export"),
    path(f"{J}<int:pk>/duplicate/", views.journey_duplicate, name="journey_duplicate"),
    path(f"{J}<int:pk>/archive/", views.journey_archive, name="journey_archive"),
    path(f"{J}<int:pk>/restore/", views.journey_restore, name="journey_restore"),
    path(f"{J}<int:pk>/delete/", views.journey_delete, name="journey_delete"),
    path(f"{J}<int:pk>/stages/new/", views_items.stage_create, name="stage_create"),
    path(f"{J}stages/<int:pk>/edit/", views_items.stage_edit, name="stage_edit"),
    path(f"{J}stages/<int:pk>/move/", views_items.stage_move, name="stage_move"),
    path(f"{J}stages/<int:pk>/delete/", views_items.stage_delete, name="stage_delete"),
    path(
        f"{J}stages/<int:pk>/touchpoints/new/",
        views_items.touchpoint_create,
        name="touchpoint_create",
    ),
    path(f"{J}touchpoints/<int:pk>/edit/", views_items.touchpoint_edit, name="touchpoint_edit"),
    path(f"{J}touchpoints/<int:pk>/move/", views_items.touchpoint_move, name="touchpoint_move"),
    path(
        f"{J}touchpoints/<int:pk>/delete/",
        views_items.touchpoint_delete,
        name="touchpoint_delete",
    ),
    path(
        f"{J}touchpoints/<int:pk>/standards/new/",
        views_items.standard_create,
        name="standard_create",
    ),
    path(f"{J}standards/<int:pk>/edit/", views_items.standard_edit, name="standard_edit"),
    path(f"{J}standards/<int:pk>/move/", views_items.standard_move, name="standard_move"),
    path(f"{J}standards/<int:pk>/delete/", views_items.standard_delete, name="standard_delete"),
    path(W, views.wave_list, name="wave_list"),
    path(f"{W}new/", views.wave_edit, name="wave_create"),
    path(f"{W}<int:pk>/", views.wave_edit, name="wave_edit"),
    path(f"{W}<int:pk>/open/", views.wave_open, name="wave_open"),
    path(f"{W}<int:pk>/close/", views.wave_close, name="wave_close"),
]
