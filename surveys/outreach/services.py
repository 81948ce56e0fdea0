"""Customer outreach workflows: campaigns (save, launch, cancel, close, resend, test), the
customer's side (a link exchanged for a session, the draft, the submission, unsubscribing) and
the anonymous link. Each owns its transaction; emails are outbox rows written in it; tasks are
queued by name after commit."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone

from cxaudit import sqlcursor
from cxaudit.accounts.models import Organization, User
from cxaudit.enqueue import enqueue_on_commit
from cxaudit.errors import DomainError, InvalidTransition
from cxaudit.messaging.models import Message
from cxaudit.messaging.services import queue_message
from cxaudit.webhooks.events import INVITATION_COMPLETED
from cxaudit.webhooks.services import emit

from ..questionnaire.models import Survey
from ..responses.models import Response, Source
from ..responses.services import start_response
from . import emails, personalise
from .models import Campaign, Contact, Invitation, InvitationLink, token_hash

# What a campaign's form may set (the views' forms validate the values).
CAMPAIGN_FIELDS = (
    "name",
    "survey",
    "wave",
    "location",
    "touchpoint",
    "audience_list",
    "audience_language",
    "language",
    "sender_name",
    "subject_template",
    "message_template",
    "send_at",
    "reminder_days",
    "expires_at",
    "suppression_days",
    "anonymous_cap",
)
SURVEY_KINDS = (Survey.Kind.CUSTOMER, Survey.Kind.SELF_ASSESSMENT)


def check_campaign(campaign: Campaign) -> None:
    """The rules a campaign's settings must follow, each refusal naming its field."""
    for name in ("subject_template", "message_template"):
        try:
            personalise.check(getattr(campaign, name))
        except personalise.PlaceholderError as exc:
            raise DomainError(exc.message, field=name) from exc
    survey = campaign.survey
    if survey.organization_id != campaign.organization_id:
        raise DomainError("Choose a survey of this organisation.", field="survey")
    if survey.kind not in SURVEY_KINDS:
        raise DomainError("Choose a customer or self-assessment survey.", field="survey")
    for name in ("wave", "location", "audience_list"):
        obj = getattr(campaign, name)
        if obj is not None and obj.organization_id != campaign.organization_id:
            raise DomainError(
                f"Choose a {name.replace('_', ' ')} of this organisation.", field=name
            )
    days = campaign.reminder_days or []
    if not isinstance(days, list) or any(
        not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 60 for d in days
    ):
        raise DomainError("Reminders are whole days between 1 and 60.", field="reminder_days")
    if len(days) > 5 or len(set(days)) != len(days):
        raise DomainError("At most five reminders, each on a different day.", field="reminder_days")
    if campaign.suppression_days > 365:
        raise DomainError("The window is at most 365 days.", field="suppression_days")
    start = campaign.send_at or timezone.now()
    if campaign.expires_at <= start:
        raise DomainError("The links must expire after the campaign is sent.", field="expires_at")


@transaction.atomic
def save_campaign(
    *,
    organization: Organization,
    actor: User | None,
    values: dict,
    campaign: Campaign | None = None,
    audience_locations: Iterable | None = None,
) -> Campaign:
    """Create a draft campaign or change a draft's settings (placeholders checked)."""
    if campaign is None:
        campaign = Campaign(organization=organization, created_by=actor)
    elif not campaign.is_editable:
        raise InvalidTransition("Only a draft campaign can be changed.")
    for name, value in values.items():
        if name not in CAMPAIGN_FIELDS:
            raise DomainError(f"Unknown setting {name!r}.")
        setattr(campaign, name, value)
    campaign.reminder_days = sorted(campaign.reminder_days or [])
    check_campaign(campaign)
    if campaign.pk is not None:
        changed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.DRAFT).exists()
        if not changed:
            raise InvalidTransition("This campaign was launched meanwhile; reload the page.")
    campaign.updated_at = timezone.now()
    campaign.save()
    if audience_locations is not None:
        campaign.audience_locations.set(list(audience_locations))
    return campaign


