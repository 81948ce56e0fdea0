"""Customer outreach: contacts, campaigns, invitations and the links emailed to customers.

Every status change is a model method that claims the row with a conditional update
(docs/state-changes.md); services in surveys.outreach.services own the transaction, the outbox
rows and the tasks. Personal links are never stored: an InvitationLink keeps only the SHA-256 of
the token that went out in one email (docs/outreach.md, "Tokens").
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization, OrgQuerySet
from cxaudit.errors import InvalidTransition
from cxaudit.journeys.models import Touchpoint, Wave

from ..questionnaire.models import Survey
from ..responses.models import Response

LANGUAGE_CHOICES = [("en", "English"), ("fr", "Français")]


def token_hash(token: str) -> str:
    """What is stored of a personal token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# -- contacts ------------------------------------------------------------------------------------


class ContactQuerySet(OrgQuerySet):
    def reachable(self) -> ContactQuerySet:
        """Contacts that may be emailed at all: neither unsubscribed nor suppressed."""
        return self.filter(unsubscribed_at__isnull=True, suppressed_at__isnull=True)


class Contact(models.Model):
    """A customer of one organisation who may be invited to surveys. The address is stored
    normalised (trimmed, lower-case), so an import never creates a second contact for the same
    address written differently."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(
        max_length=8, choices=LANGUAGE_CHOICES, blank=True, help_text="Blank: the campaign's."
    )
    attributes = models.JSONField(default=dict, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    suppressed_reason = models.CharField(max_length=200, blank=True)
    # The suppression window: when this contact was last invited by any campaign.
    last_invited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("email"), name="contact_email_unique_in_org"
            ),
            models.CheckConstraint(
                condition=Q(language__in=["", "en", "fr"]), name="contact_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(suppressed_at__isnull=True) | ~Q(suppressed_reason=""),
                name="contact_suppression_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "location"], name="contact_org_location_idx"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def reachable(self) -> bool:
        return self.unsubscribed_at is None and self.suppressed_at is None

    def unsubscribe(self, *, at: datetime) -> bool:
        """Stop every email to this contact; False when it had already unsubscribed."""
        done = (
            type(self)
            .objects.filter(pk=self.pk, unsubscribed_at__isnull=True)
            .update(unsubscribed_at=at, updated_at=at)
        )
        if done:
            self.unsubscribed_at = at
        return done == 1

    def suppress(self, *, at: datetime, reason: str) -> bool:
        done = (
            type(self)
            .objects.filter(pk=self.pk, suppressed_at__isnull=True)
            .update(suppressed_at=at, suppressed_reason=reason[:200], updated_at=at)
        )
        if done:
            self.suppressed_at, self.suppressed_reason = at, reason[:200]
        return done == 1


class ContactListQuerySet(OrgQuerySet):
    pass


class ContactList(models.Model):
    """A named set of contacts, filled by an import: a campaign's audience can be one."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    contacts = models.ManyToManyField(Contact, blank=True, related_name="lists")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ContactListQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="contact_list_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContactImportQuerySet(OrgQuerySet):
    pass


