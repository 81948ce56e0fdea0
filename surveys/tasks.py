"""Celery tasks of the surveys app. Autodiscovery imports an app's `tasks` module; the tasks are
defined in the sub-packages (each takes ids, loads the row and calls one service) and services
queue them by name (cxaudit.enqueue), never by importing this module."""

from .imports.tasks import requeue_stalled_imports, run_response_import
from .outreach.tasks import (
    outreach_tick,
    requeue_stalled_contact_imports,
    run_contact_import,
    write_invitations,
)
from .responses.tasks import rescore_survey

__all__ = [
    "outreach_tick",
    "requeue_stalled_contact_imports",
    "requeue_stalled_imports",
    "rescore_survey",
    "run_contact_import",
    "run_response_import",
    "write_invitations",
]
