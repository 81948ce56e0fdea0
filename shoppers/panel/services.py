"""The panel: applying to a programme (a new account, or a logged-in person of another
programme), staff deciding applications, shoppers keeping their profile, and the certification
quizzes some scenarios ask for."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from cxaudit.accounts.models import Membership, Organization, Role, User
from cxaudit.errors import DomainError
from cxaudit.messaging.services import queue_message
from cxaudit.throttle import normalise_identity
from surveys.models import Response, Source
from surveys.responses.services import check_form_submission, start_response, submit_response

from .. import emails
from ..models import Certification, Scenario, ShopperProfile, ShopperProgramme

PROFILE_FIELDS = ("phone", "home_region", "languages", "age_band", "gender")
Status = ShopperProfile.Status


def _details(details: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: details[k] for k in PROFILE_FIELDS if k in details}
    if "languages" in out:
        out["languages"] = sorted({str(v).strip().lower() for v in out["languages"] if v})
    return out


def _open_programme(organization: Organization) -> ShopperProgramme:
    programme = ShopperProgramme.of(organization)
    if not programme.accepting_applications or not organization.is_active:
        raise DomainError("This programme is not taking new shoppers at the moment.")
    return programme


@transaction.atomic
def apply_with_new_account(
    *,
    organization: Organization,
    email: str,
    full_name: str,
    password: str,
    details: Mapping[str, Any],
) -> ShopperProfile | None:
    """Sign-up of someone without an account: the account, a shopper membership and a profile
    waiting for approval. When the email already has an account nothing is created and that
    address is emailed instead (the page answers the same either way, so the form does not tell
    a stranger which addresses have accounts). The terms were accepted on the form."""
    _open_programme(organization)
    email = normalise_identity(email)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        # Hash the password all the same: the answer then takes as long as making an account
        # does, so its timing does not tell a stranger that the address has one.
        make_password(password)
        queue_message(
            purpose=emails.ALREADY_REGISTERED,
            key=f"signup-known:{organization.pk}:{existing.pk}:{timezone.localdate().isoformat()}",
            to_email=existing.email,
            organization=organization,
        )
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, full_name=full_name.strip()[:150]
            )
    except IntegrityError:  # the same address signed up in a parallel request
        return None
    Membership.objects.create(user=user, organization=organization, role=Role.SHOPPER)
    return ShopperProfile.objects.create(
        organization=organization,
        user=user,
        terms_accepted_at=timezone.now(),
        **_details(details),
    )


@transaction.atomic
def apply_as_member(
    *, organization: Organization, user: User, details: Mapping[str, Any]
) -> ShopperProfile:
    """A logged-in person (a shopper of another programme) applies to this one."""
    _open_programme(organization)
    # get_or_create, so that the same application sent twice at once makes one membership
    # (the loser of the insert finds the winner's row) rather than an IntegrityError.
    membership, _ = Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Role.SHOPPER}
    )
    if membership.role != Role.SHOPPER:
        raise DomainError(
            f"You already belong to {organization.name} as {membership.get_role_display()}; "
            "staff cannot also be shoppers of the same organisation."
        )
    profile, created = ShopperProfile.objects.get_or_create(
        organization=organization,
        user=user,
        defaults={"terms_accepted_at": timezone.now(), **_details(details)},
    )
    if not created and profile.status == Status.DECLINED:
        raise DomainError("Your application to this programme was declined.")
    return profile


@transaction.atomic
def update_profile(*, profile: ShopperProfile, details: Mapping[str, Any]) -> ShopperProfile:
    """The shopper's own details (not their status, rating or exclusions)."""
    fields = _details(details)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save(update_fields=list(fields))
    return profile


def _decide(profile: ShopperProfile, *, frm: tuple[str, ...], to: str, actor: User) -> None:
    now = timezone.now()
    claimed = ShopperProfile.objects.filter(pk=profile.pk, status__in=frm).update(
        status=to, decided_at=now, decided_by=actor
    )
    if not claimed:
        # Say what it is now (another member of staff may have decided meanwhile).
        profile.refresh_from_db(fields=["status", "decided_at", "decided_by"])
        raise DomainError(
            f"This shopper is {profile.get_status_display().lower()}; reload the page."
        )
    profile.status, profile.decided_at, profile.decided_by = to, now, actor


@transaction.atomic
def approve_shopper(*, profile: ShopperProfile, actor: User) -> ShopperProfile:
    """pending | inactive -> active; a new shopper is welcomed by email."""
    was = profile.status
    _decide(profile, frm=(Status.PENDING, Status.INACTIVE), to=Status.ACTIVE, actor=actor)
    if was == Status.PENDING:
        queue_message(
            purpose=emails.WELCOME,
            key=f"shopper:{profile.pk}:approved",
            to_email=profile.user.email,
            to_name=profile.user.get_full_name(),
            organization=profile.organization,
        )
    return profile


