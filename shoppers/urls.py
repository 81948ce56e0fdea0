app_name = "shoppers"

urlpatterns: list = []
