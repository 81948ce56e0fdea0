"""The programme's tasks and emails with a real Celery worker on the real Redis broker, the real
PostgreSQL database and a real SMTP server (deliveries counted at the server by Message-ID):
the periodic sweeps run by the worker, each email of a full loop delivered once even when its
task is delivered three times, and a reminder whose shop was sent meanwhile skipped when its
turn comes."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cxaudit.celery import app
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.tasks import send_message
from shoppers import emails
from shoppers.models import Assignment, AssignmentEvent
from shoppers.review import services as review
from shoppers.scheduling import services as scheduling
from shoppers.visits import services as visits
from tests.conftest import start_worker, wait_for
from tests.shoppers.shops import make_shop, send

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
S = Assignment.Status


class Worker:
    """One worker on a queue of this test's own, delivering to the SMTP sink; started when the
    test says so, so that work can wait in the broker first."""

    def __init__(self, tmp_path, smtp_sink):
        self.queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-shops-{uuid.uuid4().hex[:8]}"
        self.log = tmp_path / "worker.log"
        self.env = {"EMAIL_URL": smtp_sink.url}
        self.process = None
        app.conf.task_default_queue = self.queue

    def start(self):
        self.process = start_worker(self.queue, self.log, self.env)
        return self.process

    def close(self):
        if self.process is not None:
            self.process.stop(kill=True)
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(self.queue)


@pytest.fixture
def worker(redis_url, tmp_path, smtp_sink):
    w = Worker(tmp_path, smtp_sink)
    try:
        yield w
    finally:
        w.close()


def sent(purpose: str, count: int = 1):
    return lambda: Message.objects.filter(purpose=purpose, state=State.SENT).count() == count


def delivered(smtp_sink) -> list[tuple[str, str]]:
    return [(m["to"][0], str(m["message"]["Subject"])) for m in smtp_sink.messages]


def assert_each_delivered_once(smtp_sink) -> None:
    counts = smtp_sink.message_ids()
    assert all(n == 1 for n in counts.values()), counts
    assert set(counts) == set(
        Message.objects.filter(state=State.SENT).values_list("message_id", flat=True)
    )


def test_the_sweeps_run_by_the_worker_expire_and_remind_once(
    worker, smtp_sink, scenario, location, second_location, wave, ann, log_tail
):
    now = timezone.now()
    overdue = make_shop(
        S.ASSIGNED,
        scenario=scenario,
        location=location,
        wave=wave,
        shopper=ann,
        window=(now - dt.timedelta(days=5), now - dt.timedelta(days=3)),
    )
    closing = make_shop(
        S.ASSIGNED,
        scenario=scenario,
        location=second_location,
        wave=wave,
        shopper=ann,
        window=(now - dt.timedelta(days=2), now + dt.timedelta(hours=20)),
    )
    worker.start()
    for _ in range(3):  # each periodic task delivered three times
        app.send_task("shoppers.expire_overdue")
        app.send_task("shoppers.send_window_reminders")
    wait_for(lambda: Assignment.objects.get(pk=overdue.pk).status == S.EXPIRED, timeout=30)
    wait_for(sent(emails.REMINDER), timeout=30)
    time.sleep(1.5)  # let the duplicates run
    closes = timezone.localtime(closing.window_end)
    assert delivered(smtp_sink) == [
        (ann.email, f"Reminder: visit Manchester before {closes:%-d %b %H:%M}")
    ]
    assert_each_delivered_once(smtp_sink)
    assert AssignmentEvent.objects.filter(to_status=S.EXPIRED).count() == 1
    assert Message.objects.count() == 1
    body = smtp_sink.messages[0]["message"].get_body(("plain",)).get_content()
    assert "Ask for a refund at the desk" in body and settings.SITE_URL in body
    assert Assignment.objects.get(pk=closing.pk).reminded_at is not None


@pytest.fixture
def log_tail(worker):
    """On failure, the worker's log is worth reading."""
    yield
    if worker.log.exists():
        print(worker.log.read_text()[-4000:])


def test_each_email_of_a_full_loop_arrives_once(worker, smtp_sink, job, ann, reviewer, log_tail):
    worker.start()
    shop = scheduling.self_assign(assignment=job, shopper=ann)
    wait_for(sent(emails.CONFIRMED), timeout=30)
    shop = send(visits.start_visit(assignment=shop, shopper=ann), ann)
    shop = review.return_shop(assignment=shop, actor=reviewer, comment="Which <b>desk</b>?")
    wait_for(sent(emails.RETURNED), timeout=30)
    shop = visits.submit_visit(
        assignment=shop, shopper=ann, raw_answers={"greet": "yes", "smile": "yes"}
    )
    shop = review.approve_shop(assignment=shop, actor=reviewer)
    wait_for(sent(emails.APPROVED), timeout=30)
    for message in Message.objects.all():  # every send task delivered three more times
        for _ in range(3):
            send_message.delay(message.pk)
    time.sleep(2.0)
    assert delivered(smtp_sink) == [
        (ann.email, "Confirmed: Ask for a refund at the desk at Kingsbridge"),
        (ann.email, "Please correct your shop at Kingsbridge"),
        (ann.email, "Approved: your shop at Kingsbridge"),
    ]
    assert_each_delivered_once(smtp_sink)
    returned = smtp_sink.messages[1]["message"]
    assert "Which <b>desk</b>?" in returned.get_body(("plain",)).get_content()
    html = returned.get_body(("html",)).get_content()
    assert "Which &lt;b&gt;desk&lt;/b&gt;?" in html and "<b>desk</b>" not in html
    approved = smtp_sink.messages[2]["message"].get_body(("plain",)).get_content()
    assert "GBP 25.00 is now payable to you" in approved
    page = settings.SITE_URL.rstrip("/") + reverse(
        "shoppers:assignment", args=[job.organization.slug, job.pk]
    )
    for message in smtp_sink.messages:  # each links to the shopper's page of the shop
        assert page in message["message"].get_body(("plain",)).get_content()


def test_emails_whose_shop_moved_on_before_their_turn_are_skipped(
    worker, smtp_sink, scenario, location, second_location, wave, job, ann, bob, log_tail
):
    """The send tasks wait in the broker (no worker yet) while the shops change: a reminder
    for a shop sent meanwhile and a confirmation of a job given back are not sent."""
    now = timezone.now()
    closing = make_shop(
        S.IN_PROGRESS,
        scenario=scenario,
        location=second_location,
        wave=wave,
        shopper=ann,
        window=(now - dt.timedelta(days=2), now + dt.timedelta(hours=6)),
    )
    assert scheduling.send_window_reminders() == 1
    visits.submit_visit(
        assignment=closing, shopper=ann, raw_answers={"greet": "yes", "smile": "no"}
    )
    shop = scheduling.self_assign(assignment=job, shopper=bob)
    scheduling.release(assignment=shop, shopper=bob)
    worker.start()
    wait_for(lambda: Message.objects.filter(state=State.CANCELLED).count() == 2, timeout=30)
    reasons = dict(Message.objects.values_list("purpose", "last_error"))
    assert reasons == {
        emails.REMINDER: "The shop is submitted since.",
        emails.CONFIRMED: "The shop is held by someone else since.",
    }
    time.sleep(0.5)
    assert smtp_sink.messages == []
