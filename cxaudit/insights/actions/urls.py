from django.urls import path

from . import views

P = "o/<slug:org_slug>/actions/"

urlpatterns = [
    path(P, views.action_list, name="action_list"),
    path(f"{P}board/", views.action_board, name="action_board"),
    path(f"{P}new/", views.action_create, name="action_create"),
    path(f"{P}export.csv", views.action_export, {"fmt": "csv"}, name="action_export_csv"),
    path(f"{P}export.xlsx", views.action_export, {"fmt": "xlsx"}, name="action_export_xlsx"),
    path(f"{P}locations/<int:location_pk>/summary/", views.action_summary, name="action_summary"),
    path(f"{P}<int:pk>/", views.action_detail, name="action_detail"),
    path(f"{P}<int:pk>/edit/", views.action_edit, name="action_edit"),
    path(f"{P}<int:pk>/status/", views.action_status, name="action_status"),
    path(f"{P}<int:pk>/comments/", views.action_comment, name="action_comment"),
]
