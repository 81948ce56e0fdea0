from django.urls import path

from . import views

urlpatterns = [
    path("o/<slug:org_slug>/insights/plan/", views.wave_planner, name="wave_planner"),
]
