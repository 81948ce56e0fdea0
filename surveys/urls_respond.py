"""Respondent-facing form engine URLs (fill, autosave, submit, preview, evidence)."""

respond_urlpatterns: list = []
