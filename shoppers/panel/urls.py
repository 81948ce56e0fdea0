"""URLs of shoppers.panel (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
