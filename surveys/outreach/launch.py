"""Writing a campaign's invitations and messages, the reminders, and the periodic tick.

Launching (docs/outreach.md, "Exactly once"): a task claims the campaign under a lease and writes
its invitations in batches of CXAUDIT_OUTREACH_BATCH contacts, each batch one transaction holding
the invitations, their outbox messages (queue_messages: rows, and wake-up tasks for up to
CXAUDIT_OUTBOX_DISPATCHERS senders), the contacts' last_invited_at and the campaign's cursor,
fenced by the lease. A killed writer loses at most its open batch (rolled back); the tick hands
a campaign whose lease expired to a new writer, which resumes after the cursor. Invitation
(campaign, contact) is unique and a message's (purpose, key) too, so nothing can be written
twice.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import CharField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from cxaudit.enqueue import send_now
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import NewMessage, queue_messages, queue_messages_by_key

from . import emails, personalise
from .models import Campaign, Contact, Invitation

logger = logging.getLogger(__name__)


def batch_size() -> int:
    return max(1, int(getattr(settings, "CXAUDIT_OUTREACH_BATCH", 1000)))


def lease() -> timedelta:
    return timedelta(
        seconds=max(5.0, float(getattr(settings, "CXAUDIT_OUTREACH_LEASE_SECONDS", 120)))
    )


class LeaseLost(Exception):
    """The campaign was cancelled or taken over while this writer worked: roll back, stop."""


def audience(campaign: Campaign) -> models.QuerySet[Contact]:
    """Every contact the campaign is meant for (reachable or not: the writer counts the others
    as skipped)."""
    contacts = Contact.objects.filter(organization_id=campaign.organization_id)
    if campaign.audience_list_id:
        contacts = contacts.filter(lists=campaign.audience_list_id)
    locations = list(campaign.audience_locations.values_list("pk", flat=True))
    if locations:
        contacts = contacts.filter(location_id__in=locations)
    if campaign.audience_language:
        wanted = Q(language=campaign.audience_language)
        if campaign.language == campaign.audience_language:
            wanted |= Q(language="")
        contacts = contacts.filter(wanted)
    return contacts


def plan_reminder(reminder_days: list, created_at: datetime, sent: int) -> datetime | None:
    """When reminder number sent + 1 is due (days after the invitation), or None."""
    days = sorted(int(d) for d in reminder_days or [] if int(d) > 0)
    if sent < len(days):
        return created_at + timedelta(days=days[sent])
    return None


@dataclass
class WriteReport:
    invited: int = 0
    skipped: int = 0
    batches: int = 0
    finished: bool = False


def write_invitations(*, campaign_id: int) -> WriteReport | None:
    """Claim a due campaign (or one whose writer was lost) and write its invitations and their
    messages batch by batch; None when there was nothing to claim."""
    token = uuid.uuid4()
    now = timezone.now()
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or not campaign.claim_writer(
        token=token, lease_until=now + lease(), now=now
    ):
        return None
    campaign = Campaign.objects.select_related("location").get(pk=campaign_id)
    report = WriteReport()
    try:
        while True:
            with transaction.atomic():
                done = _write_batch(campaign, token, report)
            if done:
                report.finished = True
                break
    except (LeaseLost, IntegrityError):
        logger.warning("campaign %s: writer stopped (cancelled or taken over)", campaign_id)
    return report


def _write_batch(campaign: Campaign, token: uuid.UUID, report: WriteReport) -> bool:
    """One batch in the caller's transaction; True when the audience is exhausted."""
    rows = list(
        audience(campaign)
        .filter(pk__gt=campaign.cursor)
        .order_by("pk")
        # Locks the batch's contacts, so that two campaigns launching at once cannot both
        # pass the suppression window for the same contact.
        .select_for_update(of=("self",))
        .values(
            "pk",
            "email",
            "first_name",
            "last_name",
            "language",
            "location_id",
            "last_invited_at",
            "unsubscribed_at",
            "suppressed_at",
        )[: batch_size()]
    )
    now = timezone.now()
    if not rows:
        if not campaign.finish_writing(token=token, at=now):
            raise LeaseLost
        return True
    window_start = now - timedelta(days=campaign.suppression_days)
    eligible = [
        r
        for r in rows
        if r["unsubscribed_at"] is None
        and r["suppressed_at"] is None
        and (r["last_invited_at"] is None or r["last_invited_at"] < window_start)
    ]
    first_reminder = plan_reminder(campaign.reminder_days, now, 0)
    if connection.vendor == "postgresql":
        ids = _write_postgresql(campaign, eligible, first_reminder, now)
    else:
        ids = _write_orm(campaign, eligible, first_reminder, now)
    Contact.objects.filter(pk__in=[r["pk"] for r in eligible]).update(last_invited_at=now)
    if not campaign.record_batch(
        token=token,
        cursor=rows[-1]["pk"],
        invited=len(ids),
        skipped=len(rows) - len(ids),
        lease_until=now + lease(),
    ):
        raise LeaseLost
    campaign.cursor = rows[-1]["pk"]
    report.invited += len(ids)
    report.skipped += len(rows) - len(ids)
    report.batches += 1
    return False


