"""URLs of shoppers.payouts (added to the "shoppers" namespace by shoppers/urls.py): what is
owed, payout batches, marking one paid and its CSV (program admins)."""

from django.urls import path

from . import views

P = "o/<slug:org_slug>/payouts/"
ONE = f"{P}<int:pk>/"

urlpatterns: list = [
    path(P, views.payouts, name="payouts"),
    path(f"{P}new/", views.payout_create, name="payout_create"),
    path(ONE, views.payout_batch, name="payout_batch"),
    path(f"{ONE}paid/", views.payout_paid, name="payout_paid"),
    path(f"{ONE}csv/", views.payout_batch_csv, name="payout_batch_csv"),
]
