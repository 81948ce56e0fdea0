"""URLs of shoppers.visits (added to the "shoppers" namespace by shoppers/urls.py): the
shopper's home "My shops", a shop's page and its actions, the visit form (the form engine's
endpoints under the shop), the shop's evidence and the shopper's earnings."""

from django.urls import path

from . import views

H = "o/<slug:org_slug>/shop/"
ONE = f"{H}shops/<int:pk>/"
FORM = f"{ONE}form/"

urlpatterns: list = [
    path(H, views.home, name="home"),
    path(f"{H}earnings/", views.earnings, name="earnings"),
    path(ONE, views.assignment, name="assignment"),
    path(f"{ONE}release/", views.release, name="release"),
    path(f"{ONE}start/", views.start, name="start"),
    path(f"{ONE}visit/", views.record, name="record_visit"),
    path(f"{ONE}evidence/<uuid:key>/", views.evidence, name="visit_evidence"),
    path(FORM, views.VisitFormView.as_view(), name="visit_respond"),
    path(f"{FORM}autosave/", views.VisitAutosaveView.as_view(), name="visit_autosave"),
    path(f"{FORM}submit/", views.VisitSubmitView.as_view(), name="visit_submit"),
    path(f"{FORM}upload/", views.VisitUploadView.as_view(), name="visit_upload"),
    path(f"{FORM}done/", views.VisitReceiptView.as_view(), name="visit_receipt"),
]
