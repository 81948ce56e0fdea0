"""URLs of shoppers.signup (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