@transaction.atomic
def launch_campaign(
    *, campaign: Campaign, actor: User | None, send_at: datetime | None = None
) -> Campaign:
    """draft → scheduled; the writer starts at once when send_at is now or past (else the tick
    starts it when the time comes)."""
    now = timezone.now()
    campaign.refresh_from_db()
    if not campaign.survey.is_published:
        raise DomainError("Publish the survey before launching the campaign.", field="survey")
    send_at = send_at or campaign.send_at or now
    if campaign.expires_at <= max(send_at, now):
        raise DomainError("The links would have expired already.", field="expires_at")
    campaign.schedule(by=actor, at=now, send_at=send_at)
    if send_at <= now:
        enqueue_on_commit("surveys.write_invitations", campaign.pk)
    return campaign


def _invite_messages(campaign: Campaign):
    return Message.objects.filter(
        pk__in=Subquery(
            Invitation.objects.filter(campaign=campaign, message__isnull=False).values("message_id")
        )
    )


@transaction.atomic
def cancel_campaign(*, campaign: Campaign, at: datetime | None = None) -> int:
    """Stop what has not gone: the campaign is cancelled and the invitations still waiting in
    the outbox are cancelled (a reminder already queued is refused when its turn comes).
    Returns how many queued emails were cancelled."""
    at = at or timezone.now()
    campaign.cancel(at=at)
    Invitation.objects.filter(campaign=campaign, status__in=Invitation.ACTIVE).update(
        next_reminder_at=None
    )
    return _invite_messages(campaign).cancel_due("The campaign was cancelled.")


@transaction.atomic
def close_campaign(*, campaign: Campaign, at: datetime | None = None) -> int:
    """sent → closed: unanswered invitations expire; returns how many."""
    at = at or timezone.now()
    campaign.close(at=at)
    _invite_messages(campaign).cancel_due("The campaign closed before it was sent.")
    return Invitation.objects.filter(campaign=campaign, status__in=Invitation.ACTIVE).update(
        status=Invitation.Status.EXPIRED, expired_at=at, next_reminder_at=None
    )


@transaction.atomic
def resend_failed(*, campaign: Campaign) -> int:
    """Queue again every invitation email of the campaign that failed; returns how many."""
    if campaign.status not in (Campaign.Status.SENDING, Campaign.Status.SENT):
        raise InvalidTransition("Only a campaign being sent can resend failed emails.")
    count = _invite_messages(campaign).requeue_failed()
    if count:
        enqueue_on_commit("messaging.dispatch")
    return count


@transaction.atomic
def send_test(*, campaign: Campaign, actor: User, contact: Contact | None = None) -> Message:
    """Email the campaign's message, as `contact` would get it, to the member of staff."""
    return queue_message(
        purpose=emails.TEST,
        key=f"campaign:{campaign.pk}:test:{uuid.uuid4().hex}",
        to_email=actor.email,
        to_name=actor.full_name,
        organization=campaign.organization,
        from_email=emails.from_address(campaign.sender_name),
        context={"campaign_id": campaign.pk, "contact_id": contact.pk if contact else None},
    )


def preview(*, campaign: Campaign, contact: Contact | None) -> dict[str, str]:
    """The email `contact` would get (example values without one), with a sample link."""
    values = emails.values_for(campaign, contact) if contact else emails.example_values(campaign)
    language = (contact.language if contact else "") or campaign.language
    return emails.compose(
        campaign=campaign,
        values=values,
        url=emails.absolute("/i/" + "x" * 43 + "/"),
        language=language,
        unsubscribe=emails.unsubscribe_url(contact) if contact else emails.absolute("/u/…/"),
    )


@transaction.atomic
def enable_anonymous_link(*, campaign: Campaign, cap: int) -> Campaign:
    """Give the campaign an anonymous link (a QR code at a desk) taking at most `cap` answers."""
    if not 1 <= cap <= 100_000:
        raise DomainError("Allow between 1 and 100,000 answers.", field="anonymous_cap")
    if campaign.status in (Campaign.Status.CLOSED, Campaign.Status.CANCELLED):
        raise InvalidTransition("A closed or cancelled campaign takes no more answers.")
    key = campaign.anonymous_key or secrets.token_urlsafe(24)
    Campaign.objects.filter(pk=campaign.pk).update(
        anonymous_key=key, anonymous_cap=cap, updated_at=timezone.now()
    )
    campaign.anonymous_key, campaign.anonymous_cap = key, cap
    return campaign


# -- the contact's side --------------------------------------------------------------------------


