"""Workflows of journeys: building the map (stages, touchpoints, standards), reordering,
duplicating and archiving journeys, and keeping waves.

Positions of siblings are kept contiguous from 0 by every function here that creates, moves or
deletes one. Each of them first locks the parent row (`select_for_update`), so two people
reordering the same list at once are serialised instead of producing duplicate positions.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Literal

from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError

from cxaudit.accounts.models import Organization
from cxaudit.enqueue import enqueue_on_commit
from cxaudit.errors import DomainError, InvalidTransition, ValidationFailed
from cxaudit.webhooks.events import WAVE_CLOSED
from cxaudit.webhooks.services import emit

from .models import Journey, Stage, Standard, Touchpoint, Wave

Direction = Literal["up", "down"]

CODE_MAX = Standard._meta.get_field("code").max_length
NAME_MAX = Journey._meta.get_field("name").max_length
_COPY_SUFFIX = re.compile(r"-copy\d*$")


# --- ordering helpers -------------------------------------------------------------------------


def _lock(obj: models.Model) -> None:
    """Lock the parent row whose children are about to be renumbered."""
    type(obj).objects.select_for_update().filter(pk=obj.pk).exists()


def _renumber(items: Iterable[models.Model]) -> None:
    """Write positions 0..n-1 in the given order, touching only rows that change."""
    changed = []
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index
            changed.append(item)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


def _siblings(item: Stage | Touchpoint | Standard) -> models.QuerySet:
    if isinstance(item, Stage):
        return Stage.objects.filter(journey_id=item.journey_id)
    if isinstance(item, Touchpoint):
        return Touchpoint.objects.filter(stage_id=item.stage_id)
    return Standard.objects.filter(touchpoint_id=item.touchpoint_id)


def _parent(item: Stage | Touchpoint | Standard) -> models.Model:
    if isinstance(item, Stage):
        return item.journey
    if isinstance(item, Touchpoint):
        return item.stage
    return item.touchpoint


def _journey_of(item: Stage | Touchpoint | Standard) -> Journey:
    if isinstance(item, Stage):
        return item.journey
    if isinstance(item, Touchpoint):
        return item.stage.journey
    return item.touchpoint.stage.journey


def _ensure_editable(journey: Journey) -> None:
    if journey.status == Journey.Status.ARCHIVED:
        raise DomainError(f"“{journey.name}” is archived; restore it to change it.")


def _move(item: Stage | Touchpoint | Standard, direction: Direction) -> bool:
    if direction not in ("up", "down"):
        raise DomainError("Choose a direction: up or down.")
    _ensure_editable(_journey_of(item))
    _lock(_parent(item))
    items = list(_siblings(item))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    _renumber(items)
    item.position = target
    return True


def _reorder(parent: models.Model, children: models.QuerySet, order: Sequence[int]) -> None:
    _lock(parent)
    items = {child.pk: child for child in children}
    order = list(order)
    duplicates = sorted({pk for pk in order if order.count(pk) > 1})
    unknown = [pk for pk in order if pk not in items]
    missing = [pk for pk in items if pk not in order]
    problems = []
    if duplicates:
        problems.append(("order", f"listed more than once: {', '.join(map(str, duplicates))}"))
    if unknown:
        problems.append(("order", f"not part of this list: {', '.join(map(str, unknown))}"))
    if missing:
        problems.append(("order", f"missing from the new order: {', '.join(map(str, missing))}"))
    if problems:
        raise ValidationFailed("The new order must list every item exactly once.", problems)
    _renumber(items[pk] for pk in order)


def _delete(item: Stage | Touchpoint | Standard) -> None:
    _ensure_editable(_journey_of(item))
    parent = _parent(item)
    _lock(parent)
    try:
        with transaction.atomic():
            item.delete()
    except ProtectedError as exc:
        raise DomainError(
            f"“{item}” is used elsewhere (for example by a survey question) and cannot be deleted."
        ) from exc
    _renumber(_siblings(item))


# --- journeys ---------------------------------------------------------------------------------


@transaction.atomic
def create_journey(*, organization: Organization, name: str, description: str = "") -> Journey:
    """Create an empty active journey."""
    return Journey.objects.create(organization=organization, name=name, description=description)


@transaction.atomic
def update_journey(*, journey: Journey, name: str, description: str = "") -> Journey:
    """Rename or re-describe a journey (archived journeys too: the name is not the structure)."""
    journey.name = name
    journey.description = description
    journey.save(update_fields=["name", "description", "updated_at"])
    return journey


@transaction.atomic
def archive_journey(*, journey: Journey) -> Journey:
    """Archive a journey: kept with its standards, hidden from pickers, no longer editable."""
    if journey.status == Journey.Status.ARCHIVED:
        raise DomainError(f"“{journey.name}” is already archived.")
    journey.status = Journey.Status.ARCHIVED
    journey.save(update_fields=["status", "updated_at"])
    return journey


@transaction.atomic
def restore_journey(*, journey: Journey) -> Journey:
    """Make an archived journey active (and editable) again."""
    if journey.status == Journey.Status.ACTIVE:
        raise DomainError(f"“{journey.name}” is not archived.")
    journey.status = Journey.Status.ACTIVE
    journey.save(update_fields=["status", "updated_at"])
    return journey


@transaction.atomic
def delete_journey(*, journey: Journey) -> None:
    """Delete an archived journey with its stages, touchpoints and standards."""
    if journey.status != Journey.Status.ARCHIVED:
        raise DomainError(f"Archive “{journey.name}” before deleting it.")
    try:
        with transaction.atomic():
            journey.delete()
    except ProtectedError as exc:
        raise DomainError(
            f"“{journey.name}” has standards that surveys or answers use; keep it archived."
        ) from exc


def copy_code(code: str, taken: set[str]) -> str:
    """The first free `<code>-copy`, `-copy2`, … (an earlier copy suffix is replaced, and the
    base is shortened so that the result fits the 40-character code)."""
    base = _COPY_SUFFIX.sub("", code) or code
    n = 1
    while True:
        suffix = "-copy" if n == 1 else f"-copy{n}"
        candidate = base[: CODE_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


@transaction.atomic
def duplicate_journey(*, journey: Journey, name: str | None = None) -> Journey:
    """Copy a journey with its stages, touchpoints and standards into a new active journey;
    standard codes get a `-copy` suffix because codes are unique in the organisation."""
    org = journey.organization
    # Serialise duplicates in one organisation so that two copies never pick the same code.
    Organization.objects.select_for_update().filter(pk=org.pk).exists()
    taken = set(Standard.objects.for_org(org).values_list("code", flat=True))
    copy = Journey.objects.create(
        organization=org,
        name=name or f"{journey.name} (copy)"[:NAME_MAX],
        description=journey.description,
    )
    stages = list(
        journey.stages.order_by("position", "pk").prefetch_related("touchpoints__standards")
    )
    for stage in stages:
        new_stage = Stage.objects.create(
            journey=copy, name=stage.name, description=stage.description, position=stage.position
        )
        for tp in stage.touchpoints.all():
            new_tp = Touchpoint.objects.create(
                stage=new_stage,
                name=tp.name,
                channel=tp.channel,
                is_moment_that_matters=tp.is_moment_that_matters,
                customer_expectation=tp.customer_expectation,
                pain_points=tp.pain_points,
                position=tp.position,
            )
            standards = []
            for std in tp.standards.all():
                code = copy_code(std.code, taken)
                taken.add(code)
                standards.append(
                    Standard(
                        organization=org,
                        touchpoint=new_tp,
                        code=code,
                        name=std.name,
                        description=std.description,
                        dimension=std.dimension,
                        target_value=std.target_value,
                        target_unit=std.target_unit,
                        target_comparator=std.target_comparator,
                        promise=std.promise,
                        importance=std.importance,
                        position=std.position,
                    )
                )
            Standard.objects.bulk_create(standards)
    return copy


# --- stages -----------------------------------------------------------------------------------


@transaction.atomic
def add_stage(*, journey: Journey, name: str, description: str = "") -> Stage:
    """Append a stage at the end of the journey."""
    _ensure_editable(journey)
    _lock(journey)
    position = Stage.objects.filter(journey=journey).count()
    return Stage.objects.create(
        journey=journey, name=name, description=description, position=position
    )


@transaction.atomic
def update_stage(*, stage: Stage, name: str, description: str = "") -> Stage:
    """Rename or re-describe a stage."""
    _ensure_editable(stage.journey)
    stage.name = name
    stage.description = description
    stage.save(update_fields=["name", "description"])
    return stage


@transaction.atomic
def move_stage(*, stage: Stage, direction: Direction) -> bool:
    """Swap a stage with its neighbour; False when it is already first/last."""
    return _move(stage, direction)


@transaction.atomic
def reorder_stages(*, journey: Journey, order: Sequence[int]) -> None:
    """Put the journey's stages in the order of `order` (every stage id exactly once)."""
    _ensure_editable(journey)
    _reorder(journey, Stage.objects.filter(journey=journey), order)


