"""The email of a self-assessment round, as an outbox purpose: when a round is launched, each
member asked to self-assess is told, once per round. Checked again when it is sent: a round
closed since, or a member who left or has nothing to assess any more, is not emailed."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

LAUNCHED = "surveys.selfassess_launched"


def message_key(round_id: int, user_id: int) -> str:
    return f"round:{round_id}:user:{user_id}"


def _build(message) -> Extra:
    from cxaudit.accounts.models import Membership

    from .models import SelfAssessmentRound
    from .services import accepting_rounds, assessed_locations

    round_ = (
        SelfAssessmentRound.objects.select_related("survey", "wave", "organization")
        .filter(pk=message.context.get("round_id"))
        .first()
    )
    if round_ is None:
        raise Skip("The round was deleted.")
    if not accepting_rounds(round_.organization_id).filter(pk=round_.pk).exists():
        raise Skip("The round takes no more answers.")
    membership = (
        Membership.objects.active()
        .select_related("user", "organization")
        .filter(user_id=message.context.get("user_id"), organization_id=round_.organization_id)
        .first()
    )
    if membership is None:
        raise Skip("The person is no longer a member of the organisation.")
    locations = assessed_locations(membership)
    if not locations:
        raise Skip("The person has nothing to self-assess any more.")
    path = reverse("surveys:selfassess_mine", args=[round_.organization.slug])
    return Extra(
        context={
            "round": round_,
            "user": membership.user,
            "locations": [loc for loc in locations if loc is not None],
            "url": settings.SITE_URL.rstrip("/") + path,
        }
    )


def register() -> None:
    registry.register(
        LAUNCHED,
        label="Self-assessment round launched",
        template="emails/selfassess/launched",
        build=_build,
    )
