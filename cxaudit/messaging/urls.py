from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("dev/mailbox/", views.mailbox, name="mailbox"),
    path("dev/mailbox/<int:pk>/", views.mailbox_message, name="mailbox_message"),
    path("dev/mailbox/<int:pk>/html/", views.mailbox_html, name="mailbox_html"),
]
