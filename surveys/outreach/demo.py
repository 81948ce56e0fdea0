"""Demo data of customer outreach, called by the insights demo (which owns the demo survey and
its answers): a list of Northline passengers, one completed campaign per past wave whose
completed invitations hold the demo's customer responses (the figures the insights show), and a
campaign of the open wave whose invitations were sent and not answered yet — open one from the
development mailbox (/dev/mailbox/) and answer it as a customer.

Past emails are history: their outbox rows are written as sent. Nothing is written twice: a
campaign that exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization
from cxaudit.journeys.models import Wave
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import NewMessage, queue_messages

from ..questionnaire.models import Survey
from ..responses.models import Response
from . import emails, personalise
from .launch import link_messages
from .models import Campaign, Contact, ContactList, Invitation

LIST_NAME = "Northline passengers"
FIRST = ["Alex", "Sam", "Priya", "Tom", "Aisha", "Ben", "Chloé", "Dev", "Emma", "Finn", "Grace"]
FIRST += ["Hugo", "Isla", "Jon", "Kemi", "Leo", "Mia", "Noah", "Olu", "Rosa", "Théo", "Zoe"]
LAST = ["Brown", "Patel", "Smith", "Dubois", "Okafor", "Murphy", "Khan", "Jones", "Martin", "Li"]
SUBJECT = "{{ first_name }}, how was your journey with Northline?"
MESSAGE = (
    "Hello {{ first_name }},\n\n"
    "Thank you for travelling with us. Tell us in five minutes how it went at "
    "{{ location_name }}: every answer is read.\n\n"
    "{{ sender_name }}"
)


@dataclass(frozen=True)
class Answered:
    """A demo customer response and the passenger (location code, number) who gave it."""

    client_id: uuid.UUID
    location: str
    number: int


def contact_email(code: str, number: int) -> str:
    return f"passenger.{code.lower()}.{number + 1}@northline.example"


def _contacts(org: Organization, per_location: dict[str, int]) -> dict[tuple[str, int], Contact]:
    locations = {loc.code: loc for loc in Location.objects.for_org(org)}
    wanted = {}
    for code, n in per_location.items():
        for i in range(n):
            rng = random.Random(f"contact:{code}:{i}")
            wanted[(code, i)] = Contact(
                organization=org,
                email=contact_email(code, i),
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                location=locations[code],
                language="fr" if i % 7 == 3 else "en",
            )
    Contact.objects.bulk_create(wanted.values(), ignore_conflicts=True)
    found = {c.email: c for c in Contact.objects.for_org(org).select_related("location")}
    contact_list, _ = ContactList.objects.get_or_create(organization=org, name=LIST_NAME)
    contact_list.contacts.add(*[found[c.email] for c in wanted.values()])
    return {key: found[c.email] for key, c in wanted.items()}


def _campaign(org, survey, wave, name, *, launched, expires, status) -> Campaign:
    campaign = Campaign.objects.create(
        organization=org,
        name=name,
        survey=survey,
        wave=wave,
        audience_list=ContactList.objects.get(organization=org, name=LIST_NAME),
        sender_name="Northline Rail",
        subject_template=SUBJECT,
        message_template=MESSAGE,
        send_at=launched,
        reminder_days=[3, 7],
        expires_at=expires,
        suppression_days=30,
        status=status,
        launched_at=launched,
        written_at=launched,
        closed_at=expires if status == Campaign.Status.CLOSED else None,
    )
    return campaign


def _invite(
    campaign: Campaign, people: Iterable[Contact], *, sent_at: dt.datetime, reminders: int
) -> list[Invitation]:
    """Invitations of `people` and their invitation emails, recorded as sent at `sent_at`."""
    people = list(people)
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(
                organization_id=campaign.organization_id,
                campaign=campaign,
                contact=c,
                location=c.location,
                language=c.language or campaign.language,
                created_at=sent_at,
                reminders_sent=reminders,
            )
            for c in people
        ]
    )
    sender = emails.from_address(campaign.sender_name)
    queue_messages(
        NewMessage(
            purpose=emails.INVITATION,
            key=f"invitation:{inv.pk}:invite",
            to_email=c.email,
            to_name=c.full_name,
            organization_id=campaign.organization_id,
            from_email=sender,
            context={"invitation_id": inv.pk},
            due_at=sent_at,
        )
        for inv, c in zip(invitations, people, strict=True)
    )
    ids = [inv.pk for inv in invitations]
    link_messages(ids, emails.INVITATION, ":invite")
    message_of = dict(Invitation.objects.filter(pk__in=ids).values_list("pk", "message_id"))
    messages = []
    for inv, c in zip(invitations, people, strict=True):
        inv.message_id = message_of[inv.pk]
        messages.append(
            Message(
                pk=inv.message_id,
                subject=personalise.fill(SUBJECT, {"first_name": c.first_name}),
                state=State.SENT,
                sent_at=sent_at,
                attempts=1,
                created_at=sent_at,
            )
        )
    Message.objects.bulk_update(
        messages, ["subject", "state", "sent_at", "attempts", "created_at"], batch_size=500
    )
    Contact.objects.filter(pk__in=[c.pk for c in people]).update(last_invited_at=sent_at)
    return invitations


@transaction.atomic
def seed(
    org: Organization,
    *,
    survey: Survey,
    waves: dict[str, Wave],
    answered: dict[str, list[Answered]],
    open_wave: str,
    per_location: dict[str, int],
    unanswered_per_location: int = 6,
) -> None:
    """The demo's contacts and campaigns (see the module docstring); idempotent."""
    if Campaign.objects.for_org(org).filter(survey__code=survey.code).exists():
        return
    total = {code: n + unanswered_per_location for code, n in per_location.items()}
    people = _contacts(org, total)
    responses = {
        r.client_id: r
        for r in Response.objects.for_org(org).filter(
            client_id__in=[a.client_id for items in answered.values() for a in items]
        )
    }
    for wave_name, items in answered.items():
        wave = waves[wave_name]
        launched = timezone.make_aware(dt.datetime.combine(wave.starts_on, dt.time(0, 5)))
        expires = timezone.make_aware(dt.datetime.combine(wave.ends_on, dt.time(23, 59)))
        campaign = _campaign(
            org,
            survey,
            wave,
            f"Passenger survey {wave_name}",
            launched=launched,
            expires=expires,
            status=Campaign.Status.CLOSED,
        )
        done = {(a.location, a.number): responses[a.client_id] for a in items}
        invitations = _invite(campaign, people.values(), sent_at=launched, reminders=2)
        completed, expired = [], []
        for inv, key in zip(invitations, people, strict=True):
            response = done.get(key)
            if response is None:
                expired.append(inv.pk)
                continue
            at = response.submitted_at
            inv.status = Invitation.Status.COMPLETED
            inv.response = response
            inv.opened_at = at - dt.timedelta(minutes=6)
            inv.started_at = at - dt.timedelta(minutes=5)
            inv.completed_at = at
            completed.append(inv)
        Invitation.objects.bulk_update(
            completed, ["status", "response", "opened_at", "started_at", "completed_at"]
        )
        Invitation.objects.filter(pk__in=expired).update(
            status=Invitation.Status.EXPIRED, expired_at=expires
        )
        Campaign.objects.filter(pk=campaign.pk).update(invited_count=len(invitations))
    # The open wave: sent yesterday, nobody has answered yet.
    now = timezone.now()
    wave = waves[open_wave]
    end = timezone.make_aware(dt.datetime.combine(wave.ends_on, dt.time(23, 59)))
    sent_at = now - dt.timedelta(days=1)
    campaign = _campaign(
        org,
        survey,
        wave,
        f"Passenger survey {open_wave}",
        launched=sent_at,
        expires=max(end, now + dt.timedelta(days=30)),
        status=Campaign.Status.SENT,
    )
    recent = [people[(code, n + i)] for code, n in per_location.items() for i in range(2)]
    _invite(campaign, recent, sent_at=sent_at, reminders=0)
    Invitation.objects.filter(campaign=campaign).update(
        next_reminder_at=sent_at + dt.timedelta(days=3)
    )
    Campaign.objects.filter(pk=campaign.pk).update(invited_count=len(recent))
    # A follow-up being prepared: a draft to preview, test on yourself and launch.
    Campaign.objects.create(
        organization=org,
        name=f"Station follow-up {open_wave} (draft)",
        survey=survey,
        wave=wave,
        audience_list=ContactList.objects.get(organization=org, name=LIST_NAME),
        sender_name="Northline Rail",
        subject_template=SUBJECT,
        message_template=MESSAGE,
        reminder_days=[3],
        expires_at=max(end, now + dt.timedelta(days=30)),
        suppression_days=30,
        status=Campaign.Status.DRAFT,
    )
