"""Scheduling: creating shops one by one or in bulk, and every way a shop reaches a shopper
(self-assignment from the job board, a request staff confirm, an emailed offer, staff
assigning), with the programme's rules enforced here rather than in the pages:

* eligibility (region, languages, demographics, rating, certification) and exclusions;
* the lockout between two shops by one shopper at one location (rules.py);
* for what the shopper starts themselves: the number of jobs held at once, and for
  self-assignment the number taken per day.

A shopper's own actions lock their profile row for the transaction, so two of their requests
cannot both pass a limit; the shop itself is claimed by a conditional update
(Assignment.assign), so two shoppers cannot both take it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Avg
from django.utils import timezone

from cxaudit.accounts.models import Location, Organization, User
from cxaudit.errors import DomainError
from cxaudit.journeys.models import Touchpoint, Wave
from cxaudit.messaging.services import queue_message
from surveys.models import Question, Survey

from .. import emails
from ..models import (
    ACTIVE_STATUSES,
    Assignment,
    AssignmentEvent,
    JobOffer,
    JobRequest,
    Scenario,
    ShopperProfile,
    ShopperProgramme,
)
from . import facts as facts_mod
from .rules import (
    STAFF,
    YOU,
    Candidate,
    Distributor,
    HeldShop,
    eligibility_problems,
    lockout_problem,
)

Status = Assignment.Status
RATING_WINDOW = 20  # decided shops that make up a shopper's rating


class Via:
    """How a shop reached its shopper (kept in the audit row's details)."""

    SELF = "self"
    REQUEST = "request"
    OFFER = "offer"
    STAFF = "staff"
    BULK = "bulk"


def log_event(
    assignment: Assignment,
    *,
    actor: User | None,
    kind: str = AssignmentEvent.Kind.TRANSITION,
    from_status: str = "",
    reason: str = "",
    at: dt.datetime | None = None,
    **details: Any,
) -> AssignmentEvent:
    return AssignmentEvent.objects.create(
        assignment=assignment,
        organization_id=assignment.organization_id,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=assignment.status if kind == AssignmentEvent.Kind.TRANSITION else "",
        at=at or timezone.now(),
        reason=reason,
        details=details,
    )


def notify_shopper(purpose: str, assignment: Assignment, key: str, **context: Any) -> None:
    queue_message(
        purpose=purpose,
        key=f"assignment:{assignment.pk}:{key}",
        to_email=assignment.shopper.email,
        to_name=assignment.shopper.get_full_name(),
        organization=assignment.organization,
        context={"assignment_id": assignment.pk, "shopper_id": assignment.shopper_id, **context},
    )


def shopper_profile(organization: Organization, user: User, *, lock: bool = False):
    qs = ShopperProfile.objects.for_org(organization).filter(user=user)
    if lock:
        qs = qs.select_for_update()
    profile = qs.first()
    if profile is None:
        raise DomainError("This person is not a shopper of this programme.", field="shopper")
    return profile


# -- the rules, on one shop --------------------------------------------------------------------


def problems_taking(
    assignment: Assignment,
    shopper: User,
    *,
    programme: ShopperProgramme,
    via: str,
    at: dt.datetime,
) -> list[str]:
    """Every reason `shopper` may not take `assignment` now by way of `via` (empty: allowed);
    worded for the shopper, or for staff when staff act (via STAFF)."""
    org = assignment.organization
    voice = STAFF if via == Via.STAFF else YOU
    facts = facts_mod.facts_of(organization=org, user_ids=[shopper.pk]).get(shopper.pk)
    if facts is None:
        return ["this person is not a shopper of this programme"]
    problems = eligibility_problems(facts, facts_mod.rule_of(assignment.scenario), voice)
    if assignment.location_id in facts.excluded:
        problems.append(f"{voice.subject} may not shop this location")
    problems.extend(unavailable_reasons(assignment))
    if assignment.window_end < at:
        problems.append("its visit window has closed")
    held = facts_mod.held_shops(
        organization=org, user_ids=[shopper.pk], location_ids=[assignment.location_id]
    ).get(shopper.pk, [])
    lockout = lockout_problem(
        location_id=assignment.location_id,
        window_start=max(assignment.window_start, at),
        window_end=assignment.window_end,
        held=held,
        lockout_days=programme.lockout_days,
        exclude_id=assignment.pk,
        voice=voice,
    )
    if lockout:
        problems.append(lockout)
    problems.extend(
        limit_problems(organization=org, shopper=shopper, programme=programme, via=via, at=at)
    )
    return problems


def unavailable_reasons(assignment: Assignment) -> list[str]:
    """What makes a job nobody's to take, whoever asks: its scenario archived, its location
    closed, its wave closed (the job board leaves such jobs out: `open_jobs`)."""
    reasons = []
    if not assignment.scenario.is_active:
        reasons.append("its scenario is archived")
    if not assignment.location.is_active:
        reasons.append("its location is closed")
    if assignment.wave.status == Wave.Status.CLOSED:
        reasons.append("its wave is closed")
    return reasons


def limit_problems(
    *,
    organization: Organization,
    shopper: User,
    programme: ShopperProgramme,
    via: str,
    at: dt.datetime,
) -> list[str]:
    """The limits on what shoppers take themselves, whatever the job (empty: within them): the
    shops held at once and, from the job board, the jobs taken today. Staff are not limited.
    (Part of problems_taking; the job board shows them before a job is chosen.)"""
    problems = []
    if via in (Via.SELF, Via.REQUEST, Via.OFFER):
        holding = (
            Assignment.objects.for_org(organization)
            .filter(shopper=shopper, status__in=ACTIVE_STATUSES)
            .count()
        )
        if holding >= programme.open_limit:
            problems.append(
                f"you already hold {holding} shops, the most you may hold at once "
                f"is {programme.open_limit}"
            )
    if via == Via.SELF:
        day_start = timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)
        taken_today = AssignmentEvent.objects.filter(
            organization=organization,
            actor=shopper,
            kind=AssignmentEvent.Kind.TRANSITION,
            to_status=Status.ASSIGNED,
            details__via=Via.SELF,
            at__gte=day_start,
        ).count()
        if taken_today >= programme.daily_self_assign_limit:
            problems.append(
                f"you have taken {taken_today} jobs today, the most per day is "
                f"{programme.daily_self_assign_limit}"
            )
    return problems


