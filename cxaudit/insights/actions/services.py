"""Action plan workflows: create an item from a gap, edit it, move it, comment on it, evaluate
the done ones when a later wave closes, and remind owners. Each writes its audit event and
queues its notification (the outbox) in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cxaudit.accounts.capabilities import Cap
from cxaudit.accounts.models import Location, Membership, Organization, User
from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.journeys.models import Standard, Touchpoint, Wave
from cxaudit.messaging.services import queue_message
from cxaudit.textinput import text_problem
from cxaudit.webhooks.events import ACTION_ITEM_CHANGED
from cxaudit.webhooks.services import emit

from ..gaps import GAPS, analyse_gaps
from ..gaps.analysis import GapAnalysis
from . import emails
from .models import ACTIVE, ActionComment, ActionEvent, ActionItem, Status
from .verification import Figure, evaluate, suggest_priority

TEXT_MAX = 5000


@dataclass(frozen=True)
class GapScope:
    """Which gap an item addresses: a standard's or a touchpoint's, everywhere or at a location,
    as found in a wave."""

    organization: Organization
    wave: Wave
    gap: str
    standard: Standard | None = None
    touchpoint: Touchpoint | None = None
    location: Location | None = None

    def check(self) -> None:
        org = self.organization.pk
        if self.gap not in GAPS:
            raise DomainError(f"Unknown gap {self.gap!r}.", field="gap")
        if (self.standard is None) == (self.touchpoint is None):
            raise DomainError("Choose a standard or a touchpoint.", field="standard")
        if self.standard is not None and self.standard.organization_id != org:
            raise DomainError("The standard belongs to another organisation.", field="standard")
        if self.touchpoint is not None and self.touchpoint.stage.journey.organization_id != org:
            raise DomainError("The touchpoint belongs to another organisation.", field="touchpoint")
        if self.location is not None and self.location.organization_id != org:
            raise DomainError("The location belongs to another organisation.", field="location")
        if self.wave.organization_id != org:
            raise DomainError("The wave belongs to another organisation.", field="wave")


def gap_figure(scope: GapScope, analysis: GapAnalysis | None = None) -> dict[str, Any]:
    """The report's gap dict (plus n_a, n_b) for `scope`; {} when there are no answers."""
    analysis = analysis or analyse_gaps(
        organization=scope.organization, wave=scope.wave, location=scope.location
    )
    if scope.standard is not None:
        rows = [r for r in analysis.rows("standard") if r.key["standard"] == scope.standard.code]
    else:
        rows = [
            r for r in analysis.rows("touchpoint") if r.key["touchpoint"] == scope.touchpoint.pk
        ]
    if not rows:
        return {}
    gap = rows[0].gaps[scope.gap]
    return {**gap.to_dict(), "n_a": gap.n_a, "n_b": gap.n_b, "method": gap.method}


def _check_owner(organization: Organization, owner: User) -> None:
    membership = Membership.objects.active().filter(organization=organization, user=owner).first()
    if membership is None or not membership.has(Cap.VIEW_INSIGHTS):
        raise DomainError(
            "The owner must be a member of the organisation who can see its insights.",
            field="owner",
        )


def _check_text(title: str, description: str) -> None:
    errors = []
    if not title.strip():
        errors.append(("title", "a title is required"))
    if len(title) > 200:
        errors.append(("title", "at most 200 characters"))
    if len(description) > TEXT_MAX:
        errors.append(("description", f"at most {TEXT_MAX} characters"))
    for name, value in (("title", title), ("description", description)):
        if problem := text_problem(value):
            errors.append((name, problem))
    if errors:
        raise ValidationFailed("The action is not valid.", errors)


def _full_clean(item: ActionItem) -> None:
    """Model validation (choices, lengths) as a ValidationFailed naming each field."""
    try:
        item.full_clean(exclude=["baseline", "evaluation"])
    except ValidationError as exc:
        errors = [(f, " ".join(m)) for f, m in exc.message_dict.items()]
        raise ValidationFailed("The action is not valid.", errors) from exc


def _event(item: ActionItem, actor: User | None, what: str, *, before="", after="", note=""):
    ActionEvent.objects.create(
        item=item, actor=actor, what=what, from_status=before, to_status=after, note=note[:2000]
    )
    if what != "comment" and (what != "evaluated" or after):
        emit(item.organization_id, ACTION_ITEM_CHANGED, _webhook_payload(item, what, note))


def _webhook_payload(item: ActionItem, change: str, note: str) -> dict[str, Any]:
    return {
        "change": change,  # created, edited, status, evaluated
        "note": note[:2000],
        "action_item": {
            "id": item.pk,
            "title": item.title,
            "status": item.status,
            "priority": item.priority,
            "due_date": item.due_date,
            "owner_id": item.owner_id,
            "gap": item.gap,
            "standard_id": item.standard_id,
            "touchpoint_id": item.touchpoint_id,
            "location_id": item.location_id,
            "wave_id": item.wave_id,
        },
    }


