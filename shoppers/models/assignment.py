"""Assignments: one shop (scenario x location x wave x visit window) and the status machine a
shop moves through, with its audit trail, and the requests and offers that lead to one.

    open -> assigned -> in progress -> submitted -> approved | rejected
                                           |  ^
                                           v  |
                                      returned -> resubmitted -> approved | rejected | returned
    open | assigned | in progress -> cancelled (staff)
    assigned | in progress | returned -> expired (past the deadline, by the periodic task; a
        shop returned for edits and not sent again by its new deadline too)
    assigned -> open (staff unassign, or the shopper releases it before starting)

Each transition is a method that checks the rule, then claims the row with a conditional update
that repeats what it checked (docs/state-changes.md): of two concurrent callers exactly one
wins; the other gets InvalidTransition saying the shop changed meanwhile. Services call these
methods inside their transaction and write the audit row, the outbox message and the other
rows a transition touches (the response, the shopper's rating).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization, OrgQuerySet
from cxaudit.errors import DomainError, InvalidTransition
from cxaudit.journeys.models import Wave
from surveys.models import Response

from .panel import Scenario


class AssignmentStatus(models.TextChoices):
    OPEN = "open", "Open"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned for edits"
    RESUBMITTED = "resubmitted", "Resubmitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


S = AssignmentStatus
# The shopper holds it and has work to do (counts toward the open-at-once limit).
ACTIVE_STATUSES = (S.ASSIGNED, S.IN_PROGRESS, S.RETURNED)
# Waiting for a reviewer.
REVIEWABLE_STATUSES = (S.SUBMITTED, S.RESUBMITTED)
# The shopper has (or had) it: counts for lockouts between shops at one location.
HELD_STATUSES = (*ACTIVE_STATUSES, *REVIEWABLE_STATUSES, S.APPROVED, S.REJECTED)
# A response exists from the first submission on.
WITH_RESPONSE = (*REVIEWABLE_STATUSES, S.RETURNED, S.APPROVED, S.REJECTED)


class AssignmentQuerySet(OrgQuerySet):
    def open_jobs(self) -> AssignmentQuerySet:
        """Jobs nobody holds, of a scenario still in use, at an open location, in a wave not
        closed (the same conditions as `unavailable_reasons`)."""
        return self.filter(
            status=S.OPEN,
            shopper__isnull=True,
            scenario__is_active=True,
            location__is_active=True,
        ).exclude(wave__status=Wave.Status.CLOSED)

    def for_shopper(self, user) -> AssignmentQuerySet:
        return self.filter(shopper=user)

    def to_review(self) -> AssignmentQuerySet:
        """Submitted and resubmitted shops, oldest submission first."""
        return self.filter(status__in=REVIEWABLE_STATUSES).order_by("submitted_at", "pk")

    def overdue(self, now: datetime) -> AssignmentQuerySet:
        return self.filter(status__in=(S.ASSIGNED, S.IN_PROGRESS, S.RETURNED), deadline__lt=now)

    def payable(self) -> AssignmentQuerySet:
        return self.filter(status=S.APPROVED, payout_batch__isnull=True)


class Assignment(models.Model):
    """One shop: a scenario at a location in a wave, to be visited within a window."""

    Status = AssignmentStatus

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="assignments"
    )
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="assignments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="assignments")
    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="assignments")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    deadline = models.DateTimeField(help_text="The report must be submitted by then.")
    status = models.CharField(max_length=12, choices=S.choices, default=S.OPEN)
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    # One response per assignment, by the database (a OneToOne is unique).
    response = models.OneToOneField(
        Response, on_delete=models.PROTECT, null=True, blank=True, related_name="assignment"
    )
    fee = models.DecimalField(max_digits=8, decimal_places=2)
    expense_cap = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    # Replaying a bulk creation finds its rows by this key and creates nothing twice.
    bulk_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    returns = models.PositiveSmallIntegerField(default=0, help_text="Times returned for edits.")
    # What the shopper reports about the visit (required before submitting).
    visited_at = models.DateTimeField(null=True, blank=True)
    visit_minutes = models.PositiveIntegerField(null=True, blank=True)
    expense_claimed = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    expense_approved = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    # Visit integrity, assessed at each submission (shoppers.review.integrity).
    integrity_score = models.PositiveSmallIntegerField(null=True, blank=True)
    integrity_flags = models.JSONField(default=list, blank=True)
    # 1-5 points for the shopper's rating, set when the shop is decided.
    outcome_points = models.PositiveSmallIntegerField(null=True, blank=True)
    payout_batch = models.ForeignKey(
        "shoppers.PayoutBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["window_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=S.values), name="assignment_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="assignment_window_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("window_end")),
                name="assignment_deadline_after_window",
            ),
            # Open means nobody holds it; from assigned to decided, somebody does.
            models.CheckConstraint(
                condition=models.Q(status=S.OPEN, shopper__isnull=True)
                | models.Q(status__in=[S.CANCELLED, S.EXPIRED])
                | (
                    ~models.Q(status__in=[S.OPEN, S.CANCELLED, S.EXPIRED])
                    & models.Q(shopper__isnull=False)
                ),
                name="assignment_shopper_matches_status",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=WITH_RESPONSE) | models.Q(response__isnull=False),
                name="assignment_submitted_has_response",
            ),
            models.CheckConstraint(
                condition=models.Q(payout_batch__isnull=True) | models.Q(status=S.APPROVED),
                name="assignment_paid_only_when_approved",
            ),
            models.CheckConstraint(
                condition=models.Q(fee__gte=0) & models.Q(expense_cap__gte=0),
                name="assignment_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(expense_approved__isnull=True)
                | models.Q(expense_approved__gte=0, expense_approved__lte=models.F("expense_cap")),
                name="assignment_expense_within_cap",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "window_start"]),
            models.Index(fields=["shopper", "location", "window_start"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["organization", "wave", "location"]),
        ]

    def __str__(self) -> str:
        return f"{self.scenario} at {self.location.name} ({self.wave})"

    # -- reads --------------------------------------------------------------------------------

    @property
    def payable_amount(self) -> Decimal:
        return self.fee + (self.expense_approved or Decimal("0"))

    def is_overdue(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) > self.deadline

    # -- the status machine -------------------------------------------------------------------

    def _claim(self, *, to: str, where: dict[str, Any] | None = None, **fields: Any) -> None:
        """Move from the status this instance was read in to `to`, writing `fields`, only if
        the row still is in that status (and matches `where`); else someone moved it first."""
        now = timezone.now()
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, status=self.status, **(where or {}))
            .update(status=to, updated_at=now, **fields)
        )
        if claimed != 1:
            raise InvalidTransition(
                "This shop was changed by someone else meanwhile; reload the page to see it."
            )
        self.status = to
        self.updated_at = now
        for name, value in fields.items():
            setattr(self, name, value)

    def _require(self, allowed: tuple[str, ...], action: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition(
                f"A shop that is {self.get_status_display().lower()} cannot be {action}."
            )

    def assign(self, *, shopper, at: datetime) -> None:
        """open -> assigned to `shopper` while its visit window is open (the other rules are
        checked by the scheduling service)."""
        self._require((S.OPEN,), "assigned")
        if at > self.window_end:
            raise DomainError("This job's visit window has closed.", field="shopper")
        self._claim(to=S.ASSIGNED, where={"shopper__isnull": True}, shopper=shopper, assigned_at=at)

    def unassign(self) -> None:
        """assigned -> open (staff, or the shopper releasing a job not yet started); the next
        holder is reminded afresh."""
        self._require((S.ASSIGNED,), "released")
        self._claim(
            to=S.OPEN,
            where={"shopper": self.shopper},
            shopper=None,
            assigned_at=None,
            reminded_at=None,
        )

    def start(self, *, by, at: datetime) -> None:
        """assigned -> in progress: the shopper starts the visit (and its form), from the
        window's opening until the report deadline; a visit time outside the window is
        flagged for the reviewer, not refused (shoppers.review.integrity)."""
        self._require((S.ASSIGNED,), "started")
        self._check_shopper(by)
        if at < self.window_start:
            raise DomainError(
                "The visit window has not opened yet: start the visit on or after "
                f"{timezone.localtime(self.window_start):%d %b %Y %H:%M}."
            )
        if at > self.deadline:
            raise DomainError("The deadline of this shop has passed.")
        self._claim(to=S.IN_PROGRESS, where={"shopper": by}, started_at=at)

    def attach_response(self, response: Response) -> None:
        """Link the visit form's draft (once; the OneToOne makes a second one impossible)."""
        if self.response_id is not None and self.response_id != response.pk:
            raise InvalidTransition("This shop already has a visit form.")
        claimed = (
            type(self)
            .objects.filter(pk=self.pk, response__isnull=True, status=S.IN_PROGRESS)
            .update(response=response)
        )
        if claimed != 1 and self.response_id != response.pk:
            raise InvalidTransition("This shop was changed meanwhile; reload the page.")
        self.response = response

    def submit(self, *, by, at: datetime) -> None:
        """in progress -> submitted, returned -> resubmitted: the shopper's report, before the
        deadline, once the visit details are recorded."""
        self._require((S.IN_PROGRESS, S.RETURNED), "submitted")
        self._check_shopper(by)
        if at > self.deadline:
            raise DomainError("The deadline of this shop has passed; it can no longer be sent.")
        if self.visited_at is None or self.visit_minutes is None:
            raise DomainError(
                "Record when the visit took place and how long it lasted before sending.",
                field="visited_at",
            )
        if self.response_id is None:
            raise DomainError("Fill in the visit form before sending.")
        to = S.SUBMITTED if self.status == S.IN_PROGRESS else S.RESUBMITTED
        fields: dict[str, Any] = {"submitted_at": at}
        if self.first_submitted_at is None:
            fields["first_submitted_at"] = at
        self._claim(to=to, where={"shopper": by}, **fields)

    def return_for_edits(self, *, by, at: datetime, deadline: datetime) -> None:
        """submitted | resubmitted -> returned: the reviewer sends it back (comment required,
        checked by the service); the shopper gets until `deadline` to correct it."""
        self._require(REVIEWABLE_STATUSES, "returned")
        self._claim(
            to=S.RETURNED,
            reviewer=by,
            returns=self.returns + 1,
            deadline=max(self.deadline, deadline),
        )

    def approve(self, *, by, at: datetime, expense_approved: Decimal | None) -> None:
        """submitted | resubmitted -> approved: the shop counts and its fee becomes payable."""
        self._require(REVIEWABLE_STATUSES, "approved")
        if self.response is None or self.response.score_percent is None:
            raise DomainError("This shop has no score yet; it cannot be approved.")
        if expense_approved is not None and not (
            Decimal("0") <= expense_approved <= self.expense_cap
        ):
            raise DomainError(
                f"The expense refunded must be between 0 and the cap of {self.expense_cap}.",
                field="expense_approved",
            )
        self._claim(
            to=S.APPROVED,
            reviewer=by,
            decided_at=at,
            expense_approved=expense_approved,
            outcome_points=5 if self.returns == 0 else 3,
        )

    def reject(self, *, by, at: datetime) -> None:
        """submitted | resubmitted -> rejected (reason required, checked by the service)."""
        self._require(REVIEWABLE_STATUSES, "rejected")
        self._claim(to=S.REJECTED, reviewer=by, decided_at=at, outcome_points=1)

    def cancel(self) -> None:
        """open | assigned | in progress -> cancelled (staff; reason checked by the service)."""
        self._require((S.OPEN, S.ASSIGNED, S.IN_PROGRESS), "cancelled")
        self._claim(to=S.CANCELLED)

    def expire(self, *, at: datetime) -> None:
        """assigned | in progress | returned -> expired, once the deadline has passed (a
        returned shop's draft stays, uncounted)."""
        self._require((S.ASSIGNED, S.IN_PROGRESS, S.RETURNED), "expired")
        if at <= self.deadline:
            raise InvalidTransition("This shop's deadline has not passed.")
        self._claim(to=S.EXPIRED, where={"deadline__lt": at})

    def _check_shopper(self, user) -> None:
        if self.shopper_id != getattr(user, "pk", None):
            raise InvalidTransition("This shop is assigned to another shopper.")


