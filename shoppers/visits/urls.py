"""URLs of shoppers.visits (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
