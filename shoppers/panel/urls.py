"""URLs of shoppers.panel (added to the "shoppers" namespace by shoppers/urls.py): the staff's
list of shoppers, a shopper's page and its decisions, and the programme's settings."""

from django.urls import path

from . import views

P = "o/<slug:org_slug>/programme/"
ONE = f"{P}shoppers/<int:pk>/"

urlpatterns: list = [
    path(f"{P}shoppers/", views.panel, name="panel"),
    path(ONE, views.shopper_detail, name="shopper_detail"),
    path(f"{ONE}approve/", views.shopper_approve, name="shopper_approve"),
    path(f"{ONE}decline/", views.shopper_decline, name="shopper_decline"),
    path(f"{ONE}deactivate/", views.shopper_deactivate, name="shopper_deactivate"),
    path(f"{ONE}exclusions/", views.shopper_exclusions, name="shopper_exclusions"),
    path(f"{P}settings/", views.programme_settings, name="programme_settings"),
]
