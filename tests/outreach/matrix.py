"""Permission matrix rows of customer outreach's staff pages (the customer's own pages take no
organisation in their URL: tests/outreach/test_views.py checks them for every role)."""

from django.core.files.base import ContentFile

from cxaudit.accounts.permissions import Cap
from surveys.models import Campaign, Contact, ContactImport
from tests.matrix_row import Row
from tests.outreach.helpers import campaign


def _campaign(org):
    found = Campaign.objects.filter(organization=org, name="Matrix").first()
    return {"pk": (found or campaign(org, name="Matrix")).pk}


def _contact(org):
    contact, _ = Contact.objects.get_or_create(organization=org, email="matrix@example.test")
    return {"pk": contact.pk}


def _import(org):
    imp = ContactImport.objects.filter(organization=org).first()
    if imp is None:
        imp = ContactImport(organization=org, original_name="m.csv")
        imp.file.save("m.csv", ContentFile(b"email\n"), save=True)
    return {"pk": imp.pk}


ROWS: list[Row] = [
    Row("surveys:outreach_contacts", Cap.MANAGE_CAMPAIGNS),
    Row("surveys:outreach_contact_suppress", Cap.MANAGE_CAMPAIGNS, _contact, "post"),
    Row("surveys:outreach_import_new", Cap.MANAGE_CAMPAIGNS),
    Row("surveys:outreach_import_detail", Cap.MANAGE_CAMPAIGNS, _import),
    Row("surveys:outreach_import_status", Cap.MANAGE_CAMPAIGNS, _import),
    Row("surveys:outreach_campaigns", Cap.VIEW_CAMPAIGNS),
    Row("surveys:outreach_campaign_new", Cap.MANAGE_CAMPAIGNS),
    Row("surveys:outreach_campaign", Cap.VIEW_CAMPAIGNS, _campaign),
    Row("surveys:outreach_campaign_edit", Cap.MANAGE_CAMPAIGNS, _campaign),
    Row("surveys:outreach_campaign_status", Cap.VIEW_CAMPAIGNS, _campaign),
    Row("surveys:outreach_campaign_preview", Cap.MANAGE_CAMPAIGNS, _campaign),
    Row("surveys:outreach_campaign_preview_html", Cap.MANAGE_CAMPAIGNS, _campaign),
    Row("surveys:outreach_campaign_test", Cap.MANAGE_CAMPAIGNS, _campaign, "post"),
    Row("surveys:outreach_campaign_launch", Cap.MANAGE_CAMPAIGNS, _campaign, "post"),
    Row("surveys:outreach_campaign_cancel", Cap.MANAGE_CAMPAIGNS, _campaign, "post"),
    Row("surveys:outreach_campaign_close", Cap.MANAGE_CAMPAIGNS, _campaign, "post"),
    Row("surveys:outreach_campaign_resend", Cap.MANAGE_CAMPAIGNS, _campaign, "post"),
    Row("surveys:outreach_campaign_anonymous", Cap.MANAGE_CAMPAIGNS, _campaign, "post"),
    Row("surveys:outreach_campaign_export", Cap.MANAGE_CAMPAIGNS, _campaign),
]