def _refuse(problems: list[str], field: str | None = None) -> None:
    if problems:
        text = "; ".join(problems)
        raise DomainError(f"This shop cannot be taken: {text}.", field=field)


def _give(
    assignment: Assignment, shopper: User, *, actor: User, via: str, at: dt.datetime
) -> Assignment:
    """Claim the shop for `shopper`, record it, settle the other requests and offers, and
    confirm it by email (all in the caller's transaction)."""
    before = assignment.status
    assignment.assign(shopper=shopper, at=at)
    event = log_event(assignment, actor=actor, from_status=before, at=at, via=via)
    JobRequest.objects.filter(assignment=assignment, status=JobRequest.Status.PENDING).exclude(
        shopper=shopper
    ).update(status=JobRequest.Status.DECLINED, decided_at=at)
    JobOffer.objects.filter(assignment=assignment, status=JobOffer.Status.OFFERED).exclude(
        shopper=shopper
    ).update(status=JobOffer.Status.TAKEN, decided_at=at)
    notify_shopper(emails.CONFIRMED, assignment, f"confirmed:{event.pk}")
    return assignment


def _locked(assignment: Assignment) -> Assignment:
    """The shop re-read under a row lock, with what the rules need."""
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("organization", "scenario", "location", "shopper")
        .get(pk=assignment.pk)
    )


# -- a shopper taking a job --------------------------------------------------------------------


@transaction.atomic
def self_assign(*, assignment: Assignment, shopper: User, at: dt.datetime | None = None):
    """The shopper takes an open job from the job board; confirmation email queued."""
    at = at or timezone.now()
    shopper_profile(assignment.organization, shopper, lock=True)
    assignment = _locked(assignment)
    if assignment.status == Status.ASSIGNED and assignment.shopper_id == shopper.pk:
        return assignment  # a replay (a double click): it is theirs already
    if not assignment.scenario.allow_self_assign:
        raise DomainError("This job must be requested; staff then confirm it.")
    if assignment.status != Status.OPEN:
        raise DomainError("Someone else took this job meanwhile.")
    programme = ShopperProgramme.of(assignment.organization)
    _refuse(problems_taking(assignment, shopper, programme=programme, via=Via.SELF, at=at))
    return _give(assignment, shopper, actor=shopper, via=Via.SELF, at=at)


