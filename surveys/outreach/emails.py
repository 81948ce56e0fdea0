"""The emails of customer outreach, registered as outbox purposes (SurveysConfig.ready).

Each is built when it is sent (cxaudit.messaging calls `build`): the invitation is loaded again
and the email goes only if it is still wanted — not answered, not unsubscribed, not expired, its
campaign neither cancelled nor closed (Skip otherwise). Only then is a personal token made:
`secrets.token_urlsafe(32)` (256 bits), of which only the SHA-256 is stored (InvitationLink); the
token itself lives in the email alone. Every email (the invitation, each reminder, a retry after
a failed attempt) carries a token of its own to the same invitation.

The words around the campaign's message are translated into the invitation's language; the body
is rendered here, under that language, and handed to the template triple ready-made.
"""

from __future__ import annotations

import secrets
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

from . import personalise
from .models import Campaign, Contact, Invitation, InvitationLink, token_hash

INVITATION = "outreach.invitation"
REMINDER = "outreach.reminder"
TEST = "outreach.test"
TEMPLATE = "emails/outreach/email"
UNSUBSCRIBE_SALT = "surveys.outreach.unsubscribe"


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_value(contact: Contact) -> str:
    """The signed, non-expiring value of a contact's unsubscribe link (not a survey token)."""
    return signing.dumps(
        [contact.organization_id, contact.pk], salt=UNSUBSCRIBE_SALT, compress=True
    )


def unsubscribe_url(contact: Contact) -> str:
    return absolute(reverse("surveys:outreach_unsubscribe", args=[unsubscribe_value(contact)]))


