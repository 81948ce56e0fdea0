"""Action items, their comments and their audit trail."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization, OrgQuerySet
from cxaudit.errors import InvalidTransition
from cxaudit.journeys.models import Standard, Touchpoint, Wave


class RootCause(models.TextChoices):
    EXPERTISE = "expertise", "Expertise (skills, training)"
    TECHNOLOGY = "technology", "Technology (tools, systems)"
    COMMUNICATION = "communication", "Communication (what is said or promised)"
    DATA = "data", "Data (what is measured or known)"
    PROCESS = "process", "Process (how the work is organised)"
    OTHER = "other", "Other"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    URGENT = 4, "Urgent"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done (waiting for the next wave)"
    VERIFIED = "verified", "Verified"
    REOPENED = "reopened", "Reopened"
    CANCELLED = "cancelled", "Cancelled"


# Where each status may go (by a person; verified/reopened come from the next wave's figure).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.OPEN: (Status.IN_PROGRESS, Status.DONE, Status.CANCELLED),
    Status.IN_PROGRESS: (Status.OPEN, Status.DONE, Status.CANCELLED),
    Status.REOPENED: (Status.IN_PROGRESS, Status.DONE, Status.CANCELLED),
    Status.DONE: (Status.IN_PROGRESS, Status.VERIFIED, Status.REOPENED),
    Status.VERIFIED: (),
    Status.CANCELLED: (Status.OPEN,),
}
ACTIVE = (Status.OPEN, Status.IN_PROGRESS, Status.REOPENED)


class Verdict(models.TextChoices):
    NARROWED = "narrowed", "The gap narrowed by more than its sampling error"
    MET_TARGET = "met_target", "The new figure meets the item's target"
    NOT_NARROWED = "not_narrowed", "The gap did not narrow beyond its sampling error"
    NOT_ENOUGH_DATA = "not_enough_data", "Not enough data to tell"


class ActionItemQuerySet(OrgQuerySet):
    def active(self) -> ActionItemQuerySet:
        return self.filter(status__in=ACTIVE)

    def overdue(self, today: dt.date | None = None) -> ActionItemQuerySet:
        return self.active().filter(due_date__lt=today or timezone.localdate())

    def visible_to(self, membership) -> ActionItemQuerySet:
        """What a member may see: every item, or for a manager limited to some locations the
        items of those locations and the organisation-wide ones (cxaudit.accounts.scope)."""
        from cxaudit.accounts.scope import LocationScope

        if membership is None:
            return self
        return LocationScope.of(membership).filter(self, org_wide=True)


class ActionItem(models.Model):
    """What will be done about one gap, by whom and by when, and whether it worked."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # The gap: a standard's, or a touchpoint's roll-up; everywhere, or at one location.
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, null=True, blank=True, related_name="action_items"
    )
    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="action_items"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, related_name="action_items", help_text="Found in."
    )
    gap = models.CharField(max_length=40)
    # The figure at creation: the gap's dict as the report gives it (diff_100, ci, p, n…).
    baseline = models.JSONField(default=dict)
    # Optional: the item is also verified when |gap| is at most this many points.
    target_gap = models.FloatField(null=True, blank=True)

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    root_cause = models.CharField(max_length=20, choices=RootCause.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField()
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)

    # The evaluation by a later closed wave (figures side by side on the item's page).
    evaluated_wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evaluation = models.JSONField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "-priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(standard__isnull=False) | Q(touchpoint__isnull=False),
                name="action_has_a_scope",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="action_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(root_cause__in=RootCause.values), name="action_root_cause_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="action_priority_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "status", "due_date"], name="action_org_status_idx"
            ),
            models.Index(fields=["owner", "status"], name="action_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status in ACTIVE and self.due_date < timezone.localdate()

    @property
    def allowed_next(self) -> tuple[str, ...]:
        return TRANSITIONS.get(self.status, ())

    def move(self, to: str, **fields) -> str:
        """Change status (and `fields`) if `to` may follow the current status; claims the row
        with a conditional update, so of two concurrent changes one wins and the other is told.
        Returns the status it came from."""
        before = self.status
        if to not in TRANSITIONS.get(before, ()):
            raise InvalidTransition(
                f"An action that is {self.get_status_display().lower()} cannot become "
                f"{Status(to).label.lower()}.",
                field="status",
            )
        changes = {"status": to, "updated_at": timezone.now(), **fields}
        claimed = type(self).objects.filter(pk=self.pk, status=before).update(**changes)
        if claimed != 1:
            raise InvalidTransition(
                "This action was changed by someone else meanwhile; reload the page.",
                field="status",
            )
        for name, value in changes.items():
            setattr(self, name, value)
        return before


class ActionComment(models.Model):
    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.item_id}"


class ActionEvent(models.Model):
    """The audit trail: who changed what, when, from → to, and why."""

    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    what = models.CharField(max_length=40)  # created, status, edited, evaluated, comment
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.what} {self.from_status}→{self.to_status}"