@transaction.atomic
def unsubscribe_contact(*, contact: Contact, at: datetime | None = None) -> int:
    """Stop every survey email of the organisation to this contact at once: the contact is
    unsubscribed, its open invitations too, and their emails still waiting are cancelled
    (anything a sender has already claimed is refused by the purpose's check). Returns how many
    invitations were stopped; calling it again changes nothing."""
    at = at or timezone.now()
    contact.unsubscribe(at=at)
    open_invitations = Invitation.objects.filter(contact=contact, status__in=Invitation.ACTIVE)
    messages = Message.objects.filter(pk__in=Subquery(open_invitations.values("message_id")))
    messages.cancel_due("The contact unsubscribed.")
    return open_invitations.update(
        status=Invitation.Status.UNSUBSCRIBED, unsubscribed_at=at, next_reminder_at=None
    )


@transaction.atomic
def suppress_contact(*, contact: Contact, reason: str) -> bool:
    """Keep a contact off every campaign (a bounce, a complaint, a request by phone)."""
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise DomainError("Say why the address is suppressed.", field="reason")
    at = timezone.now()
    done = contact.suppress(at=at, reason=reason)
    Invitation.objects.filter(contact=contact, status__in=Invitation.ACTIVE).update(
        next_reminder_at=None
    )
    return done


@dataclass(frozen=True)
class LinkOutcome:
    """What a personal link leads to: `invitation` when it may be answered; else `reason`:
    "unknown" (no such link), "expired", "answered" or "unsubscribed"."""

    invitation: Invitation | None
    reason: str = ""


def check_link(token: str, *, now: datetime | None = None) -> LinkOutcome:
    """Look a personal token up by its hash (one query, the same for every token)."""
    now = now or timezone.now()
    link = (
        InvitationLink.objects.select_related("invitation__campaign")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        return LinkOutcome(None, "unknown")
    return invitation_state(link.invitation, now=now)


def invitation_state(invitation: Invitation, *, now: datetime | None = None) -> LinkOutcome:
    now = now or timezone.now()
    campaign = invitation.campaign
    if invitation.status == Invitation.Status.COMPLETED:
        return LinkOutcome(invitation, "answered")
    if invitation.status == Invitation.Status.UNSUBSCRIBED:
        return LinkOutcome(invitation, "unsubscribed")
    if (
        invitation.status == Invitation.Status.EXPIRED
        or campaign.status in (Campaign.Status.CLOSED, Campaign.Status.CANCELLED)
        or now >= campaign.expires_at
    ):
        return LinkOutcome(invitation, "expired")
    return LinkOutcome(invitation, "")


@dataclass(frozen=True)
class BlankPage:
    """An invitation whose survey page is the blank form, with what that page shows."""

    language: str
    client_id: str  # the draft's
    survey_id: int
    published_at: datetime
    organization_id: int
    organization_name: str


def blank_page(*, key: uuid.UUID, held: list[int], now: datetime | None = None) -> BlankPage | None:
    """The blank-form page of the invitation `key` among the `held` ones, in one narrow query:
    open (opened or started; campaign neither closed nor cancelled; not expired), its draft
    started and still empty, the survey version published. None in every other case, which
    the full page handles (first opening, answers to show, a reason not to answer).

    Hand-written SQL on a server-bound cursor, which PostgreSQL runs as a prepared statement:
    this runs on every view of a customer's survey page, and there compiling the ORM query
    (0.7 ms) and planning the five-table join on the server (0.4 ms) cost far more than
    running it (0.1 ms)."""
    from django.db import connection

    held = [pk for pk in held if isinstance(pk, int)][-50:]
    if not held:
        return None
    row = sqlcursor.fetchone(  # prepared on PostgreSQL after a few runs
        _blank_page_sql(connection.vendor, len(held)),
        [
            key if connection.vendor == "postgresql" else key.hex,  # as UUIDField stores it
            *held,
            *_BLANK_PAGE_STATES,
            connection.ops.adapt_datetimefield_value(now or timezone.now()),
            Response.Status.DRAFT,
            Survey.Status.PUBLISHED,
        ],
    )
    if row is None:
        return None
    language, client_id, draft, survey_id, published_at, org_id, org_name = row
    if isinstance(draft, str):  # JSON text, as Django's backends read jsonb and JSON columns
        draft = json.loads(draft)
    if draft:
        return None  # answers to show: the full page
    return BlankPage(
        language=language,
        client_id=str(client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(client_id)),
        survey_id=survey_id,
        published_at=sqlcursor.aware(published_at),
        organization_id=org_id,
        organization_name=org_name,
    )


_BLANK_PAGE_STATES = (
    Invitation.Status.OPENED,
    Invitation.Status.STARTED,
    Campaign.Status.CLOSED,
    Campaign.Status.CANCELLED,
)


@lru_cache(maxsize=128)
def _blank_page_sql(vendor: str, held: int) -> str:
    from django.db import connection

    name = {
        alias: connection.ops.quote_name(model._meta.db_table)
        for alias, model in {
            "i": Invitation,
            "c": Campaign,
            "r": Response,
            "s": Survey,
            "o": Organization,
        }.items()
    }
    return (
        "SELECT i.language, r.client_id, r.draft, s.id, s.published_at, o.id, o.name "  # noqa: S608
        f"FROM {name['i']} i "
        f"JOIN {name['c']} c ON c.id = i.campaign_id "
        f"JOIN {name['r']} r ON r.id = i.response_id "
        f"JOIN {name['s']} s ON s.id = r.survey_id "
        f"JOIN {name['o']} o ON o.id = c.organization_id "
        "WHERE i.key = %s AND i.id IN ({}) AND i.status IN (%s, %s) "
        "AND c.status NOT IN (%s, %s) AND c.expires_at > %s "
        "AND r.status = %s AND s.status = %s AND s.published_at IS NOT NULL"
    ).format(", ".join(["%s"] * held))


@transaction.atomic
def open_invitation(*, invitation: Invitation, at: datetime | None = None) -> Response:
    """The draft this invitation is answered in, started on its first opening (the invitation
    row is locked, so two first openings at once start one draft)."""
    at = at or timezone.now()
    locked = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("campaign__survey", "campaign__wave", "response")
        .get(pk=invitation.pk)
    )
    if locked.status == Invitation.Status.INVITED:
        locked.mark_opened(at=at)
    if locked.response is not None:
        return locked.response
    campaign = locked.campaign
    response = start_response(
        survey=campaign.survey,
        source=Source.CUSTOMER if campaign.survey.kind == Survey.Kind.CUSTOMER else Source.SELF,
        location=locked.location,
        wave=campaign.wave,
        respondent_ref=f"contact:{locked.contact_id}" if locked.contact_id else "anonymous",
    )
    locked.attach_response(response)
    return response


