"""Outbound messages: one row per email, written in the transaction of the business change that
causes it, sent by a task that claims the row, retried from the row's due time by a sweeper.

`OutboxRow` holds the delivery machinery (state, attempts, due time, lease) so that other kinds
of outbound delivery (webhooks) reuse the same claim / retry / sweeper shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone


class State(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RETRY = "retry", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent"


DUE_STATES = (State.QUEUED, State.RETRY)


class OutboxQuerySet(models.QuerySet):
    def due(self, now: datetime | None = None) -> OutboxQuerySet:
        """Rows a sender may claim now: queued or waiting to retry, and due."""
        return self.filter(state__in=DUE_STATES, due_at__lte=now or timezone.now())

    def lease_expired(self, now: datetime | None = None) -> OutboxQuerySet:
        """Rows claimed by a sender that stopped (killed, lost) before finishing them."""
        return self.filter(state=State.SENDING, lease_expires_at__lt=now or timezone.now())

    def claimed_by(self, token: uuid.UUID) -> OutboxQuerySet:
        return self.filter(state=State.SENDING, lease_token=token)

    def claim_due(
        self, *, limit: int, lease: timedelta, only: list[int] | None = None
    ) -> tuple[uuid.UUID, list[int]]:
        """Claim up to `limit` due rows for one sender: a conditional update from queued/retry
        to sending under a fresh lease token. Rows locked by another sender are skipped, so two
        senders never hold the same row. Returns the token and the claimed ids (oldest first)."""
        token = uuid.uuid4()
        now = timezone.now()
        candidates = self.due(now)
        if only is not None:
            candidates = candidates.filter(pk__in=only)
        with transaction.atomic():
            ids = list(
                candidates.order_by("due_at", "pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:limit]
            )
            if not ids:
                return token, []
            self.model.objects.filter(pk__in=ids, state__in=DUE_STATES).update(
                state=State.SENDING,
                lease_token=token,
                lease_expires_at=now + lease,
                last_attempt_at=now,
                attempts=F("attempts") + 1,
            )
        return token, ids

    def cancel_due(self, reason: str) -> int:
        """Cancel the rows no sender has claimed yet (queued or waiting to retry): a business
        change made them unwanted (a cancelled campaign). Rows being sent are left to their
        sender, whose purpose's `build` decides."""
        return self.filter(state__in=DUE_STATES).update(
            state=State.CANCELLED, last_error=reason[:2000]
        )

    def requeue_failed(self, now: datetime | None = None) -> int:
        """Staff's "retry now" for many rows at once: failed rows become due again with a
        fresh count of attempts (the caller wakes a sender after commit)."""
        return self.filter(state=State.FAILED).update(
            state=State.QUEUED, due_at=now or timezone.now(), attempts=0, last_error=""
        )

    def renew(self, token: uuid.UUID, lease: timedelta) -> int:
        """Extend the lease of the rows `token` still holds; returns how many it holds."""
        return self.claimed_by(token).update(lease_expires_at=timezone.now() + lease)

    def release_expired(self, *, max_attempts: int, now: datetime | None = None) -> tuple[int, int]:
        """Hand rows whose sender was lost back to the queue (or fail them once they have used
        up their attempts: a message that kills its sender must not loop forever).
        Returns (re-queued, failed)."""
        now = now or timezone.now()
        expired = self.lease_expired(now)
        failed = expired.filter(attempts__gte=max_attempts).update(
            state=State.FAILED,
            lease_token=None,
            lease_expires_at=None,
            last_error=f"The sender was lost {max_attempts} times while sending this message.",
        )
        requeued = expired.update(
            state=State.QUEUED,
            due_at=now,
            lease_token=None,
            lease_expires_at=None,
            last_error="The sender was lost before it finished (its lease expired); queued again.",
        )
        return requeued, failed


