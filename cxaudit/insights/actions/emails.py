"""The action plan's emails, as outbox purposes; each checks when it is sent that it still
holds (an item reassigned, finished or cancelled since is not nagged about)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

ASSIGNED = "insights.action_assigned"
DUE_SOON = "insights.action_due_soon"
OVERDUE = "insights.action_overdue_digest"
REOPENED = "insights.action_reopened"


def _url(item) -> str:
    path = reverse("insights:action_detail", args=[item.organization.slug, item.pk])
    return settings.SITE_URL.rstrip("/") + path


def _item(message):
    from .models import ActionItem

    item = (
        ActionItem.objects.select_related("organization", "owner", "standard", "location", "wave")
        .filter(pk=message.context.get("item_id"))
        .first()
    )
    if item is None:
        raise Skip("The action item was deleted.")
    return item


def _build_assigned(message) -> Extra:
    from .models import ACTIVE

    item = _item(message)
    if item.owner_id != message.context.get("owner_id"):
        raise Skip("The item has another owner since.")
    if item.status not in ACTIVE:
        raise Skip(f"The item is {item.get_status_display().lower()} since.")
    return Extra(context={"item": item, "url": _url(item)})


def _build_due_soon(message) -> Extra:
    from .models import ACTIVE

    item = _item(message)
    if item.status not in ACTIVE:
        raise Skip(f"The item is {item.get_status_display().lower()}.")
    if f"due-soon:{item.due_date.isoformat()}" not in message.key:
        raise Skip("The item's due date changed since.")
    return Extra(context={"item": item, "url": _url(item)})


def _build_overdue(message) -> Extra:
    from .models import ActionItem

    day = dt.date.fromisoformat(message.context["day"])
    items = list(
        ActionItem.objects.overdue(day)
        .filter(
            owner_id=message.context["owner_id"], organization_id=message.context["organization_id"]
        )
        .select_related("organization", "standard", "location")
        .order_by("due_date", "pk")[:50]
    )
    if not items:
        raise Skip("Nothing is overdue any more.")
    return Extra(
        context={
            "items": [{"item": i, "url": _url(i), "days": (day - i.due_date).days} for i in items],
            "organization": items[0].organization,
        }
    )


def _build_reopened(message) -> Extra:
    from .models import Status

    item = _item(message)
    if item.status != Status.REOPENED:
        raise Skip("The item is not reopened any more.")
    return Extra(context={"item": item, "url": _url(item), "evaluation": item.evaluation or {}})


def register() -> None:
    registry.register(
        ASSIGNED, label="Action assigned", template="emails/actions/assigned", build=_build_assigned
    )
    registry.register(
        DUE_SOON,
        label="Action due in 3 days",
        template="emails/actions/due_soon",
        build=_build_due_soon,
    )
    registry.register(
        OVERDUE,
        label="Overdue actions (daily)",
        template="emails/actions/overdue",
        build=_build_overdue,
    )
    registry.register(
        REOPENED, label="Action reopened", template="emails/actions/reopened", build=_build_reopened
    )
