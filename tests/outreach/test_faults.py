"""Customer outreach under faults, each with a real Celery worker on the real Redis broker, the
real PostgreSQL database and a real SMTP server counting deliveries by Message-ID."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.core.cache import caches
from django.db import transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from cxaudit.messaging.models import Message, State
from cxaudit.messaging.tasks import send_message
from surveys.models import Campaign, Invitation, Response
from surveys.outreach import emails, launch, services
from surveys.outreach.tasks import outreach_tick
from tests.conftest import wait_for
from tests.messaging.test_faults import FAST, Workers
from tests.outreach.helpers import answer, campaign, contacts, token_in

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTREACH_FAST = {
    **FAST,
    "CXAUDIT_OUTREACH_BATCH": "50",
    "CXAUDIT_OUTREACH_LEASE_SECONDS": "5",
}


@pytest.fixture
def workers(redis_url, tmp_path, smtp_sink, settings):
    settings.CXAUDIT_OUTREACH_BATCH = 50
    w = Workers(tmp_path, smtp_sink)
    w.env.update(OUTREACH_FAST)
    try:
        yield w
    finally:
        w.close()


def launched(org, actor, n: int, **values) -> Campaign:
    contacts(org, n)
    c = campaign(org, actor=actor, **values)
    services.launch_campaign(campaign=c, actor=actor)  # committed: its writer task is queued
    return c


def invitations_sent(count: int):
    return lambda: (
        Message.objects.filter(purpose=emails.INVITATION, state=State.SENT).count() == count
    )


def tick_until(workers, predicate, timeout: float = 90.0):
    """Run the outreach tick and the outbox sweeper until `predicate()`, as beat and a second
    worker would: here, in this process, so that a slow machine never piles ticks up in front
    of the sends in the worker's queue (the sweeper still wakes the real worker to send)."""
    from cxaudit.messaging.tasks import sweep

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        outreach_tick.apply()
        sweep.apply()
        time.sleep(1.0)
    states = dict(Message.objects.values_list("state").annotate(n=Count("pk")))
    logs = "\n".join(w.log.read_text()[-3000:] for w in workers.running)
    pytest.fail(f"not done within {timeout}s; messages {states}\n{logs}")


def assert_every_invitation_delivered_once(smtp_sink, count: int) -> None:
    delivered = smtp_sink.message_ids()
    duplicates = {mid: n for mid, n in delivered.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} invitation(s) delivered more than once"
    expected = set(
        Message.objects.filter(purpose=emails.INVITATION).values_list("message_id", flat=True)
    )
    assert len(expected) == count == Invitation.objects.count()
    assert set(delivered) == expected
    # Every email names its own invitation: a fresh link each, one per contact.
    recipients = [m["to"][0] for m in smtp_sink.messages]
    assert len(set(recipients)) == count


def test_a_send_task_delivered_three_times_sends_one_invitation(
    org, program_admin, workers, smtp_sink
):
    workers.start()
    launched(org, program_admin, 1)
    wait_for(invitations_sent(1), timeout=30)
    message = Message.objects.get(purpose=emails.INVITATION)
    for _ in range(3):
        send_message.delay(message.pk)
    time.sleep(2.0)
    assert_every_invitation_delivered_once(smtp_sink, 1)


def test_a_worker_killed_while_sending_then_restarted_sends_each_invitation_once(
    org, program_admin, workers, smtp_sink
):
    launched(org, program_admin, 600)
    first = workers.start()
    wait_for(lambda: len(smtp_sink.messages) >= 150, timeout=90, interval=0.005)
    first.stop(kill=True)  # SIGKILL in the middle of a batch
    assert len(smtp_sink.messages) < 600, "the worker finished before it could be killed"
    workers.start()
    tick_until(workers, invitations_sent(600))
    assert_every_invitation_delivered_once(smtp_sink, 600)


def test_a_worker_killed_while_writing_invitations_resumes_without_duplicates(
    org, program_admin, workers, smtp_sink
):
    c = launched(org, program_admin, 1500)
    first = workers.start()
    wait_for(
        lambda: 0 < Campaign.objects.get(pk=c.pk).invited_count < 1500, timeout=60, interval=0.002
    )
    first.stop(kill=True)
    c.refresh_from_db()
    assert c.status == Campaign.Status.SENDING and c.invited_count < 1500
    workers.start()
    tick_until(workers, invitations_sent(1500), timeout=180)
    c.refresh_from_db()
    assert (c.status, c.invited_count) == (Campaign.Status.SENT, 1500)
    assert_every_invitation_delivered_once(smtp_sink, 1500)