def _messages(campaign: Campaign, eligible: list[dict], ids: list[int]) -> list[NewMessage]:
    sender = emails.from_address(campaign.sender_name)
    return [
        NewMessage(
            purpose=emails.INVITATION,
            key=f"invitation:{pk}:invite",
            to_email=r["email"],
            to_name=personalise.clean_value(
                " ".join(p for p in (r["first_name"], r["last_name"]) if p)
            ),
            organization_id=campaign.organization_id,
            from_email=sender,
            context={"invitation_id": pk},
        )
        for pk, r in zip(ids, eligible, strict=True)
    ]


def _write_postgresql(campaign, eligible, first_reminder, now) -> list[int]:
    """The batch's invitations with their messages, in three statements and a COPY: the
    invitations' ids are taken from their sequence first, so that each message's key names its
    invitation and each invitation is written once, already pointing at its message."""
    if not eligible:
        return []
    table = Invitation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(eligible)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    message_of = {
        key: pk
        for (_, key), pk in queue_messages_by_key(_messages(campaign, eligible, ids)).items()
    }
    keys = [f"invitation:{pk}:invite" for pk in ids]
    columns = [
        "id",
        "organization_id",
        "campaign_id",
        "contact_id",
        "location_id",
        "key",
        "language",
        "status",
        "message_id",
        "reminders_sent",
        "next_reminder_at",
        "created_at",
    ]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        with cursor.cursor.copy(
            f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
        ) as copy:
            for pk, key, r in zip(ids, keys, eligible, strict=True):
                copy.write_row(
                    (
                        pk,
                        campaign.organization_id,
                        campaign.pk,
                        r["pk"],
                        r["location_id"] or campaign.location_id,
                        uuid.uuid4(),
                        r["language"] or campaign.language,
                        Invitation.Status.INVITED,
                        message_of.get(key),
                        0,
                        first_reminder,
                        now,
                    )
                )
    return ids


def _write_orm(campaign, eligible, first_reminder, now) -> list[int]:
    """The same with the ORM (SQLite, the embedded default): invitations, then their messages,
    then each invitation pointed at its message."""
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                organization_id=campaign.organization_id,
                campaign_id=campaign.pk,
                contact_id=r["pk"],
                location_id=r["location_id"] or campaign.location_id,
                language=r["language"] or campaign.language,
                next_reminder_at=first_reminder,
                created_at=now,
            )
            for r in eligible
        ]
    )
    if invitations and invitations[0].pk is None:  # a backend without RETURNING
        by_contact = dict(
            Invitation.objects.filter(
                campaign_id=campaign.pk, contact_id__in=[r["pk"] for r in eligible]
            ).values_list("contact_id", "pk")
        )
        for inv in invitations:
            inv.pk = by_contact[inv.contact_id]
    ids = [inv.pk for inv in invitations]
    queue_messages(_messages(campaign, eligible, ids))
    link_messages(ids, emails.INVITATION, ":invite")
    return ids