@transaction.atomic
def delete_stage(*, stage: Stage) -> None:
    """Delete a stage with its touchpoints and standards; closes the gap in positions."""
    _delete(stage)


# --- touchpoints ------------------------------------------------------------------------------


@transaction.atomic
def add_touchpoint(
    *,
    stage: Stage,
    name: str,
    channel: str,
    is_moment_that_matters: bool = False,
    customer_expectation: str = "",
    pain_points: str = "",
) -> Touchpoint:
    """Append a touchpoint at the end of the stage."""
    _ensure_editable(stage.journey)
    _lock(stage)
    return Touchpoint.objects.create(
        stage=stage,
        name=name,
        channel=channel,
        is_moment_that_matters=is_moment_that_matters,
        customer_expectation=customer_expectation,
        pain_points=pain_points,
        position=Touchpoint.objects.filter(stage=stage).count(),
    )


@transaction.atomic
def update_touchpoint(
    *,
    touchpoint: Touchpoint,
    stage: Stage,
    name: str,
    channel: str,
    is_moment_that_matters: bool = False,
    customer_expectation: str = "",
    pain_points: str = "",
) -> Touchpoint:
    """Change a touchpoint; a new stage (of the same journey) moves it to that stage's end."""
    old_stage = Stage.objects.get(pk=touchpoint.stage_id)
    _ensure_editable(old_stage.journey)
    if stage.journey_id != old_stage.journey_id:
        raise DomainError(
            "A touchpoint can only move to a stage of its own journey.", field="stage"
        )
    touchpoint.name = name
    touchpoint.channel = channel
    touchpoint.is_moment_that_matters = is_moment_that_matters
    touchpoint.customer_expectation = customer_expectation
    touchpoint.pain_points = pain_points
    if stage.pk != old_stage.pk:
        # Lock both stages in a stable order so two opposite moves cannot deadlock.
        for s in sorted([old_stage, stage], key=lambda s: s.pk):
            _lock(s)
        touchpoint.stage = stage
        touchpoint.position = Touchpoint.objects.filter(stage=stage).count()
    touchpoint.save()
    if stage.pk != old_stage.pk:
        _renumber(Touchpoint.objects.filter(stage=old_stage))
    return touchpoint


