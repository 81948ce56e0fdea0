"""URLs of shoppers.payouts (added to the "shoppers" namespace by shoppers/urls.py)."""

urlpatterns: list = []
