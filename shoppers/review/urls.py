"""URLs of shoppers.review (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
