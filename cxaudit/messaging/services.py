"""The outbox's workflows: queue a message with the business change that causes it; claim and
send due messages; sweep up what lost senders left behind; retry a failed message."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cxaudit.enqueue import enqueue_on_commit, send_now
from cxaudit.errors import DomainError

from . import registry
from .conf import OutboxSettings
from .delivery import Report, deliver
from .models import Message, OutboxQuerySet, State

log = logging.getLogger(__name__)


def _msgid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def new_message_id() -> str:
    """An RFC 5322 Message-ID, made when the message is queued and kept for every attempt."""
    return f"<{uuid.uuid4().hex}@{_msgid_domain()}>"


def _jsonable(context: dict[str, Any] | None) -> dict[str, Any]:
    import json

    # Round-trip now, so a value JSON cannot hold fails in the caller, not in the sender.
    return json.loads(json.dumps(context or {}, cls=DjangoJSONEncoder))


@dataclass(frozen=True)
class NewMessage:
    """One message to queue with queue_messages."""

    purpose: str
    key: str
    to_email: str
    context: dict[str, Any] = field(default_factory=dict)
    to_name: str = ""
    organization_id: int | None = None
    from_email: str = ""
    due_at: datetime | None = None


def _row(new: NewMessage, now: datetime) -> Message:
    purpose = registry.get(new.purpose)
    try:
        if len(new.to_email) > 254:  # RFC 5321's limit (and the column's)
            raise ValidationError("too long")
        validate_email(new.to_email)
    except ValidationError as exc:
        raise DomainError(
            f"Not a valid email address: {new.to_email[:254]!r}.", field="to_email"
        ) from exc
    return Message(
        organization_id=new.organization_id,
        purpose=purpose.name,
        key=new.key[:200],
        to_email=new.to_email,
        to_name=new.to_name[:200],
        from_email=new.from_email,
        template=purpose.template,
        context=_jsonable(new.context),
        message_id=new_message_id(),
        due_at=new.due_at or now,
        created_at=now,
    )


def queue_message(
    *,
    purpose: str,
    key: str,
    to_email: str,
    context: dict[str, Any] | None = None,
    to_name: str = "",
    organization: Any = None,  # an accounts.Organization (the outbox imports no app above it)
    from_email: str = "",
    due_at: datetime | None = None,
) -> Message:
    """Write one message in the caller's transaction and, after commit, queue its send task.
    Idempotent on (purpose, key): the same business event returns the message it already
    made, and queues nothing more."""
    existing = Message.objects.filter(purpose=purpose, key=key).first()
    if existing is not None:
        return existing
    row = _row(
        NewMessage(
            purpose=purpose,
            key=key,
            to_email=to_email,
            context=context or {},
            to_name=to_name,
            organization_id=organization.pk if organization else None,
            from_email=from_email,
            due_at=due_at,
        ),
        timezone.now(),
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        existing = Message.objects.filter(purpose=purpose, key=key).first()
        if existing is None:
            raise
        return existing
    if row.due_at <= timezone.now():
        enqueue_on_commit("messaging.send_message", row.pk)
    return row


def queue_messages(messages: Iterable[NewMessage], *, batch_size: int = 1000) -> int:
    """Write many messages in the caller's transaction (bulk; a (purpose, key) already queued is
    skipped) and, after commit, wake a sender per batch (up to CXAUDIT_OUTBOX_DISPATCHERS): no
    task per message waits in the broker, the senders claim them in batches. Returns how many
    were written."""
    return _queue(messages, batch_size=batch_size, want_ids=False)[0]


def queue_messages_by_key(
    messages: Iterable[NewMessage], *, batch_size: int = 1000
) -> dict[tuple[str, str], int]:
    """queue_messages, returning the id of every message asked for by (purpose, key), whether
    written now or queued before (a caller that points its rows at their messages needs no
    lookup by key afterwards)."""
    return _queue(messages, batch_size=batch_size, want_ids=True)[1]


def _queue(
    messages: Iterable[NewMessage], *, batch_size: int, want_ids: bool
) -> tuple[int, dict[tuple[str, str], int]]:
    now = timezone.now()
    wanted: dict[tuple[str, str], NewMessage] = {}
    for m in messages:
        wanted.setdefault((m.purpose, m.key[:200]), m)
    if not wanted:
        return 0, {}
    rows = [_row(m, now) for m in wanted.values()]
    # A large batch of new events (a campaign's invitations) goes straight through COPY; the
    # unique (purpose, key) refuses it whole if any was queued before, and the batch then
    # goes the ordinary way, skipping those. No lookup by key first: on a table whose
    # statistics lag behind a bulk write (autovacuum off, or not yet run) a 1,000-key lookup
    # can take a plan that reads every row of the purpose.
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        try:
            with transaction.atomic():
                _copy(rows)
        except IntegrityError:
            for row in rows:
                row.pk = None
        else:
            _wake(rows, now)
            return len(rows), {(r.purpose, r.key): r.pk for r in rows}
    taken = _ids_by_key(wanted, batch_size)
    rows = [r for r in rows if (r.purpose, r.key) not in taken]
    # ignore_conflicts: a concurrent writer of the same event wins, this one skips it.
    Message.objects.bulk_create(rows, batch_size=batch_size, ignore_conflicts=True)
    _wake(rows, now)
    # ignore_conflicts leaves the new rows' ids unknown: look them up.
    return len(rows), _ids_by_key(wanted, batch_size) if want_ids else {}


def _ids_by_key(wanted, batch_size: int) -> dict[tuple[str, str], int]:
    """The ids of the messages already queued among `wanted`'s (purpose, key) pairs."""
    ids: dict[tuple[str, str], int] = {}
    for purpose in {p for p, _ in wanted}:
        keys = [k for p, k in wanted if p == purpose]
        for start in range(0, len(keys), batch_size):
            ids.update(
                ((p, k), pk)
                for p, k, pk in Message.objects.filter(
                    purpose=purpose, key__in=keys[start : start + batch_size]
                ).values_list("purpose", "key", "pk")
            )
    return ids


