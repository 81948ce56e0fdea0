"""URLs of shoppers.signup (added to the "shoppers" namespace by shoppers/urls.py): the public
sign-up page, the shopper's profile and certification quizzes (the form engine's endpoints
under the quiz attempt)."""

from django.urls import path

from . import views

H = "o/<slug:org_slug>/shop/"
QUIZ = f"{H}quiz/<int:pk>/"

urlpatterns: list = [
    path("join/<slug:org_slug>/", views.join, name="join"),
    path(f"{H}profile/", views.profile, name="profile"),
    path(f"{H}certifications/<int:pk>/", views.certification, name="certification"),
    path(
        f"{H}certifications/<int:pk>/start/",
        views.certification_start,
        name="certification_start",
    ),
    path(QUIZ, views.QuizFormView.as_view(), name="quiz_respond"),
    path(f"{QUIZ}autosave/", views.QuizAutosaveView.as_view(), name="quiz_autosave"),
    path(f"{QUIZ}submit/", views.QuizSubmitView.as_view(), name="quiz_submit"),
    path(f"{QUIZ}upload/", views.QuizUploadView.as_view(), name="quiz_upload"),
    path(f"{QUIZ}result/", views.QuizResultView.as_view(), name="quiz_receipt"),
]
