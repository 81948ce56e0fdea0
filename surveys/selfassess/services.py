"""Self-assessment rounds: staff ask the organisation's managers to rate their own service on a
self-assessment survey during a wave; each manager fills it through the form engine.

Who fills what: a client manager limited to some locations (Membership.locations) gets one
self-assessment per round and location; every other member with Cap.FILL_SELF_ASSESSMENT
(a manager of the whole organisation, a program admin) gets one organisation-wide
self-assessment per round (location None). Drafts have a deterministic client id (round, user,
location), so starting twice never makes two drafts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from cxaudit.accounts.models import Location, Membership, Role, User
from cxaudit.accounts.permissions import Cap
from cxaudit.accounts.scope import LocationScope
from cxaudit.errors import DomainError
from cxaudit.journeys.models import Wave
from cxaudit.messaging.services import NewMessage, queue_messages

from ..questionnaire.models import Survey
from ..responses.models import Response, Source
from ..responses.services import start_response
from . import emails
from .models import SelfAssessmentRound

# Fixed namespace of the deterministic draft ids (never change it: existing drafts use it).
CLIENT_ID_NAMESPACE = uuid.UUID("6f1c7d1e-5a0b-4a53-9a62-3d0f2f1e8c11")


def self_assessment_client_id(
    round: SelfAssessmentRound, user: User, location: Location | None
) -> uuid.UUID:
    """The one draft id of a user's self-assessment for a round (and location)."""
    where = location.pk if location is not None else "org"
    return uuid.uuid5(CLIENT_ID_NAMESPACE, f"round:{round.pk}:user:{user.pk}:location:{where}")


def _today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def launch_round(
    *, survey: Survey, wave: Wave, actor: User | None, closes_on: dt.date | None = None
) -> SelfAssessmentRound:
    """Open a self-assessment round of a published self-assessment survey for a wave; launching
    the same survey code and wave again returns that round (reopened if it was closed). Each
    member asked to self-assess is emailed through the outbox, once per round (a member added
    since a first launch is told by the next)."""
    if survey.kind != Survey.Kind.SELF_ASSESSMENT:
        raise DomainError("Choose a self-assessment survey.", field="survey")
    if not survey.is_published:
        raise DomainError("Only a published survey can be sent out.", field="survey")
    if wave.organization_id != survey.organization_id:
        raise DomainError("The wave belongs to another organisation.", field="wave")
    if wave.status == Wave.Status.CLOSED:
        raise DomainError("This wave is closed; choose an open or planned wave.", field="wave")
    if closes_on is not None and closes_on < _today():
        raise DomainError("The closing date is in the past.", field="closes_on")
    existing = (
        SelfAssessmentRound.objects.select_for_update()
        .filter(organization_id=survey.organization_id, survey__code=survey.code, wave=wave)
        .first()
    )
    if existing is not None:
        if existing.status != SelfAssessmentRound.Status.OPEN:
            existing.status = SelfAssessmentRound.Status.OPEN
            existing.save(update_fields=["status"])
        tell_managers(round=existing)
        return existing
    round_ = SelfAssessmentRound.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        wave=wave,
        launched_by=actor,
        closes_on=closes_on,
    )
    tell_managers(round=round_)
    return round_


def asked_members(organization_id: int) -> list[Membership]:
    """The active members asked to self-assess (assessed_locations is not empty), in two
    queries whatever their number."""
    members = (
        Membership.objects.active()
        .filter(organization_id=organization_id)
        .select_related("user")
        .prefetch_related("locations")
    )
    asked = []
    for m in members:
        if not m.has(Cap.FILL_SELF_ASSESSMENT):
            continue
        limits = list(m.locations.all()) if m.role == Role.CLIENT_MANAGER else []
        if limits and not any(loc.is_active for loc in limits):
            continue  # limited to inactive locations only: nothing to assess
        asked.append(m)
    return asked


def tell_managers(*, round: SelfAssessmentRound) -> int:
    """Queue the round's email to each member asked (in the caller's transaction); a member
    already told about this round is skipped. Returns how many were queued."""
    return queue_messages(
        NewMessage(
            purpose=emails.LAUNCHED,
            key=emails.message_key(round.pk, m.user_id),
            to_email=m.user.email,
            to_name=m.user.full_name,
            organization_id=round.organization_id,
            context={"round_id": round.pk, "user_id": m.user_id},
        )
        for m in asked_members(round.organization_id)
    )


@transaction.atomic
def close_round(*, round: SelfAssessmentRound, actor: User | None) -> SelfAssessmentRound:
    """Close a round: it leaves everybody's "My self-assessments" list (idempotent)."""
    del actor  # the view checks the capability; there is no audit log to write to yet
    SelfAssessmentRound.objects.filter(pk=round.pk).update(status=SelfAssessmentRound.Status.CLOSED)
    round.status = SelfAssessmentRound.Status.CLOSED
    return round