class OutboxRow(models.Model):
    """Delivery state of one outbound item. Transitions are conditional updates fenced by the
    lease token of the claim (see OutboxQuerySet.claim_due and the mark_* methods): a sender
    that lost its lease changes nothing."""

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # When the row may be claimed: creation (or a scheduled time) for queued rows, the next
    # attempt for rows waiting to retry.
    due_at = models.DateTimeField(default=timezone.now)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def _fenced(self, token: uuid.UUID, **changes) -> bool:
        """Apply `changes` only while `token` holds the claim; True if it did."""
        done = type(self).objects.filter(pk=self.pk, lease_token=token).update(**changes) == 1
        if done:
            for name, value in changes.items():
                setattr(self, name, value)
        return done

    def mark_sent(self, token: uuid.UUID, *, at: datetime | None = None, **extra) -> bool:
        return self._fenced(
            token, state=State.SENT, sent_at=at or timezone.now(), last_error="", **extra
        )

    def mark_retry(
        self, token: uuid.UUID, *, error: str, due_at: datetime, max_attempts: int
    ) -> bool:
        """A transient failure: try again from `due_at`, or fail when attempts are used up."""
        if self.attempts >= max_attempts:
            return self.mark_failed(
                token, error=f"{error} (gave up after {self.attempts} attempts)"
            )
        return self._fenced(
            token,
            state=State.RETRY,
            due_at=due_at,
            lease_token=None,
            lease_expires_at=None,
            sent_at=None,  # a refusal read after "sent" was recorded (delivery.py) undoes it
            last_error=error[:2000],
        )

    def mark_failed(self, token: uuid.UUID, *, error: str) -> bool:
        """A permanent failure (a 5xx for the recipient): recorded, never retried."""
        return self._fenced(
            token,
            state=State.FAILED,
            lease_token=None,
            lease_expires_at=None,
            sent_at=None,
            last_error=error[:2000],
        )

    def mark_cancelled(self, token: uuid.UUID, *, reason: str) -> bool:
        """Not wanted any more when its turn came (e.g. the recipient unsubscribed)."""
        return self._fenced(
            token,
            state=State.CANCELLED,
            lease_token=None,
            lease_expires_at=None,
            last_error=reason[:2000],
        )

    def requeue_now(self) -> bool:
        """Staff's "retry now": a failed or waiting row becomes due at once (attempts start
        over). Conditional, so a double click or a row already sent changes nothing."""
        updated = (
            type(self)
            .objects.filter(pk=self.pk, state__in=[State.FAILED, State.RETRY])
            .update(state=State.QUEUED, due_at=timezone.now(), attempts=0, last_error="")
        )
        if updated:
            self.refresh_from_db()
        return updated == 1


def outbox_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The invariants of an OutboxRow table, named `<prefix>_…` (for its Meta.constraints)."""
    return [
        models.CheckConstraint(condition=Q(state__in=State.values), name=f"{prefix}_state_valid"),
        models.CheckConstraint(
            condition=~Q(state=State.SENDING) | Q(lease_token__isnull=False),
            name=f"{prefix}_sending_has_lease",
        ),
        models.CheckConstraint(
            condition=~Q(state=State.SENT) | Q(sent_at__isnull=False),
            name=f"{prefix}_sent_has_time",
        ),
    ]


def outbox_indexes(prefix: str) -> list[models.Index]:
    """The indexes the claim (due rows) and the sweeper (expired leases) read, named
    `<prefix>_…` (for an OutboxRow table's Meta.indexes)."""
    return [
        models.Index(
            fields=["due_at", "id"],
            name=f"{prefix}_due_idx",
            condition=Q(state__in=["queued", "retry"]),
        ),
        models.Index(
            fields=["lease_expires_at"], name=f"{prefix}_lease_idx", condition=Q(state="sending")
        ),
    ]


class MessageQuerySet(OutboxQuerySet):
    def for_org(self, org) -> MessageQuerySet:
        return self.filter(organization=org)


class Message(OutboxRow):
    """One email. Its content is rendered when it is sent, from the purpose's template triple
    (`<template>_subject.txt`, `<template>.txt`, `<template>.html`) and `context`; secrets such
    as personal links are computed then by the purpose (cxaudit.messaging.registry), so they
    are never stored here."""

    # Named by string: the outbox sits below accounts and imports none of it.
    organization = models.ForeignKey(
        "accounts.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="The organisation the message is about (none for account emails).",
    )
    purpose = models.CharField(max_length=60)
    # One business event, one message: (purpose, key) is unique, e.g. ("accounts.welcome",
    # "membership:42").
    key = models.CharField(max_length=200)
    to_email = models.EmailField(max_length=254)
    to_name = models.CharField(max_length=200, blank=True)
    from_email = models.CharField(max_length=320, blank=True, help_text="Blank: the default.")
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True)
    # Generated when queued, so every attempt (and a receiver deduplicating) sees the same id.
    message_id = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=998, blank=True, help_text="Set when sent.")

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "key"], name="message_purpose_key_unique"),
            *outbox_constraints("message"),
        ]
        indexes = [
            *outbox_indexes("message"),
            models.Index(fields=["organization", "-created_at"], name="message_org_idx"),
            models.Index(fields=["to_email"], name="message_to_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} to {self.to_email} ({self.state})"

    @property
    def is_retryable(self) -> bool:
        return self.state in (State.FAILED, State.RETRY)
