"""Sending claimed messages: render, hand over, record; one connection per batch.

Recording "sent" is the step a killed sender can lose. On PostgreSQL the sender records it on a
connection of its own the moment the message's last byte is written, before it reads the
server's reply (transport.py), and reads the outcome of both afterwards: a non-250 reply then
turns the row back into "retry" or "failed". What remains is the gap between the two socket
writes; a sender killed exactly there leaves a delivered message in "sending", and the sweeper
sends it again with the same Message-ID. On SQLite (the embedded development default) the row
is recorded after the reply.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from django.db import connection
from django.utils import timezone

from . import registry
from .conf import OutboxSettings
from .models import Message, State
from .ratelimit import RateLimiter
from .registry import Skip
from .rendering import render
from .transport import TransportError, open_transport

log = logging.getLogger(__name__)


@dataclass
class Report:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0  # claims taken over by the sweeper before this sender finished
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retry + self.failed + self.cancelled + self.lost

    def as_dict(self) -> dict:
        return {
            "sent": self.sent,
            "retry": self.retry,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "lost": self.lost,
        }


class OrmMarker:
    """Records "sent" with an ordinary fenced update, after the server's reply."""

    def __init__(self):
        self.pending: tuple[Message, uuid.UUID, str] | None = None

    def begin(self, message: Message, token: uuid.UUID, subject: str) -> None:
        self.pending = (message, token, subject)

    def settle(self) -> bool | None:
        """Write what begin() started; True if the claim still held, None if nothing began."""
        if self.pending is None:
            return None
        message, token, subject = self.pending
        self.pending = None
        return message.mark_sent(token, subject=subject)

    def close(self) -> None:
        pass


class PipelinedMarker(OrmMarker):
    """Sends the fenced "sent" update on a libpq connection of its own, in autocommit, without
    waiting for its result: begin() costs one socket write; settle() reads the outcome.

    The connection commits asynchronously (synchronous_commit off): a "sent" record is visible
    to every other connection at once and survives a killed worker, but the server does not
    wait for its WAL to reach the disk, a wait that cost more than the rest of a message's
    database work. Only a crash of the database server itself in the following fraction of a
    second could lose it; the row then says "sending", its lease expires and the message goes
    again with the same Message-ID, as after a sender killed between the two socket writes."""

    def __init__(self):
        super().__init__()
        db = connection.settings_dict
        params = {
            "dbname": db["NAME"],
            "user": db.get("USER"),
            "password": db.get("PASSWORD"),
            "host": db.get("HOST"),
            "port": db.get("PORT"),
        }
        # Only libpq's own options (sslmode, …): psycopg's (prepare_threshold) are not its.
        libpq = {option.keyword.decode() for option in psycopg.pq.Conninfo.get_defaults()}
        params.update(
            {
                k: v
                for k, v in (db.get("OPTIONS") or {}).items()
                if k in libpq and isinstance(v, str | int)
            }
        )
        conninfo = psycopg.conninfo.make_conninfo(
            **{k: str(v) for k, v in params.items() if v not in (None, "")}
        )
        self.pg = psycopg.pq.PGconn.connect(conninfo.encode())
        if self.pg.status != psycopg.pq.ConnStatus.OK:
            error = self.pg.error_message.decode("utf-8", "replace")
            self.pg.finish()
            raise psycopg.OperationalError(error)
        setting = self.pg.exec_(b"SET synchronous_commit TO off")
        if setting.status != psycopg.pq.ExecStatus.COMMAND_OK:
            error = self.pg.error_message.decode("utf-8", "replace")
            self.pg.finish()
            raise psycopg.OperationalError(error)
        table = connection.ops.quote_name(Message._meta.db_table)
        # The table name comes from the model, the values are parameters.
        self.sql = (
            f"UPDATE {table} SET state = 'sent', sent_at = $1, subject = $2, last_error = '' "  # noqa: S608
            "WHERE id = $3 AND lease_token = $4 AND state = 'sending'"
        ).encode()

    def begin(self, message: Message, token: uuid.UUID, subject: str) -> None:
        at = timezone.now()
        self.pending = (message, token, subject)
        self._at = at
        self.pg.send_query_params(
            self.sql,
            [
                at.isoformat().encode(),
                subject.encode(),
                str(message.pk).encode(),
                str(token).encode(),
            ],
        )

    def settle(self) -> bool | None:
        if self.pending is None:
            return None
        message, _token, subject = self.pending
        self.pending = None
        result = self.pg.get_result()
        while self.pg.get_result() is not None:
            pass
        if result is None or result.status != psycopg.pq.ExecStatus.COMMAND_OK:
            error = self.pg.error_message.decode("utf-8", "replace")
            raise psycopg.OperationalError(f"recording a sent message failed: {error}")
        done = int(result.command_tuples or 0) == 1
        if done:
            message.state, message.sent_at, message.subject = State.SENT, self._at, subject
        return done

    def close(self) -> None:
        self.pg.finish()