@transaction.atomic
def move_touchpoint(*, touchpoint: Touchpoint, direction: Direction) -> bool:
    """Swap a touchpoint with its neighbour in the stage; False when already first/last."""
    return _move(touchpoint, direction)


@transaction.atomic
def reorder_touchpoints(*, stage: Stage, order: Sequence[int]) -> None:
    """Put the stage's touchpoints in the order of `order` (every touchpoint id exactly once)."""
    _ensure_editable(stage.journey)
    _reorder(stage, Touchpoint.objects.filter(stage=stage), order)


@transaction.atomic
def delete_touchpoint(*, touchpoint: Touchpoint) -> None:
    """Delete a touchpoint with its standards; closes the gap in positions."""
    _delete(touchpoint)


# --- standards --------------------------------------------------------------------------------


def _check_target(
    value: Decimal | None, unit: str, comparator: str
) -> tuple[Decimal | None, str, str]:
    if value is None and not unit and not comparator:
        return None, "", ""
    if value is None:
        raise DomainError("A target needs a value (or leave unit and comparator empty).")
    if not unit:
        raise DomainError("A target needs a unit, e.g. seconds, minutes or %.", field="target_unit")
    if not comparator:
        raise DomainError("A target needs a comparator, e.g. ≤.", field="target_comparator")
    return value, unit, comparator


def _save_standard(standard: Standard) -> Standard:
    clash = Standard.objects.filter(organization=standard.organization, code=standard.code)
    if standard.pk:
        clash = clash.exclude(pk=standard.pk)
    if clash.exists():
        raise DomainError(
            f"Another standard of this organisation already uses the code {standard.code}.",
            field="code",
        )
    try:
        with transaction.atomic():
            standard.save()
    except IntegrityError as exc:  # a concurrent save took the code
        raise DomainError(
            f"Another standard already uses the code {standard.code}.", field="code"
        ) from exc
    return standard


@transaction.atomic
def add_standard(
    *,
    touchpoint: Touchpoint,
    code: str,
    name: str,
    dimension: str,
    description: str = "",
    target_value: Decimal | None = None,
    target_unit: str = "",
    target_comparator: str = "",
    promise: str = "",
    importance: int = 3,
) -> Standard:
    """Append a standard to the touchpoint; its organisation is the touchpoint's."""
    journey = touchpoint.stage.journey
    _ensure_editable(journey)
    target_value, target_unit, target_comparator = _check_target(
        target_value, target_unit, target_comparator
    )
    _lock(touchpoint)
    standard = Standard(
        organization_id=journey.organization_id,
        touchpoint=touchpoint,
        code=code,
        name=name,
        dimension=dimension,
        description=description,
        target_value=target_value,
        target_unit=target_unit,
        target_comparator=target_comparator,
        promise=promise,
        importance=importance,
        position=Standard.objects.filter(touchpoint=touchpoint).count(),
    )
    return _save_standard(standard)


