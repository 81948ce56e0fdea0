"""Workflows of accounts: organisations, locations and memberships."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cxaudit.errors import DomainError, ValidationFailed
from cxaudit.messaging.services import queue_message

from . import emails
from .models import Location, Membership, Organization, Role, User

log = logging.getLogger(__name__)


@transaction.atomic
def create_organization(*, slug: str, name: str, creator: User | None = None) -> Organization:
    """Create an organisation; its creator (if any) becomes its program admin."""
    org = Organization(slug=slug, name=name)
    try:
        org.full_clean()
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        raise DomainError(f"{field_name}: {' '.join(messages)}", field=field_name) from exc
    org.save()
    if creator is not None and not creator.is_superuser:
        Membership.objects.create(user=creator, organization=org, role=Role.PROGRAM_ADMIN)
    return org


LOCATION_COLUMNS = ("code", "name", "kind", "region", "address")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


def _read_csv(data: bytes | str) -> list[dict[str, str]]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationFailed(
                "The file is not UTF-8 text.", [("file", "not UTF-8 text (save as CSV UTF-8)")]
            ) from exc
    reader = csv.DictReader(io.StringIO(data))
    if not reader.fieldnames:
        raise ValidationFailed("The file is empty.", [("file", "no header row")])
    return list(reader)


@transaction.atomic
def import_locations(*, organization: Organization, data: bytes | str) -> ImportResult:
    """Create or update locations from CSV; all rows are validated first and nothing is
    written unless every row is valid (a half-imported list of branches is worse than none)."""
    rows = _read_csv(data)
    reader_fields = set(rows[0].keys()) if rows else set()
    missing = {"code", "name"} - {f.strip().lower() for f in reader_fields}
    if rows and missing:
        raise ValidationFailed(
            "Missing columns.", [("header", f"missing column(s): {', '.join(sorted(missing))}")]
        )
    errors: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    cleaned: list[dict[str, str]] = []
    existing = {loc.code: loc for loc in Location.objects.for_org(organization)}
    kinds = {k.lower(): k for k in Location.Kind.values}
    for line, raw in enumerate(rows, start=2):  # line 1 is the header
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        values = {col: row.get(col, "") for col in LOCATION_COLUMNS}
        values["kind"] = values["kind"].lower() or Location.Kind.BRANCH
        if values["kind"] not in kinds:
            errors.append(
                (
                    f"line {line}, kind",
                    f"unknown kind {values['kind']!r}; use one of "
                    + ", ".join(Location.Kind.values),
                )
            )
            continue
        if values["code"] in seen:
            errors.append(
                (
                    f"line {line}, code",
                    f"duplicate code {values['code']!r} (also on line {seen[values['code']]})",
                )
            )
            continue
        seen[values["code"]] = line
        candidate = existing.get(values["code"]) or Location(organization=organization)
        for col, value in values.items():
            setattr(candidate, col, value)
        try:
            candidate.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                errors.append((f"line {line}, {field_name}", " ".join(messages)))
            continue
        cleaned.append(values)
    if not rows:
        errors.append(("file", "no data rows below the header"))
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) found; nothing was imported.", errors)
    result = ImportResult()
    for values in cleaned:
        loc = existing.get(values["code"])
        if loc is None:
            Location.objects.create(organization=organization, **values)
            result.created += 1
        else:
            for col, value in values.items():
                setattr(loc, col, value)
            loc.save()
            result.updated += 1
    return result


@transaction.atomic
def add_member(
    *,
    organization: Organization,
    email: str,
    role: str,
    full_name: str = "",
    locations: list[Location] | None = None,
    invited_by: User | None = None,
) -> Membership:
    """Give a person (created if new) a role in the organisation; queues a set-password email
    (through the outbox, in this transaction) when the person has never set a password."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, full_name=full_name)
    if Membership.objects.filter(user=user, organization=organization).exists():
        raise DomainError(f"{email} is already a member of {organization}.", field="email")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, organization=organization, role=role)
    except IntegrityError as exc:  # a concurrent add of the same person
        raise DomainError(f"{email} is already a member.", field="email") from exc
    _set_locations(membership, locations)
    if not user.has_usable_password():
        queue_welcome_email(membership=membership)
    return membership


def _set_locations(membership: Membership, locations: list[Location] | None) -> None:
    locations = list(locations or [])
    foreign = [loc for loc in locations if loc.organization_id != membership.organization_id]
    if foreign:
        raise DomainError("Locations must belong to the same organisation.", field="locations")
    if locations and membership.role != Role.CLIENT_MANAGER:
        raise DomainError("Only client managers can be limited to locations.", field="locations")
    membership.locations.set(locations)


@transaction.atomic
def update_member(
    *, membership: Membership, role: str, locations: list[Location] | None = None
) -> Membership:
    """Change a member's role and location limits; keeps at least one program admin."""
    if membership.role == Role.PROGRAM_ADMIN and role != Role.PROGRAM_ADMIN:
        _ensure_another_admin(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    _set_locations(membership, locations)
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    """Remove a member from the organisation (the user account stays)."""
    if membership.role == Role.PROGRAM_ADMIN:
        _ensure_another_admin(membership)
    membership.delete()


def _ensure_another_admin(membership: Membership) -> None:
    others = (
        Membership.objects.for_org(membership.organization)
        .select_for_update()
        .filter(role=Role.PROGRAM_ADMIN, is_active=True)
        .exclude(pk=membership.pk)
    )
    if not others.exists():
        raise DomainError("An organisation needs at least one program admin.", field="role")


def queue_welcome_email(*, membership: Membership) -> None:
    """Queue, in the caller's transaction, the email that lets a new member choose a password
    (the link is made when it is sent: Django's reset token, single use, time-limited)."""
    queue_message(
        purpose=emails.WELCOME,
        key=f"membership:{membership.pk}",
        to_email=membership.user.email,
        to_name=membership.user.full_name,
        organization=membership.organization,
        context={"membership_id": membership.pk},
    )


def queue_password_reset_email(*, user: User, base_url: str) -> None:
    """Queue a password-reset email for `user` (each request is an event of its own)."""
    queue_message(
        purpose=emails.PASSWORD_RESET,
        key=f"user:{user.pk}:{uuid.uuid4().hex}",
        to_email=user.email,
        to_name=user.full_name,
        context={"user_id": user.pk, "base_url": base_url},
    )


def record_heartbeat(*, name: str) -> int:
    """Count one heartbeat of `name` (written by the health task)."""
    from django.db.models import F
    from django.utils import timezone

    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.get_or_create(name=name)
    WorkerHeartbeat.objects.filter(name=name).update(
        beats=F("beats") + 1, last_beat_at=timezone.now()
    )
    return WorkerHeartbeat.objects.get(name=name).beats
