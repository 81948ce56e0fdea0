from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cxaudit import helpdocs
from cxaudit.accounts import views as account_views
from cxaudit.accounts.forms import EmailAuthenticationForm, OutboxPasswordResetForm

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    # The documents of docs/ as help pages (formats, statistics…).
    path("help/", helpdocs.index, name="help_index"),
    path("help/<slug:name>/", helpdocs.page, name="help_page"),
    # Browsers ask for /favicon.ico whatever the page says: send them to the icon.
    path("favicon.ico", account_views.favicon, name="favicon"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("surveys.urls")),  # first of the apps: the customer's pages lead it
    path("", include("cxaudit.accounts.urls")),
    path("", include("cxaudit.journeys.urls")),
    path("", include("shoppers.urls")),
    path("", include("cxaudit.insights.urls")),
    path("", include("cxaudit.webhooks.urls")),
    path("", include("cxaudit.reportpdfs.urls")),
    path("", include("cxaudit.downloads.urls")),
    path("", include("cxaudit.messaging.urls")),  # the development mailbox (DEBUG only)
    path("", include("cxaudit.api.urls")),  # the API tokens page
    path("api/v1/", include("cxaudit.api.v1.urls")),  # the REST API (docs/api.md)
]

handler403 = "cxaudit.accounts.errors.permission_denied"
