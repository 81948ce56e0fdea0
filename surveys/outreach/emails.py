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

import re
import secrets
import uuid
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from cxaudit.bulkinsert import insert_arrays
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


class Composer:
    """The words of one campaign's email in one language, rendered once; each email then only
    fills in its own values (its message, link and unsubscribe link). A sender makes one per
    campaign and language for a handful of messages, instead of rendering both bodies for each
    (docs/outbox.md, "Sending"). The result is exactly what rendering the templates with the
    email's own values gives: the templates are rendered with markers in the values' places,
    and each value is put in a marker's place as the template would have put it (escaped in
    the HTML part, as it is)."""

    FIELDS = ("message_text", "message_html", "url", "unsubscribe_url")

    def __init__(
        self,
        *,
        campaign: Campaign,
        language: str,
        reminder: int = 0,
        unsubscribe: bool = True,
        test: bool = False,
    ):
        self.campaign = campaign
        self.language = language
        self.reminder = reminder
        self.test = test
        # NUL never reaches a template otherwise: values are cleaned of control characters.
        marker = "\x00" + uuid.uuid4().hex + ":{}\x00"
        markers = {name: marker.format(name) for name in self.FIELDS}
        with translation.override(language):
            self.expiry = formats.date_format(timezone.localtime(campaign.expires_at), "j F Y")
            self.reminder_subject = (
                translation.gettext("Reminder: %(subject)s") if reminder else "%(subject)s"
            )
            context = {
                "campaign": campaign,
                "message_text": markers["message_text"],
                "message_html": mark_safe(markers["message_html"]),  # noqa: S308 - a marker
                "url": markers["url"],
                "expiry_date": self.expiry,
                "sender_name": personalise.clean_value(campaign.sender_name),
                "reminder": reminder,
                "unsubscribe_url": markers["unsubscribe_url"] if unsubscribe else "",
                "test": test,
                "language": language,
            }
            text = render_to_string("emails/outreach/body.txt", context)
            html = render_to_string("emails/outreach/body.html", context)
        pattern = re.compile("|".join(re.escape(m) for m in markers.values()))
        names = {m: name for name, m in markers.items()}
        self.text = self._split(text, pattern, names)
        self.html = self._split(html, pattern, names)

    @staticmethod
    def _split(rendered: str, pattern, names) -> list[str | tuple[str]]:
        """The rendered text as literal pieces and (field name,) slots."""
        parts: list[str | tuple[str]] = []
        last = 0
        for match in pattern.finditer(rendered):
            parts.append(rendered[last : match.start()])
            parts.append((names[match.group(0)],))
            last = match.end()
        parts.append(rendered[last:])
        return parts

    @staticmethod
    def _join(parts, values: dict[str, str]) -> str:
        return "".join(p if isinstance(p, str) else values[p[0]] for p in parts)

    def compose(self, *, values: dict[str, str], url: str, unsubscribe: str = "") -> dict:
        """Subject, text body and HTML body of one email."""
        values = {**values, "expiry_date": self.expiry}
        subject = self.reminder_subject % {
            "subject": personalise.fill(self.campaign.subject_template, values)
        }
        if self.test:
            subject = "[TEST] " + subject
        template = self.campaign.message_template
        text = self._join(
            self.text,
            {"message_text": personalise.fill(template, values), "url": url}
            | {"unsubscribe_url": unsubscribe},
        )
        html = self._join(
            self.html,
            {
                # Escaped as the template's autoescaping escapes them; the message is HTML.
                "message_html": personalise.fill_html(template, values),
                "url": escape(url),
                "unsubscribe_url": escape(unsubscribe),
            },
        )
        return {"subject": subject, "text_body": text, "html_body": mark_safe(html)}  # noqa: S308


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
    composer = Composer(
        campaign=campaign,
        language=language,
        reminder=reminder,
        unsubscribe=bool(unsubscribe),
        test=test,
    )
    return composer.compose(values=values, url=url, unsubscribe=unsubscribe)


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
    return new_links([invitation])[0]


