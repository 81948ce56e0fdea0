"""URLs of shoppers.scheduling (added to the "shoppers" namespace by shoppers/urls.py): the
staff's scenarios, shops one by one or in bulk, a shop's page and its actions (assign, take
back, cancel, offer, answer a request)."""

from django.urls import path

from . import views

P = "o/<slug:org_slug>/programme/"
SC = f"{P}scenarios/"
SH = f"{P}shops/"
ONE = f"{SH}<int:pk>/"

urlpatterns: list = [
    path(SC, views.scenario_list, name="scenario_list"),
    path(f"{SC}new/", views.scenario_create, name="scenario_create"),
    path(f"{SC}<int:pk>/edit/", views.scenario_edit, name="scenario_edit"),
    path(f"{SC}<int:pk>/archive/", views.scenario_archive, name="scenario_archive"),
    path(SH, views.shop_list, name="shop_list"),
    path(f"{SH}new/", views.shop_create, name="shop_create"),
    path(f"{SH}bulk/", views.shop_bulk, name="shop_bulk"),
    path(ONE, views.shop_detail, name="shop_detail"),
    path(f"{ONE}assign/", views.shop_assign, name="shop_assign"),
    path(f"{ONE}unassign/", views.shop_unassign, name="shop_unassign"),
    path(f"{ONE}cancel/", views.shop_cancel, name="shop_cancel"),
    path(f"{ONE}offer/", views.shop_offer, name="shop_offer"),
    path(f"{ONE}requests/<int:request_pk>/accept/", views.request_accept, name="request_accept"),
    path(f"{ONE}requests/<int:request_pk>/decline/", views.request_decline, name="request_decline"),
]