def _wake(rows: list[Message], now: datetime) -> None:
    """After commit, wake a sender for each batch due now, up to CXAUDIT_OUTBOX_DISPATCHERS:
    a worker with several processes sends a large queue with all of them (each sender chains
    its next batch; the sweeper keeps the same number busy)."""
    due = sum(1 for r in rows if r.due_at <= now)
    if not due:
        return
    cfg = OutboxSettings.load()
    for _ in range(min(cfg.dispatchers, -(-due // cfg.batch_size))):
        enqueue_on_commit("messaging.dispatch")


COPY_FROM = 200  # rows from which PostgreSQL's COPY is worth it


def _copy(rows: list[Message]) -> None:
    """Insert new message rows with COPY (a campaign's 100,000 invitations: several times
    faster than bulk_create's per-field preparation). Their ids are taken from the sequence
    first and set on the rows."""
    import json

    table_name = Message._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table_name, len(rows)],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk
    fields = list(Message._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(table_name)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(value) if f.name == "context" else value
                        for f in fields
                        for value in (getattr(row, f.attname),)
                    ]
                )


def deliver_due(*, limit: int | None = None, only: list[int] | None = None) -> Report:
    """Claim up to one batch of due messages (or just `only`) and send them."""
    cfg = OutboxSettings.load()
    token, ids = Message.objects.claim_due(
        limit=limit or cfg.batch_size, lease=cfg.lease, only=only
    )
    if not ids:
        return Report()
    return deliver(token, ids, cfg)


@dataclass(frozen=True)
class SweepReport:
    requeued: int
    failed: int
    due: int
    woken: int

    def as_dict(self) -> dict[str, int]:
        return {
            "requeued": self.requeued,
            "failed": self.failed,
            "due": self.due,
            "woken": self.woken,
        }


def sweep_outbox(
    queryset: OutboxQuerySet, cfg: OutboxSettings, *, wake_task: str, wake: bool = True
) -> SweepReport:
    """The sweeper of any outbox table (emails here, webhook deliveries in cxaudit.webhooks):
    hand back rows whose sender was lost (expired lease), then wake enough senders
    (`wake_task`, by name) for what is due — covering a lost task message, a flushed broker and
    a web process that died between commit and enqueue."""
    now = timezone.now()
    requeued, failed = queryset.release_expired(max_attempts=cfg.max_attempts, now=now)
    due = queryset.due(now).count()
    woken = 0
    if due and wake:
        busy = (
            queryset.filter(state=State.SENDING, lease_expires_at__gte=now)
            .values("lease_token")
            .distinct()
            .count()
        )
        wanted = min(cfg.dispatchers, -(-due // cfg.batch_size)) - busy
        for _ in range(max(0, wanted)):
            if not send_now(wake_task):
                break  # broker down: the next sweep tries again
            woken += 1
    return SweepReport(requeued=requeued, failed=failed, due=due, woken=woken)


def sweep(*, wake: bool = True) -> SweepReport:
    """Periodic: the outbox's sweep (sweep_outbox) over email messages."""
    return sweep_outbox(
        Message.objects.all(), OutboxSettings.load(), wake_task="messaging.dispatch", wake=wake
    )


@transaction.atomic
def retry_message(*, message: Message) -> bool:
    """Staff's "retry now": a failed or waiting message is due at once and a sender is woken.
    Returns False when there was nothing to retry (already sent, or sending)."""
    if not message.requeue_now():
        return False
    enqueue_on_commit("messaging.send_message", message.pk)
    return True