@transaction.atomic
def request_job(*, assignment: Assignment, shopper: User, note: str = "") -> JobRequest:
    """The shopper asks for an open job; staff confirm or decline it."""
    at = timezone.now()
    shopper_profile(assignment.organization, shopper, lock=True)
    assignment = _locked(assignment)
    if assignment.status != Status.OPEN:
        raise DomainError("This job is no longer open.")
    programme = ShopperProgramme.of(assignment.organization)
    _refuse(problems_taking(assignment, shopper, programme=programme, via=Via.REQUEST, at=at))
    request, created = JobRequest.objects.get_or_create(
        assignment=assignment,
        shopper=shopper,
        defaults={"organization_id": assignment.organization_id, "note": note[:500]},
    )
    if not created:
        if request.status == JobRequest.Status.PENDING:
            return request  # a replay
        if request.status != JobRequest.Status.WITHDRAWN:
            raise DomainError("You already asked for this job and it was answered.")
        request.status, request.note = JobRequest.Status.PENDING, note[:500]
        request.decided_at = None
        request.save(update_fields=["status", "note", "decided_at"])
    log_event(assignment, actor=shopper, kind=AssignmentEvent.Kind.REQUEST, reason=note[:500])
    return request


@transaction.atomic
def withdraw_request(*, request: JobRequest, shopper: User) -> None:
    if request.shopper_id != shopper.pk:
        raise DomainError("This is not your request.")
    updated = JobRequest.objects.filter(pk=request.pk, status=JobRequest.Status.PENDING).update(
        status=JobRequest.Status.WITHDRAWN, decided_at=timezone.now()
    )
    if not updated:
        raise DomainError("This request was already answered.")


@transaction.atomic
def accept_request(*, request: JobRequest, actor: User) -> Assignment:
    """Staff give the job to the shopper who asked (the rules are checked again now)."""
    at = timezone.now()
    shopper = request.shopper
    shopper_profile(request.organization, shopper, lock=True)
    assignment = _locked(request.assignment)
    if assignment.status != Status.OPEN:
        raise DomainError("This job is no longer open.")
    claimed = JobRequest.objects.filter(pk=request.pk, status=JobRequest.Status.PENDING).update(
        status=JobRequest.Status.ACCEPTED, decided_at=at
    )
    if not claimed:
        raise DomainError("This request was withdrawn or answered meanwhile.")
    programme = ShopperProgramme.of(assignment.organization)
    _refuse(problems_taking(assignment, shopper, programme=programme, via=Via.REQUEST, at=at))
    return _give(assignment, shopper, actor=actor, via=Via.REQUEST, at=at)


@transaction.atomic
def decline_request(*, request: JobRequest, actor: User) -> None:
    updated = JobRequest.objects.filter(pk=request.pk, status=JobRequest.Status.PENDING).update(
        status=JobRequest.Status.DECLINED, decided_at=timezone.now()
    )
    if not updated:
        raise DomainError("This request was withdrawn or answered meanwhile.")


@dataclass
class OfferResult:
    offered: list[User] = field(default_factory=list)
    skipped: list[tuple[User, str]] = field(default_factory=list)


@transaction.atomic
def offer_job(*, assignment: Assignment, shoppers: list[User], actor: User) -> OfferResult:
    """Offer an open job by email to each eligible shopper of `shoppers` (the others are listed
    with the reason); the first to accept takes it. Offering again to the same shopper sends
    nothing more."""
    assignment = _locked(assignment)
    if assignment.status != Status.OPEN:
        raise DomainError("Only an open job can be offered.")
    programme = ShopperProgramme.of(assignment.organization)
    at = timezone.now()
    result = OfferResult()
    for shopper in shoppers:
        problems = problems_taking(assignment, shopper, programme=programme, via=Via.STAFF, at=at)
        if problems:
            result.skipped.append((shopper, "; ".join(problems)))
            continue
        offer, created = JobOffer.objects.get_or_create(
            assignment=assignment,
            shopper=shopper,
            defaults={"organization_id": assignment.organization_id, "offered_by": actor},
        )
        if not created:
            result.skipped.append((shopper, "already offered"))
            continue
        queue_message(
            purpose=emails.OFFERED,
            key=f"offer:{offer.pk}",
            to_email=shopper.email,
            to_name=shopper.get_full_name(),
            organization=assignment.organization,
            context={"assignment_id": assignment.pk, "offer_id": offer.pk},
        )
        log_event(assignment, actor=actor, kind=AssignmentEvent.Kind.OFFER, shopper=shopper.email)
        result.offered.append(shopper)
    return result


