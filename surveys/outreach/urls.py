"""Customer outreach URLs (included by surveys/urls.py, namespace "surveys"): the staff pages
under the organisation, and the customer's pages without it (no login)."""

from django.urls import path

from . import public, views

STAFF = "o/<slug:org_slug>/outreach/"
R = "r/<uuid:key>/"

# The customer's pages (public; docs/outreach.md), first in the URL list: every view of a
# customer's survey page resolves its address, and the staff patterns need not be tried first.
public_urlpatterns = [
    path(R, public.RespondView.as_view(), name="outreach_respond"),
    path(f"{R}autosave/", public.AutosaveView.as_view(), name="outreach_autosave"),
    path(f"{R}submit/", public.SubmitView.as_view(), name="outreach_submit"),
    path(f"{R}upload/", public.UploadView.as_view(), name="outreach_upload"),
    path(f"{R}thanks/", public.ReceiptView.as_view(), name="outreach_receipt"),
    path(f"{R}evidence/<uuid:evidence>/", public.EvidenceView.as_view(), name="outreach_evidence"),
    path("i/<str:token>/", public.link, name="outreach_link"),
    path("q/<str:key>/", public.anonymous, name="outreach_anonymous"),
    path("u/<str:value>/", public.unsubscribe, name="outreach_unsubscribe"),
]

urlpatterns = [
    # staff
    path(f"{STAFF}contacts/", views.contact_list, name="outreach_contacts"),
    path(
        f"{STAFF}contacts/<int:pk>/suppress/",
        views.contact_suppress,
        name="outreach_contact_suppress",
    ),
    path(f"{STAFF}contacts/import/", views.contact_import_new, name="outreach_import_new"),
    path(
        f"{STAFF}contacts/imports/<int:pk>/",
        views.contact_import_detail,
        name="outreach_import_detail",
    ),
    path(
        f"{STAFF}contacts/imports/<int:pk>/status.json",
        views.contact_import_status,
        name="outreach_import_status",
    ),
    path(f"{STAFF}campaigns/", views.campaign_list, name="outreach_campaigns"),
    path(f"{STAFF}campaigns/new/", views.campaign_edit, name="outreach_campaign_new"),
    path(f"{STAFF}campaigns/<int:pk>/", views.campaign_detail, name="outreach_campaign"),
    path(f"{STAFF}campaigns/<int:pk>/edit/", views.campaign_edit, name="outreach_campaign_edit"),
    path(
        f"{STAFF}campaigns/<int:pk>/status.json",
        views.campaign_status,
        name="outreach_campaign_status",
    ),
    path(
        f"{STAFF}campaigns/<int:pk>/preview/",
        views.campaign_preview,
        name="outreach_campaign_preview",
    ),
    path(
        f"{STAFF}campaigns/<int:pk>/preview.html",
        views.campaign_preview_html,
        name="outreach_campaign_preview_html",
    ),
    path(f"{STAFF}campaigns/<int:pk>/test/", views.campaign_test, name="outreach_campaign_test"),
    path(
        f"{STAFF}campaigns/<int:pk>/launch/", views.campaign_launch, name="outreach_campaign_launch"
    ),
    path(
        f"{STAFF}campaigns/<int:pk>/cancel/", views.campaign_cancel, name="outreach_campaign_cancel"
    ),
    path(f"{STAFF}campaigns/<int:pk>/close/", views.campaign_close, name="outreach_campaign_close"),
    path(
        f"{STAFF}campaigns/<int:pk>/resend/", views.campaign_resend, name="outreach_campaign_resend"
    ),
    path(
        f"{STAFF}campaigns/<int:pk>/anonymous/",
        views.campaign_anonymous,
        name="outreach_campaign_anonymous",
    ),
    path(
        f"{STAFF}campaigns/<int:pk>/invitations.csv",
        views.campaign_export,
        name="outreach_campaign_export",
    ),
]