@transaction.atomic
def update_standard(
    *,
    standard: Standard,
    code: str,
    name: str,
    dimension: str,
    description: str = "",
    target_value: Decimal | None = None,
    target_unit: str = "",
    target_comparator: str = "",
    promise: str = "",
    importance: int = 3,
) -> Standard:
    """Change a standard (its code too: scores keep pointing at the row, not the code)."""
    _ensure_editable(standard.touchpoint.stage.journey)
    standard.target_value, standard.target_unit, standard.target_comparator = _check_target(
        target_value, target_unit, target_comparator
    )
    standard.code = code
    standard.name = name
    standard.dimension = dimension
    standard.description = description
    standard.promise = promise
    standard.importance = importance
    return _save_standard(standard)


@transaction.atomic
def move_standard(*, standard: Standard, direction: Direction) -> bool:
    """Swap a standard with its neighbour on the touchpoint; False when already first/last."""
    return _move(standard, direction)


@transaction.atomic
def delete_standard(*, standard: Standard) -> None:
    """Delete a standard; closes the gap in positions."""
    _delete(standard)


# --- waves ------------------------------------------------------------------------------------


def _save_wave(wave: Wave) -> Wave:
    if wave.ends_on < wave.starts_on:
        raise DomainError("A wave cannot end before it starts.", field="ends_on")
    clash = Wave.objects.filter(organization=wave.organization, name=wave.name)
    if wave.pk:
        clash = clash.exclude(pk=wave.pk)
    if clash.exists():
        raise DomainError(f"There is already a wave called {wave.name}.", field="name")
    try:
        with transaction.atomic():
            wave.save()
    except IntegrityError as exc:
        raise DomainError(f"There is already a wave called {wave.name}.", field="name") from exc
    return wave


@transaction.atomic
def create_wave(
    *,
    organization: Organization,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    status: str = Wave.Status.PLANNED,
) -> Wave:
    """Create a measurement wave of the organisation."""
    return _save_wave(
        Wave(
            organization=organization,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            status=status,
        )
    )


@transaction.atomic
def update_wave(*, wave: Wave, name: str, starts_on: datetime.date, ends_on: datetime.date) -> Wave:
    """Change a wave's name or dates (its status changes through open_wave / close_wave)."""
    wave.name = name
    wave.starts_on = starts_on
    wave.ends_on = ends_on
    return _save_wave(wave)


def _set_wave_status(wave: Wave, *, to: str, allowed_from: set[str]) -> Wave:
    # A conditional update, so that two people pressing the button at once change it once.
    changed = Wave.objects.filter(pk=wave.pk, status__in=allowed_from).update(status=to)
    if changed != 1:
        wave.refresh_from_db(fields=["status"])
        raise InvalidTransition(
            f"Wave {wave.name} is {wave.get_status_display().lower()}; "
            f"it cannot become {Wave.Status(to).label.lower()}."
        )
    wave.status = to
    return wave


@transaction.atomic
def open_wave(*, wave: Wave) -> Wave:
    """Open a planned wave for measurement (or reopen a closed one)."""
    return _set_wave_status(
        wave, to=Wave.Status.OPEN, allowed_from={Wave.Status.PLANNED, Wave.Status.CLOSED}
    )


@transaction.atomic
def close_wave(*, wave: Wave) -> Wave:
    """Close an open wave: its period is over and its figures are final. After commit, the
    action items waiting for this wave's figures are evaluated (by the task's name: journeys
    does not import insights), and managers are emailed their location's PDF report card if the
    organisation asked for it (cxaudit/reportpdfs)."""
    closed = _set_wave_status(wave, to=Wave.Status.CLOSED, allowed_from={Wave.Status.OPEN})
    enqueue_on_commit("reportpdfs.email_wave_reports", closed.pk)
    enqueue_on_commit("insights.evaluate_actions", closed.pk)
    emit(
        closed.organization_id,
        WAVE_CLOSED,
        {
            "wave": {
                "id": closed.pk,
                "name": closed.name,
                "starts_on": closed.starts_on,
                "ends_on": closed.ends_on,
                "status": closed.status,
            }
        },
    )
    return closed