def new_links(invitations: list[Invitation]) -> list[str]:
    """A personal token for each email (one per invitation given), their hashes stored in one
    insert; the absolute links, in the same order."""
    tokens = [secrets.token_urlsafe(32) for _ in invitations]
    if connection.vendor == "postgresql":  # the hashes as one array (cxaudit/bulkinsert.py)
        insert_arrays(
            InvitationLink,
            columns={
                "invitation_id": [invitation.pk for invitation in invitations],
                "token_hash": [token_hash(token) for token in tokens],
            },
        )
    else:
        InvitationLink.objects.bulk_create(
            InvitationLink(invitation=invitation, token_hash=token_hash(token))
            for invitation, token in zip(invitations, tokens, strict=True)
        )
    path = reverse("surveys:outreach_link", args=["TOKEN"])
    head, tail = path.split("TOKEN", 1)
    return [absolute(head + token + tail) for token in tokens]


def _load(invitation_ids) -> dict[int, Invitation]:
    """The invitations with their contact and location, and their campaigns (with survey and
    location) loaded once each rather than joined to every invitation: two queries, no
    ordering; this runs for every few emails sent."""
    invitations = list(
        Invitation.objects.select_related("contact", "location")
        .filter(pk__in=[pk for pk in invitation_ids if isinstance(pk, int)])
        .order_by()
    )
    campaigns = Campaign.objects.select_related("survey", "location").in_bulk(
        {invitation.campaign_id for invitation in invitations}
    )
    for invitation in invitations:
        invitation.campaign = campaigns[invitation.campaign_id]
    return {invitation.pk: invitation for invitation in invitations}


def _build_many(messages, *, reminder_of) -> dict[int, Extra | Exception]:
    """Each message's Extra (or Skip): one query for the invitations, one insert for the links,
    the campaign's words rendered once per language."""
    invitations = _load(m.context.get("invitation_id") for m in messages)
    now = timezone.now()
    built: dict[int, Extra | Exception] = {}
    wanted: list[tuple[object, Invitation]] = []
    for message in messages:
        invitation = invitations.get(message.context.get("invitation_id"))
        reason = why_not_wanted(invitation, now)
        if reason:
            built[message.pk] = Skip(reason)
        else:
            wanted.append((message, invitation))
    urls = new_links([invitation for _, invitation in wanted])
    composers: dict[tuple, Composer] = {}
    for (message, invitation), url in zip(wanted, urls, strict=True):
        reminder = reminder_of(message)
        campaign, contact = invitation.campaign, invitation.contact
        key = (campaign.pk, invitation.language, reminder)
        if key not in composers:
            composers[key] = Composer(
                campaign=campaign, language=invitation.language, reminder=reminder
            )
        unsubscribe = unsubscribe_url(contact)
        parts = composers[key].compose(
            values=values_for(campaign, contact, invitation.location),
            url=url,
            unsubscribe=unsubscribe,
        )
        built[message.pk] = Extra(
            context=parts,
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )
    return built


def _invitation_reminder(message) -> int:
    return 0


def _reminder_number(message) -> int:
    return int(message.context.get("reminder", 1))


def _build_one(message, reminder_of) -> Extra:
    outcome = _build_many([message], reminder_of=reminder_of)[message.pk]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def build_invitation(message) -> Extra:
    return _build_one(message, _invitation_reminder)


def build_reminder(message) -> Extra:
    return _build_one(message, _reminder_number)


def build_invitations(messages) -> dict[int, Extra | Exception]:
    return _build_many(messages, reminder_of=_invitation_reminder)


def build_reminders(messages) -> dict[int, Extra | Exception]:
    return _build_many(messages, reminder_of=_reminder_number)


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
        INVITATION,
        label="Survey invitation",
        template=TEMPLATE,
        build=build_invitation,
        build_many=build_invitations,
    )
    registry.register(
        REMINDER,
        label="Survey reminder",
        template=TEMPLATE,
        build=build_reminder,
        build_many=build_reminders,
    )
    registry.register(TEST, label="Campaign test email", template=TEMPLATE, build=build_test)
