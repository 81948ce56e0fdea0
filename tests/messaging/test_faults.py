"""The outbox under faults, each with a real Celery worker on the real Redis broker, the real
PostgreSQL database and a real SMTP server: deliveries are counted at the server by Message-ID.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings

from cxaudit.celery import app
from cxaudit.messaging.apps import NOTICE
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import NewMessage, queue_message, queue_messages
from cxaudit.messaging.tasks import send_message, sweep
from tests.conftest import ROOT, start_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST = {
    # Short leases and retries, so that recovery happens within the test.
    "CXAUDIT_OUTBOX_LEASE_SECONDS": "2",
    "CXAUDIT_OUTBOX_RETRY_SECONDS": "0.5",
    "CXAUDIT_OUTBOX_RETRY_CAP_SECONDS": "1",
    "CXAUDIT_OUTBOX_BATCH": "50",
}


class Workers:
    """Workers consuming one queue of this test's own, delivering to the SMTP sink."""

    def __init__(self, tmp_path, smtp_sink):
        self.queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-outbox-{uuid.uuid4().hex[:8]}"
        self.tmp_path = tmp_path
        self.env = {"EMAIL_URL": smtp_sink.url, **FAST}
        self.running = []
        app.conf.task_default_queue = self.queue

    def start(self):
        n = len(self.running)
        worker = start_worker(self.queue, self.tmp_path / f"worker{n}.log", self.env)
        self.running.append(worker)
        return worker

    def sweep_until(self, predicate, timeout: float = 60.0):
        """Run the sweeper (as beat would) until `predicate()` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            sweep.delay()
            time.sleep(1.0)
        logs = "\n".join(w.log.read_text()[-3000:] for w in self.running)
        pytest.fail(f"not recovered within {timeout}s; states: {states()}\n{logs}")

    def close(self):
        for worker in self.running:
            worker.stop(kill=True)
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(self.queue)


@pytest.fixture
def workers(redis_url, tmp_path, smtp_sink):
    w = Workers(tmp_path, smtp_sink)
    try:
        yield w
    finally:
        w.close()


def states() -> dict[str, int]:
    from django.db.models import Count

    return dict(Message.objects.values_list("state").annotate(n=Count("pk")))


def all_sent(count: int):
    return lambda: Message.objects.filter(state=State.SENT).count() == count


def notices(count: int, prefix: str = "m") -> list[NewMessage]:
    return [
        NewMessage(
            purpose=NOTICE,
            key=f"{prefix}{i}",
            to_email=f"person{i}@example.test",
            context={"subject": f"Notice {i}", "text": "Hello"},
        )
        for i in range(count)
    ]


def assert_each_delivered_once(smtp_sink, count: int) -> None:
    delivered = smtp_sink.message_ids()
    queued = set(Message.objects.values_list("message_id", flat=True))
    duplicates = {mid: n for mid, n in delivered.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} message(s) delivered more than once"
    assert set(delivered) == queued and len(queued) == count
    assert Message.objects.exclude(state=State.SENT).count() == 0


def test_the_send_task_delivered_three_times_sends_one_email(workers, smtp_sink):
    workers.start()
    message = queue_message(
        purpose=NOTICE,
        key="once",
        to_email="pat@example.test",
        context={"subject": "Hi", "text": "x"},
    )  # committed: its own send task is queued now
    for _ in range(3):
        send_message.delay(message.pk)
    wait_for(all_sent(1))
    time.sleep(1.5)  # let the duplicates run
    assert_each_delivered_once(smtp_sink, 1)


def test_a_worker_killed_mid_run_then_restarted_delivers_each_message_once(workers, smtp_sink):
    queue_messages(notices(1000))
    first = workers.start()
    wait_for(lambda: len(smtp_sink.messages) >= 300, timeout=60, interval=0.005)
    first.stop(kill=True)  # SIGKILL in the middle of a batch
    in_flight = len(smtp_sink.messages)
    assert in_flight < 1000, "the worker finished before it could be killed"
    workers.start()
    workers.sweep_until(all_sent(1000))
    assert_each_delivered_once(smtp_sink, 1000)


def test_a_flushed_broker_loses_no_message(workers, smtp_sink, redis_url):
    queue_messages(notices(200))  # its wake-up task waits in Redis: no worker yet
    queue_message(purpose=NOTICE, key="single", to_email="x@example.test", context={"subject": "s"})
    redis.Redis.from_url(redis_url).flushdb()
    workers.start()
    workers.sweep_until(all_sent(201))
    assert_each_delivered_once(smtp_sink, 201)


def test_a_mail_server_down_for_a_while_gets_everything_once_when_back(workers, smtp_sink):
    smtp_sink.stop()
    queue_messages(notices(60))
    workers.start()
    # Retries come due and the sweeper hands them to the worker again, which fails again.
    workers.sweep_until(
        lambda: Message.objects.filter(state=State.RETRY, attempts__gte=2).count() == 60, 30
    )
    smtp_sink.start()
    workers.sweep_until(all_sent(60))
    assert_each_delivered_once(smtp_sink, 60)
    assert Message.objects.filter(attempts__lt=3).count() == 0  # every attempt is recorded


def test_a_recipient_rejected_with_550_fails_and_is_not_retried(workers, smtp_sink):
    smtp_sink.reject["gone@example.test"] = "550 5.1.1 No such user here"
    workers.start()
    message = queue_message(
        purpose=NOTICE, key="gone", to_email="gone@example.test", context={"subject": "s"}
    )
    wait_for(lambda: Message.objects.filter(pk=message.pk, state=State.FAILED).exists())
    for _ in range(3):
        sweep.delay()
    time.sleep(2.5)
    message.refresh_from_db()
    assert message.state == State.FAILED and message.attempts == 1
    assert "550 5.1.1 No such user here" in message.last_error
    assert smtp_sink.messages == []


KILLED_WEB = """
import os, django
django.setup()
from django.db import transaction
from cxaudit.messaging.apps import NOTICE
from cxaudit.messaging.services import queue_message
with transaction.atomic():
    # Runs first after the commit: the process dies before the send task is queued.
    transaction.on_commit(lambda: os._exit(0))
    queue_message(purpose=NOTICE, key="web-died", to_email="pat@example.test",
                  context={"subject": "After the crash"})
raise SystemExit("not reached")
"""


def test_a_web_process_killed_between_commit_and_enqueue_still_sends(workers, smtp_sink):
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "cxaudit.settings",
        "CXAUDIT_TESTING": "true",
        "CELERY_QUEUE": workers.queue,
    }
    done = subprocess.run([sys.executable, "-c", KILLED_WEB], cwd=ROOT, env=env, timeout=60)
    assert done.returncode == 0
    message = Message.objects.get(key="web-died")
    assert message.state == State.QUEUED
    with app.connection_for_write() as conn:
        assert conn.default_channel.client.llen(workers.queue) == 0  # nothing was queued
    workers.start()
    workers.sweep_until(all_sent(1))
    assert_each_delivered_once(smtp_sink, 1)
