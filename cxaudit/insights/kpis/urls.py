from django.urls import path

from . import views

P = "o/<slug:org_slug>/kpis/"

urlpatterns = [
    path(P, views.kpi_list, name="kpi_list"),
    path(f"{P}new/", views.kpi_edit, name="kpi_create"),
    path(f"{P}import/", views.kpi_import, name="kpi_import"),
    path(f"{P}<int:pk>/", views.kpi_edit, name="kpi_edit"),
]