@contextmanager
def open_marker():
    # Inside a transaction (a caller's atomic block, a test) the claimed rows may not be
    # committed yet, and a second connection would not see them: record on this connection.
    pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block
    marker = PipelinedMarker() if pipelined else OrmMarker()
    try:
        yield marker
    finally:
        marker.close()


def deliver(token: uuid.UUID, ids: list[int], cfg: OutboxSettings | None = None) -> Report:
    """Send the messages claimed under `token` (in the order of `ids`) over one connection;
    every row ends sent, waiting to retry, failed or cancelled, unless its claim was lost."""
    cfg = cfg or OutboxSettings.load()
    report = Report()
    by_pk = {m.pk: m for m in Message.objects.claimed_by(token).filter(pk__in=ids)}
    queue = [by_pk[pk] for pk in ids if pk in by_pk]
    report.lost += len(ids) - len(queue)
    if not queue:
        return report
    limiter = RateLimiter(cfg.rate)
    renew_at = timezone.now() + cfg.lease / 2
    built: dict[int, registry.Extra | Exception] = {}
    with open_transport() as transport, open_marker() as marker:
        while queue:
            message = queue.pop(0)
            if message.pk not in built:
                built = _build_ahead(message, queue)
            # Renewed after building, right before the message goes: a sender slowed down
            # while it built never sends a message whose lease the sweeper already took back.
            if timezone.now() >= renew_at:
                held = set(Message.objects.claimed_by(token).values_list("pk", flat=True))
                Message.objects.renew(token, cfg.lease)
                renew_at = timezone.now() + cfg.lease / 2
                report.lost += sum(1 for m in (message, *queue) if m.pk not in held)
                queue = [m for m in queue if m.pk in held]
                if message.pk not in held:
                    continue
            outcome = _send_one(
                message, token, transport, marker, limiter, cfg, report, built.pop(message.pk, None)
            )
            if outcome == "connection_lost":
                # Nothing more goes through this connection: the rest wait for the next try.
                error = message.last_error or "the mail server could not be reached"
                for rest in queue:
                    rest.mark_retry(
                        token,
                        error=f"not tried: {error}",
                        due_at=cfg.next_attempt(rest.attempts),
                        max_attempts=cfg.max_attempts,
                    )
                    report.retry += 1
                break
    return report


def _build_ahead(message: Message, queue: list[Message]) -> dict:
    """What the purpose's build_many makes for `message` and the next few of the same purpose
    (registry.BUILD_CHUNK); empty when the purpose builds one message at a time, or when
    build_many itself broke (each message is then built alone, and fails alone)."""
    purpose = registry.get(message.purpose)
    if purpose.build_many is None:
        return {}
    chunk = [message]
    for following in queue:
        if len(chunk) >= registry.BUILD_CHUNK or following.purpose != message.purpose:
            break
        chunk.append(following)
    try:
        return purpose.build_many(chunk)
    except Exception:
        log.exception("Messages %s could not be built together", [m.pk for m in chunk])
        return {}


def _send_one(message, token, transport, marker, limiter, cfg, report, built=None) -> str:
    try:
        rendered = render(message, built)
    except Skip as exc:
        message.mark_cancelled(token, reason=str(exc) or "no longer wanted")
        report.cancelled += 1
        return "cancelled"
    except Exception as exc:  # a template or purpose bug: fix, then "retry now"
        log.exception("Message %s could not be rendered", message.pk)
        message.mark_failed(token, error=f"could not be rendered: {type(exc).__name__}: {exc}")
        report.failed += 1
        return "failed"
    limiter.acquire()
    try:
        transport.send(
            rendered.email(message),
            on_data_end=lambda: marker.begin(message, token, rendered.subject),
        )
    except TransportError as exc:
        marker.settle()  # the row may say "sent" already: the fenced update below corrects it
        if exc.permanent:
            message.mark_failed(token, error=str(exc))
            report.failed += 1
            return "failed"
        message.mark_retry(
            token,
            error=str(exc),
            due_at=cfg.next_attempt(message.attempts),
            max_attempts=cfg.max_attempts,
        )
        if message.state == State.FAILED:
            report.failed += 1
        else:
            report.retry += 1
        report.errors.append(str(exc))
        return "connection_lost" if exc.connection_lost else "retry"
    if marker.settle():
        report.sent += 1
        return "sent"
    log.warning("Message %s was sent after its claim was taken over", message.pk)
    report.lost += 1
    return "lost"