@transaction.atomic
def accept_offer(*, offer: JobOffer, shopper: User) -> Assignment:
    """The shopper accepts an offer made to them: the job is theirs if still open."""
    at = timezone.now()
    if offer.shopper_id != shopper.pk:
        raise DomainError("This offer was made to someone else.")
    shopper_profile(offer.organization, shopper, lock=True)
    assignment = _locked(offer.assignment)
    if assignment.status == Status.ASSIGNED and assignment.shopper_id == shopper.pk:
        return assignment  # a replay (a double click): it is theirs already
    if assignment.status != Status.OPEN:
        raise DomainError("Sorry, another shopper took this job first.")
    claimed = JobOffer.objects.filter(pk=offer.pk, status=JobOffer.Status.OFFERED).update(
        status=JobOffer.Status.ACCEPTED, decided_at=at
    )
    if not claimed:
        raise DomainError("This offer was already answered.")
    programme = ShopperProgramme.of(assignment.organization)
    _refuse(problems_taking(assignment, shopper, programme=programme, via=Via.OFFER, at=at))
    return _give(assignment, shopper, actor=shopper, via=Via.OFFER, at=at)


@transaction.atomic
def decline_offer(*, offer: JobOffer, shopper: User) -> None:
    if offer.shopper_id != shopper.pk:
        raise DomainError("This offer was made to someone else.")
    JobOffer.objects.filter(pk=offer.pk, status=JobOffer.Status.OFFERED).update(
        status=JobOffer.Status.DECLINED, decided_at=timezone.now()
    )


@transaction.atomic
def release(*, assignment: Assignment, shopper: User, reason: str = "") -> Assignment:
    """The shopper gives back a job they have not started: it is open again."""
    assignment = _locked(assignment)
    assignment._check_shopper(shopper)
    before = assignment.status
    assignment.unassign()
    log_event(assignment, actor=shopper, from_status=before, reason=reason[:1000])
    return assignment


# -- staff -------------------------------------------------------------------------------------


@transaction.atomic
def assign_shopper(*, assignment: Assignment, shopper: User, actor: User) -> Assignment:
    """Staff give an open job to a shopper (eligibility, exclusions and lockouts checked; the
    limits on what shoppers take themselves do not apply)."""
    at = timezone.now()
    shopper_profile(assignment.organization, shopper, lock=True)
    assignment = _locked(assignment)
    programme = ShopperProgramme.of(assignment.organization)
    _refuse(
        problems_taking(assignment, shopper, programme=programme, via=Via.STAFF, at=at),
        field="shopper",
    )
    return _give(assignment, shopper, actor=actor, via=Via.STAFF, at=at)


@transaction.atomic
def unassign(*, assignment: Assignment, actor: User, reason: str) -> Assignment:
    """Staff take a job back from a shopper who has not started it."""
    if not reason.strip():
        raise DomainError("Say why the job is taken back.", field="reason")
    assignment = _locked(assignment)
    before = assignment.status
    assignment.unassign()
    log_event(assignment, actor=actor, from_status=before, reason=reason.strip()[:1000])
    return assignment


@transaction.atomic
def cancel(*, assignment: Assignment, actor: User, reason: str) -> Assignment:
    """Staff cancel a shop not yet submitted (a started visit's draft stays, uncounted)."""
    if not reason.strip():
        raise DomainError("Say why the shop is cancelled.", field="reason")
    assignment = _locked(assignment)
    before = assignment.status
    assignment.cancel()
    log_event(assignment, actor=actor, from_status=before, reason=reason.strip()[:1000])
    return assignment


def _validate_job(
    *,
    organization: Organization,
    scenario: Scenario,
    location: Location,
    wave: Wave,
    window_start: dt.datetime,
    window_end: dt.datetime,
) -> None:
    for obj, name in ((scenario, "scenario"), (location, "location"), (wave, "wave")):
        if obj.organization_id != organization.pk:
            raise DomainError(f"The {name} belongs to another organisation.", field=name)
    if not scenario.is_active:
        raise DomainError("This scenario is archived.", field="scenario")
    if scenario.current_survey() is None:
        raise DomainError(
            "The scenario's visit form has no published version; publish it first.",
            field="scenario",
        )
    if not location.is_active:
        raise DomainError("This location is inactive.", field="location")
    if wave.status == Wave.Status.CLOSED:
        raise DomainError("This wave is closed.", field="wave")
    if window_end <= window_start:
        raise DomainError("The visit window must end after it starts.", field="window_end")
    # From the midnight that starts the wave's first day to the one that ends its last day.
    opens = timezone.make_aware(dt.datetime.combine(wave.starts_on, dt.time()))
    closes = timezone.make_aware(
        dt.datetime.combine(wave.ends_on + dt.timedelta(days=1), dt.time())
    )
    if window_start < opens or window_end > closes:
        raise DomainError(
            f"The visit window must lie inside the wave ({wave.starts_on:%d %b %Y} to "
            f"{wave.ends_on:%d %b %Y}).",
            field="window_start",
        )


