"""Importing contacts from CSV, in Celery, batch by batch.

Rules (docs/outreach.md, "Contacts"): the file follows cxaudit/csvinput.py (UTF-8, no NUL, every
column known and once); addresses are trimmed, lower-cased and validated; the same address twice
in a file keeps its first line and rejects the others; an address already known updates that
contact (an empty cell never erases); an unsubscribed or suppressed address is never made
reachable again, nor added to a list. Good rows are imported, every rejected row is listed with
its line and reason (the first csvinput.MAX_LISTED, with the total).

Safe after a crash: each batch of rows is written in one transaction together with the job's
progress (`processed_rows`, fenced by the attempt that claimed the job), so a job taken over by
another worker (requeue_stalled_contact_imports) resumes at the first unwritten row and writes
nothing twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cxaudit import csvinput
from cxaudit.accounts.models import Location, Organization, User
from cxaudit.enqueue import enqueue_on_commit, send_now
from cxaudit.errors import DomainError

from .models import Contact, ContactImport, ContactList

logger = logging.getLogger(__name__)

Status = ContactImport.Status

MAX_BYTES: Final = 25 * 1024 * 1024
BATCH_SIZE: Final = 1000
STALE_AFTER: Final = timedelta(minutes=2)
MAX_ATTEMPTS: Final = 3
FIXED_COLUMNS: Final = ("email", "first_name", "last_name", "location", "language")
ATTRIBUTE_PREFIX: Final = "attr."
LANGUAGES: Final = ("en", "fr")
NAME_MAX: Final = 100
ATTRIBUTE_MAX: Final = 200


class LeaseLost(Exception):
    """Another worker took the job over: stop without writing."""


def normalise_email(raw: str) -> str:
    """An address as contacts store it: Unicode-normalised, trimmed, lower-case."""
    return unicodedata.normalize("NFC", raw or "").strip().lower()


def email_problem(address: str) -> str | None:
    """Why `address` (already normalised) cannot be a contact's, or None."""
    if not address:
        return "no email address"
    if len(address) > 254:
        return "the email address is longer than 254 characters"
    if any(ch.isspace() for ch in address) or "<" in address or "," in address:
        return f"not a single email address ({address[:60]!r})"
    try:
        validate_email(address)
    except ValidationError:
        return f"not a valid email address ({address[:60]!r})"
    return None


# -- the upload ----------------------------------------------------------------------------------


def create_contact_import(
    *,
    organization: Organization,
    uploaded_by: User | None,
    file: File,
    list_name: str = "",
    enqueue: bool = True,
) -> ContactImport:
    """Store the uploaded file and a pending import (into the named list, created if new); the
    import task is queued after commit."""
    if file.size is not None and file.size > MAX_BYTES:
        raise DomainError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.", field="file")
    data = b"".join(file.chunks())
    if len(data) > MAX_BYTES:
        raise DomainError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.", field="file")
    if not data.strip():
        raise DomainError("The file is empty.", field="file")
    list_name = " ".join(list_name.split())[:120]
    with transaction.atomic():
        contact_list = None
        if list_name:
            contact_list, _ = ContactList.objects.get_or_create(
                organization=organization, name=list_name
            )
        imp = ContactImport(
            organization=organization,
            contact_list=contact_list,
            uploaded_by=uploaded_by,
            original_name=(file.name or "contacts.csv")[-255:],
            heartbeat_at=timezone.now(),
        )
        digest = hashlib.sha256(data).hexdigest()[:16]
        imp.file.save(
            f"{organization.slug}/{digest}-{uuid.uuid4().hex}.csv", ContentFile(data), save=False
        )
        imp.save()
        if enqueue:
            enqueue_on_commit("surveys.run_contact_import", imp.pk)
    return imp


# -- reading the file ----------------------------------------------------------------------------


@dataclass
class Header:
    names: list[str]
    attributes: dict[int, str]  # column index -> attribute name


@dataclass
class Parsed:
    line: int
    email: str
    values: dict[str, str]  # fixed columns present in the file (cells as written, trimmed)
    attributes: dict[str, str]


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


