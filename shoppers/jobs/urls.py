"""URLs of shoppers.jobs (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
