"""URLs of shoppers.reports (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
