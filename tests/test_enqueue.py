"""cxaudit.enqueue: services queue tasks by name, after commit, without failing on the broker."""

from __future__ import annotations

import ast
import logging

import pytest
from kombu.exceptions import OperationalError

from cxaudit.accounts.models import WorkerHeartbeat
from cxaudit.celery import app
from cxaudit.enqueue import enqueue_on_commit, registered_task
from tests.conftest import ROOT, SentTask

SOURCE_DIRS = ("cxaudit", "surveys", "shoppers")


def _enqueued_names() -> dict[str, list[str]]:
    """Every task name passed to enqueue_on_commit in the code base, with where; a call whose
    name is not a string literal is reported as such (it could not be checked)."""
    found: dict[str, list[str]] = {}
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name != "enqueue_on_commit":
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.setdefault(first.value, []).append(where)
                else:
                    found.setdefault("<not a string literal>", []).append(where)
    return found


def test_every_name_given_to_enqueue_on_commit_is_a_registered_task():
    found = _enqueued_names()
    # The grep itself works: the services that queue tasks are found.
    assert {"surveys.rescore_survey", "surveys.run_response_import"} <= set(found)
    app.loader.import_default_modules()  # what a worker imports: every app's tasks module
    unknown = {name: where for name, where in found.items() if name not in app.tasks}
    assert not unknown, f"no Celery task is registered under these names: {unknown}"


def test_registered_task_finds_tasks_by_name():
    assert registered_task("surveys.rescore_survey").name == "surveys.rescore_survey"
    with pytest.raises(KeyError):
        registered_task("surveys.no_such_task")


@pytest.mark.django_db
def test_the_task_is_sent_by_name_only_after_commit(django_capture_on_commit_callbacks, sent_tasks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enqueue_on_commit("surveys.rescore_survey", 7, None)
    assert sent_tasks == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent_tasks == [SentTask("surveys.rescore_survey", [7, None], {})]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error", [OperationalError("broker down"), ConnectionRefusedError(111, "refused")]
)
def test_a_broker_error_at_enqueue_time_is_logged_not_raised(
    error, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def send_task(*args, **kwargs):
        raise error

    monkeypatch.setattr(app, "send_task", send_task)
    with (
        caplog.at_level(logging.ERROR, logger="cxaudit.enqueue"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        enqueue_on_commit("surveys.run_response_import", 42)
    assert len(callbacks) == 1
    [record] = caplog.records
    assert "surveys.run_response_import" in record.getMessage() and record.exc_info


@pytest.mark.django_db
def test_in_eager_mode_the_task_runs_in_process(django_capture_on_commit_callbacks, sent_tasks):
    """`make run` without Redis sets CELERY_TASK_ALWAYS_EAGER: the task runs at commit, as
    .delay() would run it, instead of going to a broker that is not there."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # for this test only (Settings refuses monkeypatch)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit("accounts.health_check", "eager")
    finally:
        app.conf.task_always_eager = eager
    assert WorkerHeartbeat.objects.get(name="eager").beats == 1 and sent_tasks == []
