"""URLs of shoppers.scheduling (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
