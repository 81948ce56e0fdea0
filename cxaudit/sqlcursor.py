"""Cursors for hand-written SQL on Django's connection.

`server_cursor` binds parameters on the server (PostgreSQL, psycopg 3): big arrays travel as
they are instead of being quoted into the SQL text by Python, and a query run again and again
(the customer's survey page's state, the array inserts) is prepared by the connection once it
has run `prepare_threshold` times (settings: DATABASE_PREPARED_STATEMENTS), so the server stops
planning it on every run. Django's own queries keep its client-side binding.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.utils import timezone


@contextmanager
def server_cursor(db=None) -> Iterator[Any]:
    """A cursor of Django's connection (same transaction, health-checked, logged and
    error-wrapped like any other) whose parameters the server binds. PostgreSQL only."""
    import psycopg

    db = db or connections[DEFAULT_DB_ALIAS]
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = psycopg.Cursor(db.connection)
    try:
        yield db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)
    finally:
        raw.close()


def fetchone(sql: str, params: list[Any]) -> tuple | None:
    """The first row of a read-only query: on PostgreSQL through `server_cursor` (prepared after
    a few runs), elsewhere through Django's cursor.

    With CONN_HEALTH_CHECKS, Django checks a connection kept from an earlier request with a
    round trip of its own (SELECT 1) before the request's first query. When this query is that
    first query, it is the check instead: should the connection have died since the last
    request, it is closed and the query runs again on a new one, as the check would have done.
    That saves the page that runs this query one of its two round trips."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each attribute of the proxy costs a lookup
    if db.vendor != "postgresql":
        with db.cursor() as plain:
            plain.execute(sql, params)
            return plain.fetchone()
    checking = (
        db.connection is not None
        and db.health_check_enabled
        and not db.health_check_done
        and not db.in_atomic_block
    )
    if checking:
        db.health_check_done = True
    try:
        return _fetchone(db, sql, params)
    except (OperationalError, InterfaceError):
        if not checking:
            raise
        db.close()  # the kept connection had died: a new one, as the check would have made
        return _fetchone(db, sql, params)


def _fetchone(db, sql: str, params: list[Any]) -> tuple | None:
    with server_cursor(db) as prepared:
        prepared.execute(sql, params)
        return prepared.fetchone()


def aware(value: datetime | str) -> datetime:
    """A timestamp column as the ORM reads it (aware), from any database's raw cursor: SQLite
    gives naive UTC (or text), PostgreSQL an aware value."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