def test_a_flushed_broker_mid_campaign_loses_and_duplicates_nothing(
    org, program_admin, workers, smtp_sink, redis_url
):
    launched(org, program_admin, 200)  # its writer task waits in Redis: no worker yet
    redis.Redis.from_url(redis_url).flushdb()
    workers.start()
    tick_until(workers, invitations_sent(200))
    assert_every_invitation_delivered_once(smtp_sink, 200)


def test_a_mail_server_refusing_then_recovering_gets_each_invitation_once(
    org, program_admin, workers, smtp_sink
):
    smtp_sink.stop()
    launched(org, program_admin, 60)
    workers.start()
    tick_until(
        workers,
        lambda: Message.objects.filter(state=State.RETRY, attempts__gte=2).count() == 60,
    )
    smtp_sink.start()
    tick_until(workers, invitations_sent(60))
    assert_every_invitation_delivered_once(smtp_sink, 60)


def test_a_reminder_due_for_someone_who_answered_a_minute_ago_is_not_sent(
    org, program_admin, workers, smtp_sink
):
    launched(org, program_admin, 2, reminder_days=[3])
    workers.start()
    wait_for(invitations_sent(2), timeout=30)
    answered, waiting = Invitation.objects.order_by("pk")
    # The reminder is queued while the invitation is still open (as the tick would) ...
    due = timezone.now() + timedelta(days=3, minutes=1)
    Invitation.objects.update(next_reminder_at=timezone.now())
    with transaction.atomic():
        queued = launch.queue_due_reminders(now=due)
        # ... and the customer answers a minute later, before any sender takes it.
        answer(answered)
    assert queued == 2
    wait_for(
        lambda: (
            Message.objects.filter(
                purpose=emails.REMINDER, state__in=[State.SENT, State.CANCELLED]
            ).count()
            == 2
        ),
        timeout=30,
    )
    reminders = dict(
        Message.objects.filter(purpose=emails.REMINDER).values_list("to_email", "state")
    )
    assert reminders == {
        answered.contact.email: State.CANCELLED,
        waiting.contact.email: State.SENT,
    }
    assert len(smtp_sink.messages) == 3


def test_an_unsubscribe_mid_campaign_stops_every_further_email(
    org, program_admin, workers, smtp_sink
):
    smtp_sink.stop()  # nothing can go yet
    launched(org, program_admin, 5, reminder_days=[1])
    workers.start()
    # Every first attempt has failed (the server is down) before the customer unsubscribes: a
    # message already in a sender's hand when the unsubscribe lands may still go.
    wait_for(
        lambda: (
            Message.objects.filter(
                purpose=emails.INVITATION, state=State.RETRY, attempts__gte=1
            ).count()
            == 5
        ),
        timeout=60,
    )
    first = Invitation.objects.select_related("contact").order_by("pk").first()
    r = Client().post(
        emails.unsubscribe_url(first.contact),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200
    smtp_sink.start()
    tick_until(workers, invitations_sent(4))
    Invitation.objects.filter(status__in=Invitation.ACTIVE).update(next_reminder_at=timezone.now())
    tick_until(
        workers,
        lambda: Message.objects.filter(purpose=emails.REMINDER, state=State.SENT).count() == 4,
    )
    smtp_sink.wait(8)  # "sent" is recorded as the last byte goes, before the server's reply
    assert first.contact.email not in {m["to"][0] for m in smtp_sink.messages}
    assert len(smtp_sink.messages) == 8


def test_token_guessing_is_limited_through_the_shared_redis_cache(
    org, program_admin, settings, redis_url, workers, smtp_sink
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "outreach-test",
        }
    }
    settings.CXAUDIT_OUTREACH_LINK_ATTEMPTS = 10
    caches["default"].clear()
    launched(org, program_admin, 1)
    workers.start()
    wait_for(invitations_sent(1), timeout=30)
    smtp_sink.wait(1)  # "sent" is recorded as the last byte goes, before the server's reply
    token = token_in(smtp_sink.messages[0]["message"].get_body(("plain",)).get_content())
    guesser = "192.0.2.66"
    # Two web processes share the count: ten guesses spread over two clients, then the limit.
    for i in range(10):
        r = Client(REMOTE_ADDR=guesser).get(f"/i/{'G' * 42}{i}/")
        assert r.status_code == 404
    for url in (f"/i/{'H' * 43}/", f"/i/{token}/"):
        assert Client(REMOTE_ADDR=guesser).get(url).status_code == 429
    assert Client(REMOTE_ADDR="192.0.2.67").get(f"/i/{token}/").status_code == 302
    assert Response.objects.count() == 0
    caches["default"].clear()