def _notify_assigned(item: ActionItem, actor: User | None, serial: int) -> None:
    if actor is not None and item.owner_id == actor.pk:
        return  # nobody needs an email about what they just gave themselves
    queue_message(
        purpose=emails.ASSIGNED,
        key=f"action:{item.pk}:assigned:{item.owner_id}:{serial}",
        to_email=item.owner.email,
        to_name=item.owner.full_name,
        organization=item.organization,
        context={"item_id": item.pk, "owner_id": item.owner_id},
    )


@transaction.atomic
def create_action(
    *,
    scope: GapScope,
    actor: User | None,
    title: str,
    owner: User,
    due_date: dt.date,
    root_cause: str,
    description: str = "",
    priority: int | None = None,
    target_gap: float | None = None,
    today: dt.date | None = None,
) -> ActionItem:
    """Create an action item for a gap, with the gap's figure and interval at creation read from
    the data (never from the form); the owner is told by email."""
    scope.check()
    _check_text(title, description)
    _check_owner(scope.organization, owner)
    if due_date < (today or timezone.localdate()):
        raise DomainError("The due date is in the past.", field="due_date")
    if target_gap is not None and not (0 <= target_gap <= 100):
        raise DomainError("The target is a gap size from 0 to 100 points.", field="target_gap")
    baseline = gap_figure(scope)
    if priority is None:
        std = scope.standard
        tp = scope.touchpoint or (std.touchpoint if std else None)
        priority = suggest_priority(
            baseline.get("diff_100"),
            std.importance if std else 3,
            bool(tp and tp.is_moment_that_matters),
        )
    item = ActionItem(
        organization=scope.organization,
        standard=scope.standard,
        touchpoint=scope.touchpoint,
        location=scope.location,
        wave=scope.wave,
        gap=scope.gap,
        baseline=baseline,
        target_gap=target_gap,
        title=title.strip(),
        description=description.strip(),
        root_cause=root_cause,
        owner=owner,
        due_date=due_date,
        priority=priority,
        created_by=actor,
    )
    _full_clean(item)
    item.save()
    _event(item, actor, "created", after=item.status)
    _notify_assigned(item, actor, serial=0)
    return item


EDITABLE = ("title", "description", "root_cause", "owner", "due_date", "priority", "target_gap")


