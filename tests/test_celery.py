import pytest

from cxaudit.accounts.models import WorkerHeartbeat
from cxaudit.accounts.tasks import health_check
from cxaudit.celery import app
from tests.conftest import wait_for


def test_celery_uses_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert not app.conf.task_always_eager


@pytest.mark.django_db
def test_health_task_records_a_heartbeat_when_called():
    assert health_check.apply(kwargs={"name": "direct"}).get() == 1
    assert WorkerHeartbeat.objects.get(name="direct").beats == 1


@pytest.mark.worker
def test_real_worker_runs_the_health_task(celery_worker):
    health_check.delay("worker")
    beat = wait_for(lambda: WorkerHeartbeat.objects.filter(name="worker").first())
    assert beat.beats == 1 and beat.last_beat_at is not None
