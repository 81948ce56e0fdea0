"""Sending a Celery task from a service: by the task's registered name, after commit.

Tasks import services, so services never import tasks; they name the task instead
(tests/test_enqueue.py checks that every name passed here is a registered task). The database
is the source of truth: when the broker cannot take a message, the error is logged rather than
raised into a request whose change is already committed, and the work is found again from the
rows (the response import's sweeper re-queues pending jobs; a re-score that was never queued is
run again with `manage.py rescore`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

from .celery import app

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Once the current transaction commits (at once outside one), send the task registered as
    `task_name` with these JSON-serialisable arguments; a broker error is logged, not raised."""
    transaction.on_commit(lambda: _send(task_name, args, kwargs))


def registered_task(task_name: str) -> Task:
    """The task registered as `task_name`, importing every app's tasks module first if needed
    (a web process has not necessarily imported them); KeyError when there is none."""
    if task_name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[task_name]


def _send(task_name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    send_now(task_name, *args, **kwargs)


def send_now(task_name: str, *args: Any, **kwargs: Any) -> bool:
    """Send the task now (outside any transaction: sweepers, tasks chaining the next batch);
    returns False, after logging, when the broker cannot take it."""
    if app.conf.task_always_eager:
        # `make run` without Redis: run the task in-process, as .delay() does in eager mode
        # (send_task would ignore the setting and try the broker).
        registered_task(task_name).apply(args=args, kwargs=kwargs)
        return True
    try:
        app.send_task(task_name, args=args, kwargs=kwargs)
    except (OperationalError, OSError):
        logger.exception("could not queue task %s%r", task_name, args)
        return False
    return True