def deadline_for(window_end: dt.datetime, programme: ShopperProgramme) -> dt.datetime:
    return window_end + dt.timedelta(hours=programme.report_grace_hours)


@transaction.atomic
def create_assignment(
    *,
    organization: Organization,
    scenario: Scenario,
    location: Location,
    wave: Wave,
    window_start: dt.datetime,
    window_end: dt.datetime,
    actor: User,
    shopper: User | None = None,
) -> Assignment:
    """One shop, open on the job board, or given at once to `shopper` (rules checked)."""
    _validate_job(
        organization=organization,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=window_start,
        window_end=window_end,
    )
    programme = ShopperProgramme.of(organization)
    assignment = Assignment.objects.create(
        organization=organization,
        scenario=scenario,
        location=location,
        wave=wave,
        window_start=window_start,
        window_end=window_end,
        deadline=deadline_for(window_end, programme),
        fee=scenario.fee,
        expense_cap=scenario.expense_cap,
        created_by=actor,
    )
    log_event(assignment, actor=actor, kind=AssignmentEvent.Kind.CREATED)
    if shopper is not None:
        assignment = assign_shopper(assignment=assignment, shopper=shopper, actor=actor)
    return assignment


# -- scenarios ---------------------------------------------------------------------------------

SCENARIO_FIELDS = (
    "touchpoint",
    "title",
    "brief",
    "survey",
    "fee",
    "expense_cap",
    "required_evidence",
    "receipt_question",
    "allow_self_assign",
    "regions",
    "languages",
    "age_bands",
    "genders",
    "min_rating",
    "certification_survey",
    "pass_percent",
)


def _scenario_problem(organization: Organization, values: dict[str, Any]) -> None:
    touchpoint, survey = values["touchpoint"], values["survey"]
    if not Touchpoint.objects.for_org(organization).filter(pk=touchpoint.pk).exists():
        raise DomainError("The touchpoint belongs to another organisation.", field="touchpoint")
    if survey.organization_id != organization.pk or survey.kind != Survey.Kind.MYSTERY_SHOP:
        raise DomainError("Choose a mystery-shop visit form of this organisation.", field="survey")
    quiz = values.get("certification_survey")
    if quiz is not None and (
        quiz.organization_id != organization.pk or quiz.kind != Survey.Kind.CERTIFICATION
    ):
        raise DomainError(
            "Choose a certification quiz of this organisation.", field="certification_survey"
        )
    code = values.get("receipt_question") or ""
    if (
        code
        and not Question.objects.filter(
            survey__organization=organization, survey__code=survey.code, code=code, type="file"
        ).exists()
    ):
        raise DomainError(
            f"The visit form has no file question with the code “{code}”.",
            field="receipt_question",
        )
    if values["expense_cap"] and not code:
        # Expenses are refunded only with a receipt (docs/shoppers.md, Fees).
        raise DomainError(
            "Name the form's receipt question: an expense is refunded only with a receipt.",
            field="receipt_question",
        )


@transaction.atomic
def save_scenario(
    *, organization: Organization, values: dict[str, Any], scenario: Scenario | None = None
) -> Scenario:
    """Create a scenario, or change one (shops made already keep their fee and expense cap)."""
    values = {name: values[name] for name in SCENARIO_FIELDS if name in values}
    _scenario_problem(organization, values)
    if scenario is None:
        return Scenario.objects.create(organization=organization, **values)
    if scenario.organization_id != organization.pk:
        raise DomainError("A scenario of another organisation.")
    for name, value in values.items():
        setattr(scenario, name, value)
    scenario.save(update_fields=list(values))
    return scenario


@transaction.atomic
def set_scenario_active(*, scenario: Scenario, active: bool) -> Scenario:
    """Archive a scenario (no new shops; the shops made stay as they are) or restore it."""
    Scenario.objects.filter(pk=scenario.pk).update(is_active=active)
    scenario.is_active = active
    return scenario


# -- bulk --------------------------------------------------------------------------------------