@transaction.atomic
def update_action(*, item: ActionItem, actor: User | None, **changes: Any) -> ActionItem:
    """Edit an item's plan (not its gap or status); a new owner is told by email."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.")
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    changed = {k: v for k, v in changes.items() if getattr(locked, k) != v}
    if not changed:
        return locked
    _check_text(changed.get("title", locked.title), changed.get("description", locked.description))
    if "owner" in changed:
        _check_owner(locked.organization, changed["owner"])
    if "due_date" in changed and changed["due_date"] < timezone.localdate():
        raise DomainError("The due date is in the past.", field="due_date")
    for name, value in changed.items():
        setattr(locked, name, value)
    _full_clean(locked)
    locked.save(update_fields=[*changed, "updated_at"])
    _event(locked, actor, "edited", note="Changed: " + ", ".join(sorted(changed)))
    if "owner" in changed:
        _notify_assigned(locked, actor, serial=locked.events.count())
    return locked


MANUAL = (Status.OPEN, Status.IN_PROGRESS, Status.DONE, Status.CANCELLED)


@transaction.atomic
def change_status(*, item: ActionItem, actor: User | None, to: str, note: str = "") -> ActionItem:
    """Move an item by hand (verified and reopened are decided by the next wave's figure)."""
    if to not in MANUAL:
        raise DomainError(
            "Verified and reopened are set when a later wave's figures are in.", field="status"
        )
    before = item.move(to)
    _event(item, actor, "status", before=before, after=to, note=note)
    return item


@transaction.atomic
def add_comment(*, item: ActionItem, author: User | None, text: str) -> ActionComment:
    text = text.strip()
    if not text:
        raise DomainError("Write something first.", field="text")
    if len(text) > TEXT_MAX:
        raise DomainError(f"At most {TEXT_MAX} characters.", field="text")
    if problem := text_problem(text):
        raise DomainError(f"The comment {problem}.", field="text")
    comment = ActionComment.objects.create(item=item, author=author, text=text)
    _event(item, author, "comment")
    return comment


@transaction.atomic
def evaluate_actions(*, wave: Wave) -> dict[str, int]:
    """Evaluate every done item found before `wave` (a closed wave) against the same gap and
    scope in it: verified, reopened (the owner is told), or left done with "not enough data".
    Idempotent: an item evaluated against this wave (or a later one) is not evaluated again."""
    counts = {"verified": 0, "reopened": 0, "not_enough_data": 0}
    if wave.status != Wave.Status.CLOSED:
        return counts
    items = (
        ActionItem.objects.for_org(wave.organization)
        .filter(status=Status.DONE, wave__starts_on__lt=wave.starts_on)
        .select_related("wave", "standard", "touchpoint__stage__journey", "location", "owner")
        .select_for_update(of=("self",))
    )
    analyses: dict[int | None, GapAnalysis] = {}
    for item in items:
        if item.evaluated_wave_id and item.evaluated_wave.starts_on >= wave.starts_on:
            continue
        scope = GapScope(
            organization=wave.organization,
            wave=wave,
            gap=item.gap,
            standard=item.standard,
            touchpoint=item.touchpoint,
            location=item.location,
        )
        key = item.location_id
        if key not in analyses:
            analyses[key] = analyse_gaps(
                organization=wave.organization, wave=wave, location=item.location
            )
        after = gap_figure(scope, analyses[key])
        result = evaluate(
            Figure.from_gap(item.baseline), Figure.from_gap(after), target_gap=item.target_gap
        )
        evaluation = {"wave": wave.name, "after": after, **result.to_dict()}
        fields = {
            "evaluated_wave": wave,
            "evaluation": evaluation,
            "evaluated_at": timezone.now(),
        }
        if result.verdict == "not_enough_data":
            ActionItem.objects.filter(pk=item.pk).update(**fields)
            _event(item, None, "evaluated", note=f"{wave.name}: not enough data to tell")
            counts["not_enough_data"] += 1
            continue
        to = Status.VERIFIED if result.verified else Status.REOPENED
        before = item.move(to, **fields)
        _event(
            item,
            None,
            "evaluated",
            before=before,
            after=to,
            note=f"{wave.name}: {result.verdict.label}",
        )
        counts[to] += 1
        if to == Status.REOPENED:
            queue_message(
                purpose=emails.REOPENED,
                key=f"action:{item.pk}:reopened:{wave.pk}",
                to_email=item.owner.email,
                to_name=item.owner.full_name,
                organization=wave.organization,
                context={"item_id": item.pk},
            )
    return counts


def remind_owners(*, today: dt.date | None = None) -> dict[str, int]:
    """Periodic: an email per item due in three days, and one digest per owner per day of their
    overdue items. The idempotency keys name the day, so running it again sends nothing more."""
    today = today or timezone.localdate()
    soon = ActionItem.objects.filter(
        status__in=ACTIVE, due_date=today + dt.timedelta(days=3)
    ).select_related("owner", "organization")
    due_soon = 0
    with transaction.atomic():
        for item in soon:
            queue_message(
                purpose=emails.DUE_SOON,
                key=f"action:{item.pk}:due-soon:{item.due_date.isoformat()}",
                to_email=item.owner.email,
                to_name=item.owner.full_name,
                organization=item.organization,
                context={"item_id": item.pk},
            )
            due_soon += 1
        owners = (
            ActionItem.objects.overdue(today)
            .order_by()
            .values_list("owner_id", "owner__email", "owner__full_name", "organization_id")
            .distinct()
        )
        digests = 0
        for owner_id, email, name, org_id in owners:
            queue_message(
                purpose=emails.OVERDUE,
                key=f"actions:overdue:{owner_id}:{org_id}:{today.isoformat()}",
                to_email=email,
                to_name=name,
                organization=Organization(pk=org_id),
                context={"owner_id": owner_id, "organization_id": org_id, "day": today.isoformat()},
            )
            digests += 1
    return {"due_soon": due_soon, "overdue_digests": digests}


def waves_awaiting_evaluation() -> list[Wave]:
    """Closed waves that some done item (found in an earlier wave) has not been evaluated
    against yet: the latest such closed wave of each organisation."""
    from django.db.models import Q

    waiting = ActionItem.objects.filter(status=Status.DONE)
    org_ids = set(waiting.values_list("organization_id", flat=True))
    result = []
    for org_id in org_ids:
        latest = (
            Wave.objects.filter(organization_id=org_id, status=Wave.Status.CLOSED)
            .order_by("-starts_on")
            .select_related("organization")
            .first()
        )
        if latest is None:
            continue
        pending = waiting.filter(
            organization_id=org_id, wave__starts_on__lt=latest.starts_on
        ).filter(Q(evaluated_wave__isnull=True) | Q(evaluated_wave__starts_on__lt=latest.starts_on))
        if pending.exists():
            result.append(latest)
    return result
