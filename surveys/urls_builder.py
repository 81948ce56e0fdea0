"""Staff questionnaire builder URLs (included by surveys/urls.py)."""

builder_urlpatterns: list = []
