"""URLs of shoppers.jobs (added to the "shoppers" namespace by shoppers/urls.py): the job board,
a job's page, taking, requesting or withdrawing a request, and answering an offer."""

from django.urls import path

from . import views

J = "o/<slug:org_slug>/shop/jobs/"
ONE = f"{J}<int:pk>/"

urlpatterns: list = [
    path(J, views.board, name="jobs"),
    path(ONE, views.job, name="job"),
    path(f"{ONE}take/", views.take, name="job_take"),
    path(f"{ONE}request/", views.request_job, name="job_request"),
    path(f"{ONE}withdraw/", views.withdraw, name="job_withdraw"),
    path(f"{ONE}offer/accept/", views.accept_offer, name="offer_accept"),
    path(f"{ONE}offer/decline/", views.decline_offer, name="offer_decline"),
]