@dataclass
class BulkPlan:
    """What a bulk creation will make: every (scenario, location, visit number) of a wave, the
    keys already made by an earlier run (skipped), and who each new shop goes to."""

    organization: Organization
    wave: Wave
    window_start: dt.datetime
    window_end: dt.datetime
    deadline: dt.datetime
    jobs: list[tuple[Scenario, Location, int, str]]  # (scenario, location, visit, key)
    existing: set[str]
    assigned_to: dict[str, User] = field(default_factory=dict)
    unassigned: int = 0  # new shops no chosen shopper may take (left open)

    @property
    def new(self) -> list[tuple[Scenario, Location, int, str]]:
        return [j for j in self.jobs if j[3] not in self.existing]

    @property
    def total(self) -> int:
        return len(self.jobs)


def bulk_key(wave: Wave, scenario: Scenario, location: Location, visit: int) -> str:
    return f"{wave.pk}:{scenario.pk}:{location.pk}:{visit}"


MAX_BULK = 50_000


def plan_bulk(
    *,
    organization: Organization,
    wave: Wave,
    scenarios: list[Scenario],
    locations: list[Location],
    visits: int,
    window_start: dt.datetime,
    window_end: dt.datetime,
    shoppers: list[User] | None = None,
) -> BulkPlan:
    """The preview of a bulk creation: how many shops, how many exist already, and, when
    shoppers are given, who takes each new one (every rule checked, spread evenly). A fixed
    number of queries whatever the size."""
    if not scenarios or not locations:
        raise DomainError("Choose at least one scenario and one location.", field="scenarios")
    if not 1 <= visits <= 50:
        raise DomainError("Visits per location must be between 1 and 50.", field="visits")
    if len(scenarios) * len(locations) * visits > MAX_BULK:
        raise DomainError(
            f"That would be more than {MAX_BULK:,} shops at once; split it.", field="visits"
        )
    for scenario in scenarios:
        _validate_job(
            organization=organization,
            scenario=scenario,
            location=locations[0],
            wave=wave,
            window_start=window_start,
            window_end=window_end,
        )
    for location in locations:
        if location.organization_id != organization.pk or not location.is_active:
            raise DomainError(f"{location} cannot be shopped.", field="locations")
    programme = ShopperProgramme.of(organization)
    jobs = [
        (s, loc, n, bulk_key(wave, s, loc, n))
        for loc in locations
        for s in scenarios
        for n in range(1, visits + 1)
    ]
    keys = [j[3] for j in jobs]
    existing: set[str] = set()
    for start in range(0, len(keys), 5000):
        existing.update(
            Assignment.objects.filter(bulk_key__in=keys[start : start + 5000]).values_list(
                "bulk_key", flat=True
            )
        )
    plan = BulkPlan(
        organization=organization,
        wave=wave,
        window_start=window_start,
        window_end=window_end,
        deadline=deadline_for(window_end, programme),
        jobs=jobs,
        existing=existing,
    )
    if shoppers:
        ids = [u.pk for u in shoppers]
        facts = facts_mod.facts_of(organization=organization, user_ids=ids)
        held = facts_mod.held_shops(
            organization=organization, user_ids=ids, location_ids=[loc.pk for loc in locations]
        )
        users = {u.pk: u for u in shoppers}
        distributor = Distributor(
            [Candidate(facts=f, held=list(held.get(uid, []))) for uid, f in facts.items()],
            lockout_days=programme.lockout_days,
        )
        rules = {s.pk: facts_mod.rule_of(s) for s in scenarios}
        for scenario, location, _, key in plan.new:
            job = HeldShop(0, location.pk, window_start, window_end)
            chosen = distributor.give(rules[scenario.pk], job)
            if chosen is None:
                plan.unassigned += 1
            else:
                plan.assigned_to[key] = users[chosen.facts.user_id]
    return plan


@dataclass(frozen=True)
class BulkResult:
    created: int
    assigned: int
    skipped: int


def create_bulk(*, plan: BulkPlan, actor: User, batch_size: int = 2000) -> BulkResult:
    """Write a plan's new shops in batches (each batch one transaction, replay-safe by the
    bulk key: a double click or a rerun creates nothing twice), with their audit rows and, for
    the shops given to shoppers, their confirmation emails (one sender woken per batch)."""
    created = assigned = 0
    new = plan.new
    for start in range(0, len(new), batch_size):
        chunk = new[start : start + batch_size]
        for _attempt in range(3):
            try:
                made, given = _create_chunk(plan, chunk, actor)
            except IntegrityError:
                continue  # a concurrent run made some of these keys: look again
            created += made
            assigned += given
            break
        else:
            raise DomainError("Another bulk creation of the same shops is running; try again.")
    return BulkResult(created=created, assigned=assigned, skipped=len(plan.jobs) - created)