class ContactImport(models.Model):
    """A contacts CSV being imported in Celery, batch by batch (each batch and the progress
    written together, so a job taken over after a lost worker resumes where it stopped).
    Good rows are imported; every rejected row is listed with its line and reason."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Rejected"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="contact-imports/")
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # [{"line": 3, "reason": "not a valid email address"}, ...], the first MAX_LISTED only.
    errors = models.JSONField(default=list, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ContactImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "succeeded", "failed"]),
                name="contact_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact import {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


# -- campaigns -----------------------------------------------------------------------------------


class CampaignQuerySet(OrgQuerySet):
    pass


class Campaign(models.Model):
    """A survey sent by email to an audience of contacts, with reminders, an expiry and a
    per-contact suppression window; optionally an anonymous link (a QR code at a desk)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="campaigns")
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The location answers count for when the contact has none of their own.",
    )
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The audience: contacts of a list (an upload) and/or a filter over every contact.
    audience_list = models.ForeignKey(
        ContactList, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    audience_locations = models.ManyToManyField(Location, blank=True, related_name="+")
    audience_language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, blank=True)
    language = models.CharField(
        max_length=8,
        choices=LANGUAGE_CHOICES,
        default="en",
        help_text="For contacts without a language of their own.",
    )
    sender_name = models.CharField(max_length=100)
    subject_template = models.CharField(max_length=200)
    message_template = models.TextField()
    send_at = models.DateTimeField(null=True, blank=True)
    reminder_days = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField()
    suppression_days = models.PositiveIntegerField(default=30)
    anonymous_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    anonymous_cap = models.PositiveIntegerField(default=0)
    anonymous_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField(null=True, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Writing invitations: one writer at a time holds the lease; the cursor is the last contact
    # id written, committed with each batch, so a taken-over writer resumes after it.
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    cursor = models.BigIntegerField(default=0)
    invited_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    written_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=["draft", "scheduled", "sending", "sent", "closed", "cancelled"]
                ),
                name="campaign_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(language__in=["en", "fr"]) & Q(audience_language__in=["", "en", "fr"]),
                name="campaign_language_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(launched_at__isnull=False) | Q(status="cancelled"),
                name="campaign_launched_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["send_at"],
                name="campaign_due_idx",
                condition=Q(status__in=["scheduled", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def accepts_answers(self) -> bool:
        return self.status in (self.Status.SENDING, self.Status.SENT) and (
            timezone.now() < self.expires_at
        )

    def _move(self, to: str, *, allowed: tuple[str, ...], **changes) -> None:
        if self.status not in allowed:
            raise InvalidTransition(
                f"A {self.get_status_display().lower()} campaign cannot become "
                f"{self.Status(to).label.lower()}."
            )
        now = timezone.now()
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, status=self.status)
            .update(status=to, updated_at=now, **changes)
        )
        if claimed != 1:
            raise InvalidTransition("This campaign was changed meanwhile; reload the page.")
        self.status = to
        self.updated_at = now
        for name, value in changes.items():
            setattr(self, name, value)

    def schedule(self, *, by, at: datetime, send_at: datetime) -> None:
        """draft → scheduled: the writer starts at send_at (at once when it is now)."""
        self._move(
            self.Status.SCHEDULED,
            allowed=(self.Status.DRAFT,),
            send_at=send_at,
            launched_at=at,
            launched_by=by,
        )

    def cancel(self, *, at: datetime) -> None:
        """Anything not yet closed → cancelled (what has not gone is not sent)."""
        self._move(
            self.Status.CANCELLED,
            allowed=(
                self.Status.DRAFT,
                self.Status.SCHEDULED,
                self.Status.SENDING,
                self.Status.SENT,
            ),
            cancelled_at=at,
            lease_token=None,
            lease_expires_at=None,
        )

    def close(self, *, at: datetime) -> None:
        """sent → closed: no more answers, reminders or links."""
        self._move(self.Status.CLOSED, allowed=(self.Status.SENT,), closed_at=at)

    # The writer's lease (surveys.outreach.launch): claim, renew with progress, finish.

    def claim_writer(self, *, token: uuid.UUID, lease_until: datetime, now: datetime) -> bool:
        """scheduled (due) → sending, or take over a sending campaign whose writer was lost."""
        due = Q(status=self.Status.SCHEDULED, send_at__lte=now) | Q(
            status=self.Status.SENDING, written_at__isnull=True
        ) & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        claimed = (
            type(self)
            .objects.filter(due, pk=self.pk)
            .update(
                status=self.Status.SENDING,
                lease_token=token,
                lease_expires_at=lease_until,
                updated_at=now,
            )
        )
        if claimed == 1:
            self.status, self.lease_token, self.lease_expires_at = (
                self.Status.SENDING,
                token,
                lease_until,
            )
        return claimed == 1

    def record_batch(
        self, *, token: uuid.UUID, cursor: int, invited: int, skipped: int, lease_until: datetime
    ) -> bool:
        """Move the cursor (in the batch's transaction); False when the lease was lost."""
        return (
            type(self)
            .objects.filter(pk=self.pk, status=self.Status.SENDING, lease_token=token)
            .update(
                cursor=cursor,
                invited_count=F("invited_count") + invited,
                skipped_count=F("skipped_count") + skipped,
                lease_expires_at=lease_until,
            )
            == 1
        )

    def finish_writing(self, *, token: uuid.UUID, at: datetime) -> bool:
        """sending → sent once every invitation is written (the outbox delivers them)."""
        return (
            type(self)
            .objects.filter(pk=self.pk, status=self.Status.SENDING, lease_token=token)
            .update(
                status=self.Status.SENT,
                written_at=at,
                lease_token=None,
                lease_expires_at=None,
                updated_at=at,
            )
            == 1
        )


