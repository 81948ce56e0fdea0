"""URLs of shoppers.reports (added to the "shoppers" namespace by shoppers/urls.py): a shop's
report card and its print view (staff, managers of its location once approved, its shopper)."""

from django.urls import path

from . import views

ONE = "o/<slug:org_slug>/shop-reports/<int:pk>/"

urlpatterns: list = [
    path(ONE, views.shop_report, name="shop_report"),
    path(f"{ONE}print/", views.shop_report_print, name="shop_report_print"),
]
