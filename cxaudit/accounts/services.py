"""Workflows of accounts: organisations, locations and memberships."""

from __future__ import annotations

import csv
import io
import logging
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cxaudit.csvinput import Problems, check_header, decode
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


@transaction.atomic
def import_locations(*, organization: Organization, data: bytes | str) -> ImportResult:
    """Create or update locations from CSV; all rows are validated first and nothing is
    written unless every row is valid (a half-imported list of branches is worse than none).
    The file follows cxaudit.csvinput's rules: UTF-8, no NUL, every column known and once."""
    problems = Problems()
    text = decode(data.encode() if isinstance(data, str) else data, problems)
    if text is None:
        raise ValidationFailed(
            "The file cannot be read (it must be UTF-8 text); nothing was imported.",
            problems.listed,
            total=problems.total,
        )
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(c.strip() for c in header):
            raise ValidationFailed("The file is empty.", [("file", "no header row")])
        names = check_header(
            header, known=LOCATION_COLUMNS, required=("code", "name"), problems=problems
        )
        if problems:
            raise ValidationFailed(
                f"Missing columns, or columns it does not know: {problems.summary()}",
                problems.listed,
                total=problems.total,
            )
        rows = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as exc:
        raise ValidationFailed(
            "The file is not valid CSV.",
            [(f"line {reader.line_num}", f"not valid CSV ({exc}); check the quotes")],
        ) from exc
    seen: dict[str, int] = {}
    cleaned: list[dict[str, str]] = []
    existing = {loc.code: loc for loc in Location.objects.for_org(organization)}
    kinds = {k.lower(): k for k in Location.Kind.values}
    for line, cells in rows:
        if len(cells) != len(names):
            problems.add(f"line {line}", f"{len(cells)} cells where the header has {len(names)}")
            continue
        row = {name: cell.strip() for name, cell in zip(names, cells, strict=True)}
        values = {col: row.get(col, "") for col in LOCATION_COLUMNS}
        values["kind"] = values["kind"].lower() or Location.Kind.BRANCH
        if values["kind"] not in kinds:
            problems.add(
                f"line {line}, kind",
                f"unknown kind {values['kind'][:40]!r}; use one of "
                + ", ".join(Location.Kind.values),
            )
            continue
        if values["code"] in seen:
            problems.add(
                f"line {line}, code",
                f"duplicate code {values['code'][:40]!r} (also on line {seen[values['code']]})",
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
                problems.add(f"line {line}, {field_name}", " ".join(messages))
            continue
        cleaned.append(values)
    if not rows:
        problems.add("file", "no data rows below the header")
    if problems:
        raise ValidationFailed(problems.summary(), problems.listed, total=problems.total)
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