def writes_arrays() -> bool:
    """Whether bulk creation writes its rows as server-bound arrays (PostgreSQL) rather than
    through bulk_create (any database; several times slower at 10,000 shops)."""
    return connection.vendor == "postgresql"


@transaction.atomic
def _create_chunk(plan: BulkPlan, chunk: list, actor: User) -> tuple[int, int]:
    """One batch in one transaction: the shops whose key is not taken yet, a `created` audit
    row for each and, for a shop given to a shopper, its `transition` row and confirmation
    email. Returns (created, given)."""
    from cxaudit.messaging.services import NewMessage, queue_messages

    now = timezone.now()
    if writes_arrays():
        made = _insert_chunk_arrays(plan, chunk, actor, now)
    else:
        made = _insert_chunk_orm(plan, chunk, actor, now)
    queue_messages(
        NewMessage(
            purpose=emails.CONFIRMED,
            key=f"assignment:{pk}:confirmed:bulk",
            to_email=shopper.email,
            to_name=shopper.get_full_name(),
            organization_id=plan.organization.pk,
            context={"assignment_id": pk, "shopper_id": shopper.pk},
        )
        for pk, shopper in made
        if shopper is not None
    )
    return len(made), sum(1 for _, shopper in made if shopper is not None)


def _insert_chunk_arrays(
    plan: BulkPlan, chunk: list, actor: User, now: dt.datetime
) -> list[tuple[int, User | None]]:
    """PostgreSQL: the shops as one INSERT of arrays, skipping keys that exist (a replay, or a
    concurrent run that made them first), then their audit rows as another."""
    from cxaudit.bulkinsert import insert_arrays

    given = [plan.assigned_to.get(key) for _, _, _, key in chunk]
    inserted = insert_arrays(
        Assignment,
        constant={
            "organization": plan.organization,
            "wave": plan.wave,
            "window_start": plan.window_start,
            "window_end": plan.window_end,
            "deadline": plan.deadline,
            "created_by": actor,
        },
        columns={
            "scenario_id": [s.pk for s, _, _, _ in chunk],
            "location_id": [loc.pk for _, loc, _, _ in chunk],
            "fee": [s.fee for s, _, _, _ in chunk],
            "expense_cap": [s.expense_cap for s, _, _, _ in chunk],
            "bulk_key": [key for _, _, _, key in chunk],
            "shopper_id": [u.pk if u else None for u in given],
            "status": [Status.ASSIGNED if u else Status.OPEN for u in given],
            "assigned_at": [now if u else None for u in given],
        },
        returning=("id", "bulk_key"),
        skip_conflicts_on="bulk_key",
    )
    ids = dict((key, pk) for pk, key in inserted)
    made = [(ids[key], plan.assigned_to.get(key)) for _, _, _, key in chunk if key in ids]
    events: dict[str, list] = {"assignment_id": [], "kind": [], "from_status": [], "to_status": []}
    for pk, shopper in made:
        rows = [(AssignmentEvent.Kind.CREATED, "", "")]
        if shopper is not None:
            rows.append((AssignmentEvent.Kind.TRANSITION, Status.OPEN, Status.ASSIGNED))
        for kind, from_status, to_status in rows:
            events["assignment_id"].append(pk)
            events["kind"].append(kind)
            events["from_status"].append(from_status)
            events["to_status"].append(to_status)
    insert_arrays(
        AssignmentEvent,
        constant={
            "organization": plan.organization,
            "actor": actor,
            "at": now,
            "details": {"via": Via.BULK},
        },
        columns=events,
    )
    return made


