"""Self-assessment round URLs (included by surveys/urls.py): staff launch and close rounds;
managers see and start their own self-assessments."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("o/<slug:org_slug>/self-assessments/", views.my_list, name="selfassess_mine"),
    path(
        "o/<slug:org_slug>/self-assessments/<int:pk>/start/",
        views.start,
        name="selfassess_start",
    ),
    path("o/<slug:org_slug>/self-assessment-rounds/", views.round_list, name="selfassess_rounds"),
    path(
        "o/<slug:org_slug>/self-assessment-rounds/new/",
        views.round_launch,
        name="selfassess_launch",
    ),
    path(
        "o/<slug:org_slug>/self-assessment-rounds/<int:pk>/close/",
        views.round_close,
        name="selfassess_close",
    ),
]
