"""URLs of shoppers.review (added to the "shoppers" namespace by shoppers/urls.py): the review
queue, the review of a shop and its decisions (reviewers)."""

from django.urls import path

from . import views

R = "o/<slug:org_slug>/review/"
ONE = f"{R}shops/<int:pk>/"

urlpatterns: list = [
    path(R, views.review_queue, name="review_queue"),
    path(ONE, views.review, name="review"),
    path(f"{ONE}edit/", views.review_edit, name="review_edit"),
    path(f"{ONE}return/", views.review_return, name="review_return"),
    path(f"{ONE}approve/", views.review_approve, name="review_approve"),
    path(f"{ONE}reject/", views.review_reject, name="review_reject"),
]