def _insert_chunk_orm(
    plan: BulkPlan, chunk: list, actor: User, now: dt.datetime
) -> list[tuple[int, User | None]]:
    """Any database: bulk_create of the shops whose key is not taken (a concurrent run that
    takes one meanwhile makes this fail on the unique key, and create_bulk tries again), then
    of their audit rows."""
    keys = [key for _, _, _, key in chunk]
    taken = set(Assignment.objects.filter(bulk_key__in=keys).values_list("bulk_key", flat=True))
    rows = []
    for scenario, location, _, key in chunk:
        if key in taken:
            continue
        shopper = plan.assigned_to.get(key)
        rows.append(
            Assignment(
                organization=plan.organization,
                scenario=scenario,
                location=location,
                wave=plan.wave,
                window_start=plan.window_start,
                window_end=plan.window_end,
                deadline=plan.deadline,
                fee=scenario.fee,
                expense_cap=scenario.expense_cap,
                created_by=actor,
                bulk_key=key,
                shopper=shopper,
                status=Status.ASSIGNED if shopper else Status.OPEN,
                assigned_at=now if shopper else None,
            )
        )
    Assignment.objects.bulk_create(rows)  # sets the primary keys (RETURNING)
    events = []
    for a in rows:
        events.append(
            AssignmentEvent(
                assignment=a,
                organization_id=a.organization_id,
                actor=actor,
                kind=AssignmentEvent.Kind.CREATED,
                at=now,
                details={"via": Via.BULK},
            )
        )
        if a.shopper_id:
            events.append(
                AssignmentEvent(
                    assignment=a,
                    organization_id=a.organization_id,
                    actor=actor,
                    kind=AssignmentEvent.Kind.TRANSITION,
                    from_status=Status.OPEN,
                    to_status=Status.ASSIGNED,
                    at=now,
                    details={"via": Via.BULK},
                )
            )
    AssignmentEvent.objects.bulk_create(events, batch_size=5000)
    return [(a.pk, a.shopper) for a in rows]


# -- the clock ---------------------------------------------------------------------------------


def expire_overdue(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Periodic: shops still assigned, in progress or returned for edits after their deadline
    expire (each claimed, so a second sweeper or a replayed task expires nothing twice)."""
    now = now or timezone.now()
    expired = 0
    for assignment in Assignment.objects.overdue(now).order_by("deadline")[:limit]:
        with transaction.atomic():
            before = assignment.status
            try:
                assignment.expire(at=now)
            except DomainError:
                continue  # moved meanwhile
            log_event(assignment, actor=None, from_status=before, at=now, reason="deadline passed")
            expired += 1
    return expired


REMINDER_BEFORE = dt.timedelta(hours=24)


def send_window_reminders(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Periodic: a reminder for each held shop whose window closes within 24 hours, once per
    holder and window (the key names both; a shop given to someone else is reminded again)."""
    now = now or timezone.now()
    due = (
        Assignment.objects.filter(
            status__in=(Status.ASSIGNED, Status.IN_PROGRESS),
            window_end__gt=now,
            window_end__lte=now + REMINDER_BEFORE,
            reminded_at__isnull=True,
        )
        .select_related("shopper", "organization")
        .order_by("window_end")[:limit]
    )
    sent = 0
    for assignment in due:
        with transaction.atomic():
            claimed = Assignment.objects.filter(pk=assignment.pk, reminded_at__isnull=True).update(
                reminded_at=now
            )
            if not claimed:
                continue
            notify_shopper(
                emails.REMINDER,
                assignment,
                f"reminder:{assignment.shopper_id}:{assignment.window_end.isoformat()}",
            )
            sent += 1
    return sent


def update_rating(*, organization: Organization, shopper: User) -> Decimal | None:
    """The shopper's rating: the mean outcome (5 approved at once, 3 approved after edits, 1
    rejected) of their latest decided shops, in the caller's transaction."""
    recent = (
        Assignment.objects.for_org(organization)
        .filter(shopper=shopper, outcome_points__isnull=False)
        .order_by("-decided_at", "-pk")
        .values_list("pk", flat=True)[:RATING_WINDOW]
    )
    stats = Assignment.objects.filter(pk__in=list(recent)).aggregate(mean=Avg("outcome_points"))
    mean = stats["mean"]
    rating = None if mean is None else Decimal(str(round(mean, 2)))
    ShopperProfile.objects.for_org(organization).filter(user=shopper).update(
        rating=rating, rated_shops=len(recent)
    )
    return rating


__all__ = [
    "BulkPlan",
    "BulkResult",
    "OfferResult",
    "Via",
    "accept_offer",
    "accept_request",
    "assign_shopper",
    "cancel",
    "create_assignment",
    "create_bulk",
    "decline_offer",
    "decline_request",
    "expire_overdue",
    "limit_problems",
    "log_event",
    "offer_job",
    "plan_bulk",
    "problems_taking",
    "release",
    "request_job",
    "save_scenario",
    "self_assign",
    "send_window_reminders",
    "set_scenario_active",
    "unassign",
    "update_rating",
    "withdraw_request",
    "writes_arrays",
]
