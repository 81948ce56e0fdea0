"""Self-assessment round URLs (included by surveys/urls.py)."""

selfassess_urlpatterns: list = []