def read_header(cells: list[str], problems: csvinput.Problems) -> Header:
    names = [c.strip().lower() for c in cells]
    attributes = {
        i: n[len(ATTRIBUTE_PREFIX) :] for i, n in enumerate(names) if n.startswith(ATTRIBUTE_PREFIX)
    }
    for i, name in attributes.items():
        if not name or len(name) > 40 or not name.replace("_", "").isalnum():
            problems.add(
                f"line 1, column {i + 1}",
                f"attribute column {cells[i].strip()[:40]!r}: name it attr.<letters, digits, _>",
            )
    known = [*FIXED_COLUMNS, *(names[i] for i in attributes)]
    csvinput.check_header(cells, known=known, required=["email"], problems=problems)
    return Header(names=names, attributes=attributes)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every record; the line is where the record starts."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def parse_row(header: Header, line: int, cells: list[str]) -> Parsed | str:
    """The row's values, or the reason it is rejected (before looking at the database)."""
    if len(cells) > len(header.names):
        return f"{len(cells)} cells but the header has {len(header.names)} columns"
    values: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for i, name in enumerate(header.names):
        cell = cells[i].strip() if i < len(cells) else ""
        if i in header.attributes:
            if len(cell) > ATTRIBUTE_MAX:
                return f"{name} is longer than {ATTRIBUTE_MAX} characters"
            if cell:
                attributes[header.attributes[i]] = cell
        else:
            values[name] = cell
    email = normalise_email(values.pop("email", ""))
    problem = email_problem(email)
    if problem:
        return problem
    for name in ("first_name", "last_name"):
        if len(values.get(name, "")) > NAME_MAX:
            return f"{name} is longer than {NAME_MAX} characters"
    language = values.get("language", "").lower()
    if language and language not in LANGUAGES:
        return (
            f"unknown language {language[:10]!r}; use {' or '.join(LANGUAGES)} (or leave it empty)"
        )
    if "language" in values:
        values["language"] = language
    return Parsed(line=line, email=email, values=values, attributes=attributes)


# -- running the job -----------------------------------------------------------------------------


def claim_contact_import(*, import_id: int) -> ContactImport | None:
    now = timezone.now()
    claimed = ContactImport.objects.filter(pk=import_id, status=Status.PENDING).update(
        status=Status.RUNNING,
        attempt=F("attempt") + 1,
        started_at=now,
        heartbeat_at=now,
    )
    if not claimed:
        return None
    return ContactImport.objects.select_related("organization", "contact_list").get(pk=import_id)


def run_contact_import(*, import_id: int) -> ContactImport | None:
    """Claim the job and import the file batch by batch (resuming after the rows a lost
    worker had written); None when the job was not ours to run."""
    imp = claim_contact_import(import_id=import_id)
    if imp is None:
        return None
    try:
        _run(imp)
    except LeaseLost:
        logger.warning("contact import %s: lease lost, another worker owns it", import_id)
        return None
    imp.refresh_from_db()
    return imp


def _fail(imp: ContactImport, problems: csvinput.Problems) -> None:
    ContactImport.objects.filter(pk=imp.pk, status=Status.RUNNING, attempt=imp.attempt).update(
        status=Status.FAILED,
        errors=[{"line": where, "reason": reason} for where, reason in problems.listed],
        rejected_count=problems.total,
        finished_at=timezone.now(),
    )