def mark_started(*, invitation: Invitation) -> None:
    """The customer saved a first answer."""
    if invitation.status in (Invitation.Status.INVITED, Invitation.Status.OPENED):
        invitation.mark_started(at=timezone.now())


def complete_invitation(*, invitation: Invitation, response: Response) -> Invitation:
    """Called in the submission's transaction: the invitation is completed with its response
    (and an anonymous answer counted against the link's cap)."""
    if response.status != Response.Status.SUBMITTED:
        raise DomainError("The response is not submitted.")
    invitation.complete(response=response, at=response.submitted_at or timezone.now())
    emit(
        invitation.organization_id,
        INVITATION_COMPLETED,
        {
            "invitation": {
                "id": invitation.pk,
                "campaign_id": invitation.campaign_id,
                "contact_id": invitation.contact_id,
                "location_id": invitation.location_id,
                "response_id": response.pk,
                "completed_at": invitation.completed_at,
            }
        },
    )
    return invitation


@dataclass(frozen=True)
class AnonymousStart:
    invitation: Invitation | None
    reason: str = ""  # "closed", "full"


@transaction.atomic
def start_anonymous(*, campaign: Campaign) -> AnonymousStart:
    """A new anonymous answer through the campaign's link, while the cap allows one more (the
    cap is counted when answers start, so a full link turns new visitors away at once)."""
    now = timezone.now()
    if campaign.status not in (Campaign.Status.SENDING, Campaign.Status.SENT) or (
        now >= campaign.expires_at
    ):
        return AnonymousStart(None, "closed")
    taken = Campaign.objects.filter(pk=campaign.pk, anonymous_count__lt=F("anonymous_cap")).update(
        anonymous_count=F("anonymous_count") + 1
    )
    if not taken:
        return AnonymousStart(None, "full")
    invitation = Invitation.objects.create(
        organization_id=campaign.organization_id,
        campaign=campaign,
        contact=None,
        location=campaign.location,
        language=campaign.language,
        status=Invitation.Status.OPENED,
        opened_at=now,
    )
    open_invitation(invitation=invitation, at=now)
    invitation.refresh_from_db()
    return AnonymousStart(invitation)