def accepting_rounds(organization_id: int):
    """Rounds that take answers today: open, not past their closing date, wave not closed."""
    return (
        SelfAssessmentRound.objects.filter(
            organization_id=organization_id, status=SelfAssessmentRound.Status.OPEN
        )
        .exclude(wave__status=Wave.Status.CLOSED)
        .filter(Q(closes_on__isnull=True) | Q(closes_on__gte=_today()))
    )


def assessed_locations(membership: Membership) -> list[Location | None]:
    """What a member self-assesses: each of their locations when limited to some, else the
    organisation as a whole (None). Members without the capability assess nothing."""
    if not membership.has(Cap.FILL_SELF_ASSESSMENT):
        return []
    scope = LocationScope.of(membership)
    if scope.limited:  # each active location of the limit (none when all are inactive)
        return list(scope.locations().filter(is_active=True).order_by("name", "pk"))
    return [None]


@dataclass(frozen=True)
class SelfAssessmentItem:
    """One self-assessment a member is asked for, with their draft or submission if any."""

    round: SelfAssessmentRound
    location: Location | None
    client_id: uuid.UUID
    response: Response | None

    @property
    def status(self) -> str:
        if self.response is None:
            return "not_started"
        return "submitted" if self.response.status == Response.Status.SUBMITTED else "draft"

    @property
    def status_label(self) -> str:
        return {"not_started": "Not started", "draft": "Draft saved", "submitted": "Submitted"}[
            self.status
        ]

    @property
    def waiting(self) -> bool:
        return self.status != "submitted"


def my_self_assessments(*, membership: Membership) -> list[SelfAssessmentItem]:
    """The self-assessments asked of a member in the rounds open now (three queries)."""
    locations = assessed_locations(membership)
    if not locations:
        return []
    rounds = list(
        accepting_rounds(membership.organization_id)
        .select_related("survey", "wave")
        .order_by("wave__starts_on", "survey__title", "pk")
    )
    user = membership.user
    pairs = [(r, loc, self_assessment_client_id(r, user, loc)) for r in rounds for loc in locations]
    found = {
        r.client_id: r
        for r in Response.objects.filter(
            respondent=user, client_id__in=[cid for _, _, cid in pairs]
        ).only("pk", "client_id", "status", "submitted_at", "updated_at")
    }
    return [SelfAssessmentItem(r, loc, cid, found.get(cid)) for r, loc, cid in pairs]


def waiting_count(*, membership: Membership) -> int:
    """How many of a member's self-assessments are not submitted yet."""
    return sum(1 for item in my_self_assessments(membership=membership) if item.waiting)


def _survey_to_answer(round: SelfAssessmentRound) -> Survey:
    """The round's survey version, or the published newer version of its code."""
    if round.survey.is_published:
        return round.survey
    newer = (
        Survey.objects.filter(organization_id=round.organization_id, code=round.survey.code)
        .published()
        .first()
    )
    if newer is None:
        raise DomainError("This self-assessment's survey was withdrawn.")
    return newer


def _membership_of(user: User, round: SelfAssessmentRound) -> Membership:
    membership = (
        Membership.objects.active()
        .select_related("user")
        .filter(user=user, organization_id=round.organization_id)
        .first()
    )
    if membership is None and user.is_superuser:
        # Superusers act as program admins everywhere (as in accounts.permissions.resolve_org).
        membership = Membership(
            user=user, organization_id=round.organization_id, role=Role.PROGRAM_ADMIN
        )
    if membership is None:
        raise DomainError("You are not a member of this organisation.")
    return membership


@transaction.atomic
def start_self_assessment(
    *, round: SelfAssessmentRound, user: User, location: Location | None
) -> Response:
    """Start (or find) the user's draft self-assessment for a round and location; a second
    call returns the same draft (or the submitted response)."""
    membership = _membership_of(user, round)
    allowed = assessed_locations(membership)
    if location not in allowed:
        raise DomainError("You are not asked to self-assess this location.", field="location")
    client_id = self_assessment_client_id(round, user, location)
    existing = Response.objects.filter(client_id=client_id, respondent=user).first()
    if existing is not None:
        return existing
    if not accepting_rounds(round.organization_id).filter(pk=round.pk).exists():
        raise DomainError("This self-assessment round is closed.")
    try:
        with transaction.atomic():
            return start_response(
                survey=_survey_to_answer(round),
                source=Source.SELF,
                respondent=user,
                location=location,
                wave=round.wave,
                client_id=client_id,
            )
    except IntegrityError:
        # A second click won the race: its draft is the one.
        return Response.objects.get(client_id=client_id, respondent=user)