def link_messages(invitation_ids: list[int], purpose: str, suffix: str) -> int:
    """Point each invitation at its message (found by its key) in one statement."""
    if not invitation_ids:
        return 0
    key = Concat(
        Value("invitation:"),
        Cast(OuterRef("pk"), CharField()),
        Value(suffix),
        output_field=CharField(),
    )
    return Invitation.objects.filter(pk__in=invitation_ids).update(
        message_id=Subquery(Message.objects.filter(purpose=purpose, key=key).values("pk")[:1])
    )


# -- reminders -----------------------------------------------------------------------------------


def queue_due_reminders(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Periodic: queue the reminder of every invitation whose next reminder is due. What it
    plans is checked again when the reminder is sent (emails.why_not_wanted). Returns how many
    reminders were queued."""
    now = now or timezone.now()
    queued = 0
    while queued < limit:
        with transaction.atomic():
            due = list(
                Invitation.objects.filter(
                    status__in=Invitation.ACTIVE,
                    next_reminder_at__lte=now,
                    contact__isnull=False,
                )
                .select_related("campaign", "contact", "message")
                .order_by("next_reminder_at", "pk")
                .select_for_update(skip_locked=True, of=("self",))[:500]
            )
            if not due:
                break
            messages: list[NewMessage] = []
            for inv in due:
                campaign, contact = inv.campaign, inv.contact
                stop = (
                    campaign.status not in (Campaign.Status.SENDING, Campaign.Status.SENT)
                    or now >= campaign.expires_at
                    or not contact.reachable
                    or inv.message is None
                    or inv.message.state in (State.FAILED, State.CANCELLED)
                )
                if stop:
                    inv.next_reminder_at = None
                    continue
                if inv.message.state != State.SENT:  # the invitation itself has not gone yet
                    inv.next_reminder_at = now + timedelta(hours=1)
                    continue
                number = inv.reminders_sent + 1
                messages.append(
                    NewMessage(
                        purpose=emails.REMINDER,
                        key=f"invitation:{inv.pk}:reminder:{number}",
                        to_email=contact.email,
                        to_name=personalise.clean_value(contact.full_name),
                        organization_id=inv.organization_id,
                        from_email=emails.from_address(campaign.sender_name),
                        context={"invitation_id": inv.pk, "reminder": number},
                    )
                )
                inv.reminders_sent = number
                inv.next_reminder_at = plan_reminder(campaign.reminder_days, inv.created_at, number)
            Invitation.objects.bulk_update(due, ["reminders_sent", "next_reminder_at"])
            queue_messages(messages)
            queued += len(messages)
    return queued


# -- the tick ------------------------------------------------------------------------------------


@dataclass
class TickReport:
    writers: int = 0
    closed: int = 0
    reminders: int = 0


def due_writers(now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            Q(status=Campaign.Status.SCHEDULED, send_at__lte=now)
            | Q(status=Campaign.Status.SENDING, written_at__isnull=True)
            & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        ).values_list("pk", flat=True)
    )


def tick(*, now: datetime | None = None) -> TickReport:
    """Periodic (beat): start campaigns whose send time came, hand campaigns whose writer was
    lost to a new one, close expired campaigns, queue due reminders."""
    from .services import close_campaign

    now = now or timezone.now()
    report = TickReport()
    for pk in due_writers(now):
        if send_now("surveys.write_invitations", pk):
            report.writers += 1
    expired = Campaign.objects.filter(
        status=Campaign.Status.SENT, expires_at__lte=now
    ).select_related("organization")
    for campaign in expired:
        try:
            close_campaign(campaign=campaign, at=now)
            report.closed += 1
        except Exception:  # another tick closed it meanwhile
            logger.info("campaign %s was closed meanwhile", campaign.pk)
    report.reminders = queue_due_reminders(now=now)
    return report
