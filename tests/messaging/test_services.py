"""The outbox's services against a real SMTP server (aiosmtpd in this process)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cxaudit.messaging import services
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import NewMessage, deliver_due, queue_message, queue_messages
from tests.conftest import SentTask

from .conftest import TEST_PURPOSE

pytestmark = pytest.mark.django_db


def note(key="n1", to="pat@example.test", **context) -> Message:
    return queue_message(
        purpose=TEST_PURPOSE,
        key=key,
        to_email=to,
        to_name="Pat Doe",
        context={"name": "Pat", "topic": "Your visit", **context},
    )


@pytest.fixture
def published(sent_tasks):
    return sent_tasks


def test_queue_writes_a_row_in_the_callers_transaction(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = note()
        assert Message.objects.filter(pk=message.pk, state=State.QUEUED).exists()
        assert published == []  # nothing leaves before commit
    assert published == [SentTask("messaging.send_message", [message.pk], {})]
    assert message.message_id.startswith("<") and message.message_id.endswith(">")


def test_a_rolled_back_change_leaves_no_message_and_queues_no_task(
    published, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        note()
        raise RuntimeError("the business change failed")
    assert not Message.objects.exists() and published == []


def test_one_business_event_makes_one_message(published):
    first = note(key="visit:7")
    again = note(key="visit:7", topic="something else")
    assert again.pk == first.pk and Message.objects.count() == 1


def test_queue_refuses_an_unknown_purpose():
    with pytest.raises(LookupError):
        queue_message(purpose="nope", key="1", to_email="a@example.test")


def test_delivery_sends_text_and_html_with_the_queued_message_id(smtp_sink, published):
    message = note(topic="Smith & Sons <shop>")
    report = deliver_due()
    assert report.sent == 1
    (mail,) = smtp_sink.wait(1)
    msg = mail["message"]
    assert mail["to"] == ["pat@example.test"]
    assert msg["Message-ID"] == message.message_id
    # Subject and text are plain text: not HTML-escaped. The HTML part is escaped.
    assert msg["Subject"] == "Note for Pat about Smith & Sons <shop>"
    assert "Smith & Sons <shop>" in msg.get_body(("plain",)).get_content()
    assert "Smith &amp; Sons &lt;shop&gt;" in msg.get_body(("html",)).get_content()
    # Computed at send time by the purpose (never stored), and headers of the purpose.
    assert f"https://example.test/s/{message.pk}" in msg.get_body(("plain",)).get_content()
    assert "secret_link" not in str(Message.objects.get(pk=message.pk).context)
    assert msg["List-Unsubscribe"] == "<https://example.test/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    message.refresh_from_db()
    assert message.state == State.SENT and message.sent_at and message.attempts == 1
    assert message.subject == "Note for Pat about Smith & Sons <shop>"


def test_a_sent_message_is_not_sent_again(smtp_sink, published):
    note()
    assert deliver_due().sent == 1
    assert deliver_due().handled == 0
    assert len(smtp_sink.messages) == 1


def test_a_recipient_rejected_with_550_fails_and_is_not_retried(smtp_sink, published):
    smtp_sink.reject["gone@example.test"] = "550 5.1.1 No such user here"
    gone = note(key="a", to="gone@example.test")
    fine = note(key="b", to="fine@example.test")
    report = deliver_due()
    assert (report.sent, report.failed) == (1, 1)
    gone.refresh_from_db()
    assert (
        gone.state == State.FAILED
        and "550" in gone.last_error
        and "No such user" in gone.last_error
    )
    assert Message.objects.get(pk=fine.pk).state == State.SENT
    # Permanently failed: no later run picks it up.
    assert deliver_due().handled == 0


def test_a_temporary_rejection_waits_to_retry_with_backoff(smtp_sink, published, settings):
    settings.CXAUDIT_OUTBOX_RETRY_SECONDS = 60
    smtp_sink.reject["busy@example.test"] = "451 4.7.1 Try again later"
    message = note(to="busy@example.test")
    before = timezone.now()
    assert deliver_due().retry == 1
    message.refresh_from_db()
    assert message.state == State.RETRY and message.attempts == 1 and "451" in message.last_error
    # First retry between half and all of the base delay.
    assert (
        before + timedelta(seconds=29) <= message.due_at <= timezone.now() + timedelta(seconds=61)
    )
    assert deliver_due().handled == 0  # not due yet
    Message.objects.filter(pk=message.pk).update(due_at=timezone.now())
    del smtp_sink.reject["busy@example.test"]
    assert deliver_due().sent == 1
    message.refresh_from_db()
    assert message.state == State.SENT and message.attempts == 2 and message.last_error == ""


def test_a_server_that_refuses_connections_leaves_every_message_waiting(smtp_sink, published):
    for i in range(3):
        note(key=f"k{i}", to=f"p{i}@example.test")
    smtp_sink.stop()
    report = deliver_due()
    assert report.retry == 3 and report.sent == 0
    assert set(Message.objects.values_list("state", flat=True)) == {State.RETRY}
    assert all(
        "could not connect" in e or "not tried" in e
        for e in Message.objects.values_list("last_error", flat=True)
    )
    smtp_sink.start()
    Message.objects.update(due_at=timezone.now())
    assert deliver_due().sent == 3
    assert sorted(smtp_sink.message_ids().values()) == [1, 1, 1]
    assert set(Message.objects.values_list("attempts", flat=True)) == {2}


def test_attempts_are_limited(smtp_sink, published, settings):
    settings.CXAUDIT_OUTBOX_MAX_ATTEMPTS = 2
    smtp_sink.reject["busy@example.test"] = "452 Mailbox full"
    message = note(to="busy@example.test")
    deliver_due()
    Message.objects.filter(pk=message.pk).update(due_at=timezone.now())
    deliver_due()
    message.refresh_from_db()
    assert message.state == State.FAILED and "gave up after 2 attempts" in message.last_error


def test_a_message_no_longer_wanted_is_cancelled_not_sent(smtp_sink, published):
    message = note(skip=True)
    assert deliver_due().cancelled == 1
    message.refresh_from_db()
    assert message.state == State.CANCELLED and "no longer wants" in message.last_error
    assert smtp_sink.messages == []


def test_a_message_that_cannot_be_rendered_fails_with_the_reason(smtp_sink, published):
    message = note(explode=True)
    assert deliver_due().failed == 1
    message.refresh_from_db()
    assert message.state == State.FAILED and "template bug" in message.last_error


def test_a_sender_that_lost_its_claim_changes_nothing(published):
    message = note()
    token, ids = Message.objects.claim_due(limit=10, lease=timedelta(seconds=-1))
    assert ids == [message.pk]
    # Its lease expired: the sweeper hands the row to another sender...
    assert services.sweep(wake=False).requeued == 1
    token2, ids2 = Message.objects.claim_due(limit=10, lease=timedelta(minutes=5))
    assert ids2 == [message.pk]
    message.refresh_from_db()
    # ...and the first sender's late outcome is refused by the fence.
    assert message.mark_sent(token) is False
    assert message.mark_failed(token, error="late") is False
    message.refresh_from_db()
    assert message.state == State.SENDING and message.lease_token == token2


def test_two_senders_never_claim_the_same_rows(published):
    for i in range(5):
        note(key=f"k{i}")
    _, first = Message.objects.claim_due(limit=3, lease=timedelta(minutes=5))
    _, second = Message.objects.claim_due(limit=3, lease=timedelta(minutes=5))
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)


def test_sweep_fails_a_message_whose_sender_keeps_dying(published, settings):
    settings.CXAUDIT_OUTBOX_MAX_ATTEMPTS = 2
    message = note()
    for _ in range(2):
        Message.objects.claim_due(limit=1, lease=timedelta(seconds=-1))
        services.sweep(wake=False)
    message.refresh_from_db()
    assert message.state == State.FAILED and "lost 2 times" in message.last_error


def test_sweep_wakes_senders_for_due_work_only(published, settings):
    settings.CXAUDIT_OUTBOX_DISPATCHERS = 2
    settings.CXAUDIT_OUTBOX_BATCH = 10
    assert services.sweep().woken == 0
    queue_messages(
        [
            NewMessage(purpose=TEST_PURPOSE, key=f"k{i}", to_email="a@example.test")
            for i in range(25)
        ]
    )
    published.clear()
    report = services.sweep()
    assert report.due == 25 and report.woken == 2
    assert published == [SentTask("messaging.dispatch", [], {})] * 2
    # A message scheduled for later is not due yet.
    Message.objects.update(due_at=timezone.now() + timedelta(hours=1))
    assert services.sweep().due == 0


def test_queue_messages_writes_in_bulk_and_wakes_a_sender_per_batch_up_to_the_limit(
    published, django_capture_on_commit_callbacks, settings
):
    settings.CXAUDIT_OUTBOX_BATCH = 100
    settings.CXAUDIT_OUTBOX_DISPATCHERS = 3
    note(key="k1")
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        written = queue_messages(
            NewMessage(purpose=TEST_PURPOSE, key=f"k{i}", to_email=f"p{i}@example.test")
            for i in range(500)
        )
    assert written == 499  # k1 existed
    assert Message.objects.count() == 500
    # Five batches are due: three senders (the limit), each chaining its next batch.
    assert [t.name for t in published].count("messaging.dispatch") == 3
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queue_messages(
            NewMessage(purpose=TEST_PURPOSE, key=f"small{i}", to_email=f"s{i}@example.test")
            for i in range(100)
        )
    assert [t.name for t in published].count("messaging.dispatch") == 1  # one batch, one sender
    assert len(set(Message.objects.values_list("message_id", flat=True))) == 600


def test_retry_now_requeues_a_failed_message_once(smtp_sink, published):
    smtp_sink.reject["gone@example.test"] = "550 No"
    message = note(to="gone@example.test")
    deliver_due()
    del smtp_sink.reject["gone@example.test"]
    message.refresh_from_db()
    assert services.retry_message(message=message) is True
    assert services.retry_message(message=message) is False  # a double click
    assert deliver_due().sent == 1
    message.refresh_from_db()
    assert message.state == State.SENT
    assert services.retry_message(message=message) is False


def test_the_send_task_delivered_three_times_sends_once(smtp_sink, published):
    from cxaudit.messaging.tasks import send_message

    message = note()
    results = [send_message.apply(args=[message.pk]).get() for _ in range(3)]
    assert [r["sent"] for r in results] == [1, 0, 0]
    assert list(smtp_sink.message_ids().values()) == [1]


def test_the_console_backend_in_development_marks_messages_sent(settings, published, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    message = note()
    assert deliver_due().sent == 1
    assert message.message_id in capsys.readouterr().out
    assert Message.objects.get(pk=message.pk).state == State.SENT


@pytest.fixture
def eager():
    """Development without a broker (`make run` when Redis does not answer)."""
    from cxaudit.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def test_in_eager_mode_the_message_is_sent_in_process_after_commit(
    smtp_sink, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = note()
        assert smtp_sink.messages == []
    assert Message.objects.get(pk=message.pk).state == State.SENT
    assert len(smtp_sink.messages) == 1


def test_an_unreachable_broker_does_not_fail_the_change(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    from cxaudit.celery import app

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = note()
    assert Message.objects.get(pk=message.pk).state == State.QUEUED  # the sweeper's to find
    assert "could not queue task messaging.send_message" in caplog.text


def test_lines_starting_with_a_dot_and_non_ascii_text_arrive_intact(smtp_sink, published):
    note(topic=".hidden line\n..two dots\nCafé — ünïcode ✓")
    deliver_due()
    body = smtp_sink.wait(1)[0]["message"].get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert ".hidden line\n..two dots\nCafé — ünïcode ✓" in body


def test_the_rate_limit_spaces_messages_out():
    from cxaudit.messaging.ratelimit import RateLimiter

    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(3, clock=lambda: now[0], sleep=sleep)
    for _ in range(7):
        limiter.acquire()
    # 3 in the first second, 3 in the next, the 7th in the third.
    assert int(now[0]) == 1002 and len(slept) == 2
    assert RateLimiter(0).acquire() == 0.0


def test_a_fractional_rate_sends_whole_messages_over_time():
    from cxaudit.messaging.ratelimit import RateLimiter

    limiter = RateLimiter(0.5)
    assert [limiter._window_limit(w) for w in range(4)] == [0, 1, 0, 1]


def test_backoff_doubles_with_jitter_and_a_cap():
    from cxaudit.messaging.conf import OutboxSettings

    cfg = OutboxSettings.load()
    cfg = OutboxSettings(**{**cfg.__dict__, "retry_base": 10, "retry_cap": 60})
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 60), (9, 60)]:
        delays = [cfg.retry_delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_sent_is_recorded_on_a_connection_of_its_own(smtp_sink, published):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the pipelined record is PostgreSQL's")
    ok = note(key="ok", to="ok@example.test")
    refused = note(key="refused", to="full@example.test")
    spam = note(key="spam", to="spam@example.test")
    smtp_sink.reject_data["full@example.test"] = "452 4.2.2 Mailbox full"
    smtp_sink.reject_data["spam@example.test"] = "554 5.7.1 Message rejected as spam"
    report = deliver_due()
    assert (report.sent, report.retry, report.failed) == (1, 1, 1)
    ok.refresh_from_db()
    refused.refresh_from_db()
    spam.refresh_from_db()
    assert ok.state == State.SENT and ok.subject.startswith("Note for Pat") and ok.sent_at
    # Recorded "sent" before the reply was read, then corrected by the 452 or the 554: the row
    # keeps no sent time (the outbox page would show "Sent" beside "Failed").
    assert refused.state == State.RETRY and "452" in refused.last_error
    assert spam.state == State.FAILED and "554 5.7.1" in spam.last_error
    assert refused.sent_at is None and spam.sent_at is None


def test_a_malformed_address_is_refused_when_queued_naming_the_field():
    from cxaudit.errors import DomainError

    for bad in ["not-an-address", "a@b@c.test", "x" * 300 + "@example.test", "a\n@example.test"]:
        with pytest.raises(DomainError) as exc:
            note(key=bad[:50], to=bad)
        assert exc.value.field == "to_email"
    assert not Message.objects.exists()


def test_the_sender_waits_for_the_send_rate(smtp_sink, published, settings, monkeypatch):
    """CXAUDIT_OUTBOX_RATE reaches the sender: one permit is taken before each message goes."""
    from cxaudit.messaging import delivery

    rates: list[float] = []
    taken: list[int] = []

    class Recording(delivery.RateLimiter):
        def __init__(self, per_second, **kwargs):
            rates.append(per_second)
            super().__init__(per_second, **kwargs)

        def acquire(self):
            taken.append(len(smtp_sink.messages))  # what had gone before this permit
            return 0.0

    monkeypatch.setattr(delivery, "RateLimiter", Recording)
    settings.CXAUDIT_OUTBOX_RATE = 2.5
    for i in range(3):
        note(key=f"k{i}", to=f"p{i}@example.test")
    assert deliver_due().sent == 3
    assert rates == [2.5] and taken == [0, 1, 2]


def test_a_rate_of_two_per_second_spreads_five_messages_over_three_seconds(
    smtp_sink, published, settings
):
    import time

    settings.CXAUDIT_OUTBOX_RATE = 2
    for i in range(5):
        note(key=f"k{i}", to=f"p{i}@example.test")
    started = time.monotonic()
    assert deliver_due().sent == 5
    # 2 in the first (partial) second, 2 in the next, the 5th in the one after that.
    assert time.monotonic() - started > 1.0


def test_a_full_batch_queues_the_next_batch_and_a_partial_one_does_not(
    smtp_sink, published, settings
):
    from cxaudit.messaging.tasks import dispatch

    settings.CXAUDIT_OUTBOX_BATCH = 4
    queue_messages(
        NewMessage(purpose=TEST_PURPOSE, key=f"k{i}", to_email=f"p{i}@example.test")
        for i in range(6)
    )
    published.clear()
    assert dispatch.apply().get()["sent"] == 4
    assert published == [SentTask("messaging.dispatch", [], {})]  # one task for the rest
    published.clear()
    assert dispatch.apply().get()["sent"] == 2
    assert published == []  # nothing left: no task waits in the broker
    assert Message.objects.filter(state=State.SENT).count() == 6


def test_the_outbox_tasks_are_acknowledged_late_one_at_a_time():
    from cxaudit.celery import app
    from cxaudit.messaging import tasks

    for task in (tasks.send_message, tasks.dispatch, tasks.sweep):
        assert task.acks_late is True, task.name
    assert app.conf.worker_prefetch_multiplier == 1


@pytest.mark.django_db(transaction=True)
def test_the_sent_record_connection_commits_without_waiting_for_the_disk():
    from django.db import connection

    from cxaudit.messaging.delivery import PipelinedMarker, open_marker

    if connection.vendor != "postgresql":
        pytest.skip("the pipelined record is PostgreSQL's")
    with open_marker() as marker:
        assert isinstance(marker, PipelinedMarker)
        shown = marker.pg.exec_(b"SHOW synchronous_commit")
        assert shown.get_value(0, 0) == b"off"
    with connection.cursor() as cursor:  # the application's own connection is left as it was
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] != "off"


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
@pytest.mark.parametrize(
    "refusal, state, error",
    [
        ({"reject_sender": "553 5.7.1 Sender not allowed"}, State.FAILED, "sender refused: 553"),
        ({"reject_sender": "451 4.3.0 Try later"}, State.RETRY, "sender refused: 451"),
        ({"reject": {"pat@example.test": "550 No such user"}}, State.FAILED, "recipient"),
        ({"reject_data": {"pat@example.test": "554 Spam"}}, State.FAILED, "message refused: 554"),
        ({}, State.SENT, ""),
    ],
    ids=["sender-5xx", "sender-4xx", "recipient-5xx", "data-5xx", "accepted"],
)
def test_each_refusal_is_recorded_with_or_without_pipelining(
    smtp_sink, published, pipelining, refusal, state, error
):
    smtp_sink.pipelining = pipelining
    for name, value in refusal.items():
        setattr(smtp_sink, name, value)
    message = note()
    deliver_due()
    message.refresh_from_db()
    assert message.state == state and error in message.last_error
    # The connection is still usable after a refusal: the next message goes.
    smtp_sink.reject_sender, smtp_sink.reject, smtp_sink.reject_data = "", {}, {}
    after = note(key="n2")
    assert deliver_due().sent == 1
    assert smtp_sink.message_ids()[after.message_id] == 1


def test_a_server_offering_pipelining_gets_the_envelope_in_one_write(
    smtp_sink, published, monkeypatch
):
    import smtplib

    writes = []
    real_send = smtplib.SMTP.send

    def send(self, s):
        writes.append(s if isinstance(s, bytes) else s.encode())
        return real_send(self, s)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    note()
    note(key="n2", to="sam@example.test")
    assert deliver_due().sent == 2
    envelopes = [w for w in writes if w.startswith(b"MAIL FROM:")]
    assert [w.split(b"\r\n")[1:] for w in envelopes] == [
        [b"RCPT TO:<pat@example.test>", b"DATA", b""],
        [b"RCPT TO:<sam@example.test>", b"DATA", b""],
    ]
