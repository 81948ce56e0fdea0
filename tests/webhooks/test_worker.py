"""Webhook deliveries through a real Celery worker on the real broker, to the local HTTPS
server: an emitted event arrives signed; a worker killed (SIGKILL) while an endpoint holds its
request leaves the delivery to the sweeper, which hands it to another worker once the lease
expires — delivered at least once, with the same event id, and recorded sent."""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings
from django.db import transaction

from cxaudit.celery import app
from cxaudit.messaging.models import State
from cxaudit.webhooks import services
from cxaudit.webhooks.models import Delivery
from cxaudit.webhooks.tasks import sweep
from tests.conftest import start_worker, wait_for
from tests.webhooks.conftest import LOOPBACK
from tests.webhooks.helpers import endpoint
from tests.webhooks.test_signing import snippet_verify

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(redis_url):
    name = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-webhooks-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_write() as conn:
        conn.default_channel.queue_delete(name)


def env(ca_bundle, **extra) -> dict:
    return {
        "CXAUDIT_WEBHOOK_ALLOW_CIDRS": LOOPBACK,
        "CXAUDIT_WEBHOOK_CA_BUNDLE": ca_bundle,
        **{k: str(v) for k, v in extra.items()},
    }


def test_a_real_worker_delivers_an_emitted_event(org, hook_server, ca_bundle, queue, tmp_path):
    worker = start_worker(queue, tmp_path / "worker.log", env(ca_bundle))
    try:
        ep = endpoint(org, hook_server.url())
        with transaction.atomic():
            services.emit(org, "wave.closed", {"wave": {"id": 3}})
        wait_for(lambda: hook_server.received, timeout=30)
        d = Delivery.objects.get()
        wait_for(lambda: Delivery.objects.get().state == State.SENT, timeout=30)
        [got] = hook_server.received
        assert snippet_verify()(ep.secret, got.body, got.headers["Cxaudit-Signature"])
        assert got.headers["Cxaudit-Delivery"] == str(d.delivery_id)
        assert Delivery.objects.get().tries.get().status_code == 200
    finally:
        worker.stop()


def test_a_killed_worker_leaves_the_delivery_to_the_sweeper(
    org, hook_server, ca_bundle, queue, tmp_path
):
    fast = env(
        ca_bundle,
        CXAUDIT_WEBHOOK_LEASE_SECONDS=2,
        CXAUDIT_WEBHOOK_READ_TIMEOUT=60,
        CXAUDIT_WEBHOOK_RETRY_SECONDS=0.5,
    )
    hook_server.delay = 30  # the endpoint holds the first request
    first = start_worker(queue, tmp_path / "first.log", fast)
    try:
        endpoint(org, hook_server.url())
        with transaction.atomic():
            services.emit(org, "wave.closed", {"wave": {"id": 4}})
        wait_for(lambda: hook_server.received, timeout=30)
        assert Delivery.objects.get().state == State.SENDING
        first.stop(kill=True)
    finally:
        first.stop(kill=True)
    hook_server.delay = 0
    second = start_worker(queue, tmp_path / "second.log", fast)
    try:
        deadline = time.monotonic() + 60
        while Delivery.objects.get().state != State.SENT and time.monotonic() < deadline:
            sweep.delay()  # as beat would
            time.sleep(1.0)
        d = Delivery.objects.get()
        assert d.state == State.SENT and d.attempts == 2
        ids = {r.headers["Cxaudit-Event-Id"] for r in hook_server.received}
        assert len(hook_server.received) == 2 and ids == {str(d.event_id)}
        # The killed worker never recorded its attempt; the second one is on the row.
        assert [(t.number, t.status_code) for t in d.tries.all()] == [(2, 200)]
    finally:
        second.stop()