class AssignmentEvent(models.Model):
    """The audit trail: who did what to a shop, when, from which status to which, and why."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        TRANSITION = "transition", "Status changed"
        EDIT = "edit", "Answer edited by a reviewer"
        VISIT = "visit", "Visit details recorded"
        REQUEST = "request", "Job requested"
        OFFER = "offer", "Job offered"
        NOTE = "note", "Note"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="events")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the system acted (expiry).",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    from_status = models.CharField(max_length=12, choices=S.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=S.choices, blank=True)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    # e.g. {"question": "q7", "before": "yes", "after": "no"} for an edit; {"self": true}.
    details = models.JSONField(default=dict, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["assignment", "at"]),
            models.Index(fields=["actor", "kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_status}->{self.to_status} at {self.at}"

    @property
    def shopper_visible(self) -> bool:
        """Review comments and status changes are shown to the shopper; staff edits' details
        and notes are not."""
        return self.kind in (self.Kind.TRANSITION, self.Kind.CREATED)


class JobRequest(models.Model):
    """A shopper asking for an open job that staff then confirm (or decline)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="requests")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_requests"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "shopper"], name="job_request_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "declined", "withdrawn"]),
                name="job_request_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shopper} asks for {self.assignment_id} ({self.status})"


class JobOffer(models.Model):
    """Staff offering an open job to a shopper by email; the first to accept takes it."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        TAKEN = "taken", "Taken by someone else"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="offers")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    shopper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_offers"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-offered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "shopper"], name="job_offer_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["offered", "accepted", "declined", "taken"]),
                name="job_offer_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id} offered to {self.shopper} ({self.status})"
