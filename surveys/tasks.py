"""Celery tasks of the surveys app: each takes ids, loads the row and calls one service."""

from __future__ import annotations

from celery import shared_task

from . import imports

# --- responses CSV import (surveys.imports) ---------------------------------------------------


@shared_task(name="surveys.run_response_import", acks_late=True)
def run_response_import(import_id: int) -> str:
    """Run one response import (idempotent: a finished or claimed job is left alone)."""
    result = imports.run_import(import_id=import_id)
    return result.status if result is not None else "skipped"


@shared_task(name="surveys.requeue_stalled_imports", acks_late=True)
def requeue_stalled_imports() -> list[int]:
    """Periodic: queue again imports whose worker died or whose message was lost."""
    return imports.requeue_stalled_imports()


# --- end of responses CSV import --------------------------------------------------------------