@transaction.atomic
def decline_shopper(*, profile: ShopperProfile, actor: User) -> ShopperProfile:
    _decide(profile, frm=(Status.PENDING,), to=Status.DECLINED, actor=actor)
    return profile


@transaction.atomic
def deactivate_shopper(*, profile: ShopperProfile, actor: User) -> ShopperProfile:
    """active -> inactive: no new jobs; shops they hold stay theirs."""
    _decide(profile, frm=(Status.ACTIVE,), to=Status.INACTIVE, actor=actor)
    return profile


@transaction.atomic
def set_exclusions(*, profile: ShopperProfile, locations, notes: str | None = None) -> None:
    """Staff: the locations this shopper must never shop (and staff notes)."""
    for loc in locations:
        if loc.organization_id != profile.organization_id:
            raise DomainError("A location of another organisation.", field="excluded_locations")
    profile.excluded_locations.set(locations)
    if notes is not None:
        profile.staff_notes = notes
        profile.save(update_fields=["staff_notes"])


PROGRAMME_FIELDS = (
    "accepting_applications",
    "terms",
    "currency",
    "lockout_days",
    "daily_self_assign_limit",
    "open_limit",
    "report_grace_hours",
    "return_days",
    "gps_tolerance_m",
    "photo_time_tolerance_minutes",
    "min_seconds_per_answer",
)


def clean_currency(value: str) -> str:
    """An ISO 4217 code in capitals ("gbp" -> "GBP"); DomainError naming the field if not one."""
    code = str(value).strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise DomainError("Give a three-letter ISO 4217 code, e.g. GBP.", field="currency")
    return code


@transaction.atomic
def update_programme(*, programme: ShopperProgramme, values: Mapping[str, Any]) -> ShopperProgramme:
    """Staff: the programme's rules (shops made already keep their deadline)."""
    fields = [name for name in PROGRAMME_FIELDS if name in values]
    for name in fields:
        setattr(programme, name, values[name])
    if "currency" in fields:
        programme.currency = clean_currency(programme.currency)
    programme.save(update_fields=fields)
    return programme


# -- certification ---------------------------------------------------------------------------------

NAMESPACE = uuid.UUID("1c8e6a0d-2b7f-4d19-8f3a-5e0b9c4d7a26")


def passed(*, scenario: Scenario, shopper: User) -> bool:
    return Certification.objects.filter(scenario=scenario, shopper=shopper, passed=True).exists()


@transaction.atomic
def start_certification(*, scenario: Scenario, shopper: User) -> Certification:
    """A quiz attempt (its draft response, never counted): the open attempt if there is one,
    else a new one, up to Certification.MAX_ATTEMPTS."""
    ShopperProfile.objects.select_for_update().filter(
        organization_id=scenario.organization_id, user=shopper
    ).first()
    if passed(scenario=scenario, shopper=shopper):
        raise DomainError("You have already passed this certification.")
    survey = scenario.current_certification()
    if survey is None:
        raise DomainError("This scenario has no certification quiz published.")
    attempts = list(Certification.objects.filter(scenario=scenario, shopper=shopper))
    for attempt in attempts:
        if attempt.taken_at is None:
            return attempt
    if len(attempts) >= Certification.MAX_ATTEMPTS:
        raise DomainError(
            f"You have used all {Certification.MAX_ATTEMPTS} attempts at this certification; "
            "ask the programme team."
        )
    response = start_response(
        survey=survey,
        source=Source.SHOPPER,
        respondent=shopper,
        client_id=uuid.uuid5(NAMESPACE, f"{scenario.pk}:{shopper.pk}:{len(attempts) + 1}"),
        counted=False,
    )
    return Certification.objects.create(
        organization_id=scenario.organization_id,
        scenario=scenario,
        shopper=shopper,
        response=response,
    )


def submit_certification(
    *, certification: Certification, raw_answers: Mapping[str, Any]
) -> Certification:
    """Submit a quiz attempt and grade it against the scenario's pass mark (a replay returns
    the graded attempt). ValidationFailed keeps what was typed in the draft."""
    if certification.taken_at is not None:
        return certification
    response = certification.response
    structure = check_form_submission(response=response, raw_answers=raw_answers)
    with transaction.atomic():
        locked = Certification.objects.select_for_update().get(pk=certification.pk)
        if locked.taken_at is not None:
            return locked
        response = submit_response(
            response=response, raw_answers=dict(raw_answers), structure=structure
        )
        percent = Response.objects.filter(pk=response.pk).values_list("score_percent", flat=True)[0]
        locked.score_percent = percent
        locked.passed = percent is not None and percent >= locked.scenario.pass_percent
        locked.taken_at = timezone.now()
        locked.save(update_fields=["score_percent", "passed", "taken_at"])
        return locked