def contact_from_unsubscribe(value: str) -> Contact | None:
    try:
        org_id, contact_id = signing.loads(value, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return Contact.objects.filter(pk=contact_id, organization_id=org_id).first()


def from_address(sender_name: str) -> str:
    """The campaign's sender name on the site's own address."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = personalise.clean_value(sender_name).replace('"', "")
    return formataddr((name, address or "no-reply@localhost"))


def values_for(campaign: Campaign, contact: Contact | None, location=None) -> dict[str, str]:
    """The placeholder values of one email (see personalise.PLACEHOLDERS)."""
    first = contact.first_name if contact else ""
    last = contact.last_name if contact else ""
    place = location or (contact.location if contact else None) or campaign.location
    return {
        "first_name": first,
        "last_name": last,
        "full_name": " ".join(p for p in (first, last) if p),
        "location_name": place.name if place else "",
        "survey_title": campaign.survey.title,
        "sender_name": campaign.sender_name,
        "expiry_date": formats.date_format(timezone.localtime(campaign.expires_at), "j F Y"),
    }


def compose(
    *,
    campaign: Campaign,
    values: dict[str, str],
    url: str,
    language: str,
    reminder: int = 0,
    unsubscribe: str = "",
    test: bool = False,
) -> dict[str, str]:
    """Subject, text body and HTML body of one email, in `language`."""
    with translation.override(language):
        expiry = formats.date_format(timezone.localtime(campaign.expires_at), "j F Y")
        values = {**values, "expiry_date": expiry}
        subject = personalise.fill(campaign.subject_template, values)
        if reminder:
            subject = translation.gettext("Reminder: %(subject)s") % {"subject": subject}
        if test:
            subject = "[TEST] " + subject
        context = {
            "campaign": campaign,
            "message_text": personalise.fill(campaign.message_template, values),
            "message_html": mark_safe(personalise.fill_html(campaign.message_template, values)),  # noqa: S308 - escaped by fill_html
            "url": url,
            "expiry_date": values["expiry_date"],
            "sender_name": personalise.clean_value(campaign.sender_name),
            "reminder": reminder,
            "unsubscribe_url": unsubscribe,
            "test": test,
            "language": language,
        }
        text = render_to_string("emails/outreach/body.txt", context)
        html = render_to_string("emails/outreach/body.html", context)
    return {"subject": subject, "text_body": text, "html_body": mark_safe(html)}  # noqa: S308


def why_not_wanted(invitation: Invitation | None, now=None) -> str | None:
    """Why this invitation's email must not go now (checked when it is sent), or None."""
    if invitation is None:
        return "The invitation no longer exists."
    now = now or timezone.now()
    campaign = invitation.campaign
    contact = invitation.contact
    if campaign.status == Campaign.Status.CANCELLED:
        return "The campaign was cancelled."
    if campaign.status == Campaign.Status.CLOSED or now >= campaign.expires_at:
        return "The campaign is closed."
    if contact is None:
        return "An anonymous answer has no address."
    if contact.unsubscribed_at is not None:
        return "The contact unsubscribed."
    if contact.suppressed_at is not None:
        return f"The contact is suppressed ({contact.suppressed_reason})."
    if invitation.status == Invitation.Status.COMPLETED:
        return "The survey was already answered."
    if invitation.status not in Invitation.ACTIVE:
        return f"The invitation is {invitation.get_status_display().lower()}."
    return None


def new_link(invitation: Invitation) -> str:
    """Make a personal token for one email, store its hash, return the absolute link."""
    token = secrets.token_urlsafe(32)
    InvitationLink.objects.create(invitation=invitation, token_hash=token_hash(token))
    return absolute(reverse("surveys:outreach_link", args=[token]))


def _load(message) -> Invitation | None:
    # One query, no ordering: this runs for every email sent.
    found = list(
        Invitation.objects.select_related("campaign__survey", "contact", "location")
        .filter(pk=message.context.get("invitation_id"))
        .order_by()[:1]
    )
    return found[0] if found else None


def _build(message, *, reminder: int) -> Extra:
    invitation = _load(message)
    reason = why_not_wanted(invitation)
    if reason:
        raise Skip(reason)
    contact = invitation.contact
    unsubscribe = unsubscribe_url(contact)
    parts = compose(
        campaign=invitation.campaign,
        values=values_for(invitation.campaign, contact, invitation.location),
        url=new_link(invitation),
        language=invitation.language,
        reminder=reminder,
        unsubscribe=unsubscribe,
    )
    return Extra(
        context=parts,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def build_invitation(message) -> Extra:
    return _build(message, reminder=0)


def build_reminder(message) -> Extra:
    return _build(message, reminder=int(message.context.get("reminder", 1)))


def build_test(message) -> Extra:
    """A test of a campaign's email to a member of staff: the chosen contact's values (or
    examples), and a link to the survey's preview instead of a personal link."""
    campaign = (
        Campaign.objects.select_related("survey", "location")
        .filter(pk=message.context.get("campaign_id"))
        .first()
    )
    if campaign is None:
        raise Skip("The campaign no longer exists.")
    contact = (
        Contact.objects.select_related("location")
        .filter(pk=message.context.get("contact_id"), organization_id=campaign.organization_id)
        .first()
    )
    preview = absolute(
        reverse(
            "surveys:preview",
            kwargs={"org_slug": campaign.organization.slug, "pk": campaign.survey_id},
        )
    )
    language = (contact.language if contact else "") or campaign.language
    parts = compose(
        campaign=campaign,
        values=values_for(campaign, contact) if contact else example_values(campaign),
        url=preview,
        language=language,
        test=True,
    )
    return Extra(context=parts)


def example_values(campaign: Campaign) -> dict[str, str]:
    values = values_for(campaign, None)
    values.update({"first_name": "Alex", "last_name": "Example", "full_name": "Alex Example"})
    return values


def register() -> None:
    registry.register(
        INVITATION, label="Survey invitation", template=TEMPLATE, build=build_invitation
    )
    registry.register(REMINDER, label="Survey reminder", template=TEMPLATE, build=build_reminder)
    registry.register(TEST, label="Campaign test email", template=TEMPLATE, build=build_test)