def _run(imp: ContactImport) -> None:
    with imp.file.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    problems = csvinput.Problems()
    text = csvinput.decode(data, problems)
    if text is None:
        return _fail(imp, problems)
    records = _records(text)
    first = next(records, None)
    if first is None:
        problems.add("line 1", "the file is empty: no header row")
        return _fail(imp, problems)
    header = read_header(first[1], problems)
    if problems:
        return _fail(imp, problems)
    rows = [(line, cells) for line, cells in records if any(c.strip() for c in cells)]
    if not rows:
        problems.add("line 2", "no data rows below the header")
        return _fail(imp, problems)
    _fenced(imp, total_rows=len(rows))
    locations = {
        code.lower(): pk
        for code, pk in Location.objects.for_org(imp.organization).values_list("code", "pk")
    }
    # Lines already written by an earlier attempt still count for duplicates within the file.
    seen: dict[str, int] = {}
    for line, cells in rows[: imp.processed_rows]:
        parsed = parse_row(header, line, cells)
        if isinstance(parsed, Parsed):
            seen.setdefault(parsed.email, line)
    errors = list(imp.errors)
    for start in range(imp.processed_rows, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        outcome = Outcome()
        parsed_rows: list[Parsed] = []
        for line, cells in batch:
            parsed = parse_row(header, line, cells)
            if isinstance(parsed, str):
                outcome.rejected.append((line, parsed))
                continue
            first_line = seen.setdefault(parsed.email, line)
            if first_line != line:
                outcome.rejected.append((line, f"the same address as line {first_line}"))
                continue
            code = parsed.values.get("location", "")
            if code and code.lower() not in locations:
                outcome.rejected.append((line, f"unknown location code {code[:40]!r}"))
                continue
            parsed_rows.append(parsed)
        with transaction.atomic():
            _write_batch(imp, parsed_rows, locations, outcome)
            for line, reason in outcome.rejected:
                if len(errors) < csvinput.MAX_LISTED:
                    errors.append({"line": line, "reason": reason})
            _fenced(
                imp,
                processed_rows=start + len(batch),
                created_count=F("created_count") + outcome.created,
                updated_count=F("updated_count") + outcome.updated,
                unchanged_count=F("unchanged_count") + outcome.unchanged,
                rejected_count=F("rejected_count") + len(outcome.rejected),
                errors=errors,
            )
    done = ContactImport.objects.filter(
        pk=imp.pk, status=Status.RUNNING, attempt=imp.attempt
    ).update(status=Status.SUCCEEDED, finished_at=timezone.now(), heartbeat_at=timezone.now())
    if not done:
        raise LeaseLost


def _fenced(imp: ContactImport, **fields) -> None:
    alive = ContactImport.objects.filter(
        pk=imp.pk, status=Status.RUNNING, attempt=imp.attempt
    ).update(heartbeat_at=timezone.now(), **fields)
    if not alive:
        raise LeaseLost


def _write_batch(
    imp: ContactImport, rows: list[Parsed], locations: dict[str, int], outcome: Outcome
) -> None:
    now = timezone.now()
    org = imp.organization
    existing = {
        c.email: c for c in Contact.objects.for_org(org).filter(email__in=[r.email for r in rows])
    }
    new: list[Contact] = []
    changed: list[Contact] = []
    members: list[int] = []
    for row in rows:
        location_id = locations.get(row.values.get("location", "").lower())
        contact = existing.get(row.email)
        if contact is None:
            new.append(
                Contact(
                    organization=org,
                    email=row.email,
                    first_name=row.values.get("first_name", ""),
                    last_name=row.values.get("last_name", ""),
                    location_id=location_id,
                    language=row.values.get("language", ""),
                    attributes=row.attributes,
                    created_at=now,
                    updated_at=now,
                )
            )
            continue
        if contact.unsubscribed_at is not None:
            when = timezone.localtime(contact.unsubscribed_at).strftime("%d %b %Y")
            outcome.rejected.append(
                (row.line, f"unsubscribed on {when}: an import never subscribes an address again")
            )
            continue
        if contact.suppressed_at is not None:
            outcome.rejected.append(
                (row.line, f"suppressed ({contact.suppressed_reason}): kept off every campaign")
            )
            continue
        before = (
            contact.first_name,
            contact.last_name,
            contact.location_id,
            contact.language,
            contact.attributes,
        )
        # An empty cell never erases what is known.
        contact.first_name = row.values.get("first_name") or contact.first_name
        contact.last_name = row.values.get("last_name") or contact.last_name
        contact.location_id = location_id or contact.location_id
        contact.language = row.values.get("language") or contact.language
        contact.attributes = {**contact.attributes, **row.attributes}
        after = (
            contact.first_name,
            contact.last_name,
            contact.location_id,
            contact.language,
            contact.attributes,
        )
        if after != before:
            contact.updated_at = now
            changed.append(contact)
            outcome.updated += 1
        else:
            outcome.unchanged += 1
        members.append(contact.pk)
    if new:
        Contact.objects.bulk_create(new)
        outcome.created += len(new)
        if new[0].pk is None:  # a backend that returns no ids
            found = dict(
                Contact.objects.for_org(org)
                .filter(email__in=[c.email for c in new])
                .values_list("email", "pk")
            )
            members.extend(found[c.email] for c in new)
        else:
            members.extend(c.pk for c in new)
    if changed:
        Contact.objects.bulk_update(
            changed, ["first_name", "last_name", "location", "language", "attributes", "updated_at"]
        )
    if imp.contact_list_id and members:
        through = ContactList.contacts.through
        through.objects.bulk_create(
            [through(contactlist_id=imp.contact_list_id, contact_id=pk) for pk in members],
            ignore_conflicts=True,
        )


def requeue_stalled_contact_imports() -> list[int]:
    """Periodic: hand a job whose worker stopped (stale heartbeat) back to the queue (or fail it
    after MAX_ATTEMPTS), and re-send pending jobs whose task message was lost."""
    cutoff = timezone.now() - STALE_AFTER
    requeued: list[int] = []
    for imp in ContactImport.objects.filter(
        status__in=[Status.RUNNING, Status.PENDING], heartbeat_at__lt=cutoff
    ):
        if imp.status == Status.RUNNING and imp.attempt >= MAX_ATTEMPTS:
            ContactImport.objects.filter(pk=imp.pk, status=Status.RUNNING).update(
                status=Status.FAILED,
                finished_at=timezone.now(),
                errors=[
                    *imp.errors[: csvinput.MAX_LISTED - 1],
                    {"line": "", "reason": "the import stopped several times; upload it again"},
                ],
            )
            continue
        moved = ContactImport.objects.filter(
            pk=imp.pk, status=imp.status, heartbeat_at__lt=cutoff
        ).update(status=Status.PENDING, heartbeat_at=timezone.now())
        if moved and send_now("surveys.run_contact_import", imp.pk):
            requeued.append(imp.pk)
    return requeued