# -- invitations ---------------------------------------------------------------------------------


class InvitationQuerySet(OrgQuerySet):
    def active(self) -> InvitationQuerySet:
        """Not answered, unsubscribed or expired: may still answer and be reminded."""
        return self.filter(status__in=Invitation.ACTIVE)


class Invitation(models.Model):
    """One contact invited by one campaign (or, without a contact, one answer through the
    campaign's anonymous link). Its delivery state is its outbox message's; its own status
    follows the customer: opened, started, completed — or unsubscribed, expired."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        OPENED = "opened", "Opened"
        STARTED = "started", "Started"
        COMPLETED = "completed", "Completed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        EXPIRED = "expired", "Expired"

    ACTIVE = (Status.INVITED, Status.OPENED, Status.STARTED)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Not a secret: names the invitation in the URL of a session that already holds it.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    language = models.CharField(max_length=8, choices=LANGUAGE_CHOICES, default="en")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.INVITED)
    message = models.OneToOneField(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="invitation"
    )
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Exactly once: one invitation per contact and campaign.
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=Q(contact__isnull=False),
                name="invitation_campaign_contact_unique",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "invited",
                        "opened",
                        "started",
                        "completed",
                        "unsubscribed",
                        "expired",
                    ]
                ),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed")
                | (Q(response__isnull=False) & Q(completed_at__isnull=False)),
                name="invitation_completed_has_response",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["invited", "opened", "started"])
                | Q(next_reminder_at__isnull=True),
                name="invitation_reminders_only_while_active",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_reminder_at"],
                name="invitation_reminder_due_idx",
                condition=Q(
                    status__in=["invited", "opened", "started"], next_reminder_at__isnull=False
                ),
            ),
            models.Index(fields=["campaign", "status"], name="invitation_campaign_status_idx"),
            models.Index(fields=["contact", "status"], name="invitation_contact_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.status})"

    @property
    def is_anonymous(self) -> bool:
        return self.contact_id is None

    def _claim(self, to: str, *, allowed: tuple[str, ...], **changes) -> bool:
        """Move to `to` from any of `allowed`; False (nothing changed) otherwise."""
        if self.status not in allowed:
            return False
        done = (
            type(self).objects.filter(pk=self.pk, status__in=allowed).update(status=to, **changes)
        )
        if done:
            self.status = to
            for name, value in changes.items():
                setattr(self, name, value)
        return done == 1

    def mark_opened(self, *, at: datetime) -> bool:
        return self._claim(self.Status.OPENED, allowed=(self.Status.INVITED,), opened_at=at)

    def mark_started(self, *, at: datetime) -> bool:
        changes = {"started_at": at}
        if self.opened_at is None:
            changes["opened_at"] = at
        return self._claim(
            self.Status.STARTED, allowed=(self.Status.INVITED, self.Status.OPENED), **changes
        )

    def attach_response(self, response: Response) -> bool:
        """Link the draft; one response per invitation (also a database constraint)."""
        done = (
            type(self).objects.filter(pk=self.pk, response__isnull=True).update(response=response)
        )
        if done:
            self.response = response
        return done == 1

    def complete(self, *, response: Response, at: datetime) -> None:
        """invited | opened | started → completed, with its submitted response."""
        if self.status == self.Status.COMPLETED:
            raise InvalidTransition("This invitation was already answered.")
        done = self._claim(
            self.Status.COMPLETED,
            allowed=Invitation.ACTIVE,
            response=response,
            completed_at=at,
            next_reminder_at=None,
        )
        if not done:
            raise InvalidTransition(f"An invitation {self.status} cannot be completed.")

    def mark_unsubscribed(self, *, at: datetime) -> bool:
        return self._claim(
            self.Status.UNSUBSCRIBED,
            allowed=Invitation.ACTIVE,
            unsubscribed_at=at,
            next_reminder_at=None,
        )


class InvitationLink(models.Model):
    """One emailed link to an invitation: only the SHA-256 of its token is kept. Each email
    (the invitation, every reminder, a retry after a failed send) carries a token of its own."""

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Link to invitation {self.invitation_id}"
