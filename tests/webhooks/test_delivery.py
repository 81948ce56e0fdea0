"""Deliveries to a real local HTTPS server (trustme certificate, loopback allowed by the
allow-list): signature, attempts with status and latency, backoff, permanent failure, redirects,
SSRF at connect time (rebinding), disabling after a run of failures with one email, replay and
the lease taken back from a lost sender."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from cxaudit.errors import DomainError
from cxaudit.messaging.models import Message, State
from cxaudit.webhooks import services
from cxaudit.webhooks.events import WAVE_CLOSED
from cxaudit.webhooks.models import Delivery, Endpoint
from tests.webhooks.helpers import endpoint
from tests.webhooks.test_signing import snippet_verify

pytestmark = pytest.mark.django_db


def emit_one(org, payload=None) -> Delivery:
    services.emit(org, WAVE_CLOSED, payload or {"wave": {"id": 1}})
    return Delivery.objects.latest("pk")


def test_a_delivery_is_posted_signed_and_logged(org, hook_server, sent_tasks):
    ep = endpoint(org, hook_server.url())
    d = emit_one(org)
    report = services.deliver_due()
    assert report.sent == 1
    d.refresh_from_db()
    assert d.state == State.SENT and d.last_status_code == 200 and d.attempts == 1
    [got] = hook_server.received
    assert got.path == "/hook"
    assert got.headers["Host"] == f"localhost:{hook_server.port}"
    assert got.headers["Cxaudit-Event"] == "wave.closed"
    assert got.headers["Cxaudit-Event-Id"] == str(d.event_id)
    assert got.headers["Cxaudit-Delivery"] == str(d.delivery_id)
    assert got.body == d.body.encode()
    assert snippet_verify()(ep.secret, got.body, got.headers["Cxaudit-Signature"])
    body = got.json()
    assert body["type"] == "wave.closed" and body["data"] == {"wave": {"id": 1}}
    assert body["organization"] == {"id": org.pk, "slug": org.slug}
    [attempt] = d.tries.all()
    assert attempt.succeeded and attempt.status_code == 200 and attempt.number == 1
    assert attempt.address == "127.0.0.1" and attempt.latency_ms is not None
    assert attempt.response_excerpt == "ok"


def test_emit_writes_rows_in_the_callers_transaction_for_subscribed_active_endpoints(
    org, other_org, sent_tasks, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_assert_num_queries(1):
        assert services.emit(org, WAVE_CLOSED, {}) == 0  # nobody listens: one query
    wanted = endpoint(org, "https://a.example.com/", events=[WAVE_CLOSED])
    endpoint(org, "https://b.example.com/", events=["shop.approved"])
    endpoint(org, "https://c.example.com/", is_active=False)
    endpoint(other_org, "https://d.example.com/")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.emit(org, WAVE_CLOSED, {})
        raise RuntimeError("the business change fails")
    assert not Delivery.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.emit(org, WAVE_CLOSED, {"x": 1}) == 1
    assert list(Delivery.objects.values_list("endpoint", flat=True)) == [wanted.pk]
    assert [t.name for t in sent_tasks] == ["webhooks.dispatch"]
    with pytest.raises(ValueError, match="unknown webhook event"):
        services.emit(org, "nope", {})


def test_a_failure_waits_with_exponential_backoff_and_jitter(org, hook_server, settings):
    settings.CXAUDIT_WEBHOOK_RETRY_SECONDS = 40
    settings.CXAUDIT_WEBHOOK_RETRY_CAP_SECONDS = 100
    settings.CXAUDIT_WEBHOOK_MAX_ATTEMPTS = 4
    hook_server.answer(503, body=b"busy")
    endpoint(org, hook_server.url())
    d = emit_one(org)
    # Attempt n waits between half and all of 40 × 2^(n−1) s, capped at 100: 20–40, 40–80,
    # 50–100; the fourth attempt is the last.
    for n, (low, high) in enumerate([(20, 40), (40, 80), (50, 100)], start=1):
        before = timezone.now()
        services.deliver_due()
        d.refresh_from_db()
        assert d.state == State.RETRY and d.attempts == n and d.last_status_code == 503
        wait = (d.due_at - before).total_seconds()
        assert low - 1 <= wait <= high + 1, (n, wait)
        Delivery.objects.filter(pk=d.pk).update(due_at=timezone.now())
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.FAILED and "gave up after 4 attempts" in d.last_error
    assert [t.status_code for t in d.tries.all()] == [503] * 4
    assert d.tries.first().response_excerpt == "busy"


def test_a_redirect_is_not_followed_so_metadata_is_never_reached(org, hook_server):
    hook_server.answer(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
    endpoint(org, hook_server.url())
    d = emit_one(org)
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.RETRY and len(hook_server.received) == 1
    [attempt] = d.tries.all()
    assert attempt.status_code == 302 and not attempt.succeeded
    assert "redirect to http://169.254.169.254/latest/meta-data/ not followed" in attempt.error


def test_rebinding_a_public_name_to_a_private_address_is_refused_at_connect_time(
    org, hook_server, resolver, settings
):
    settings.CXAUDIT_WEBHOOK_ALLOW_CIDRS = ""
    url = hook_server.url(host="hooks.example.test")
    resolver.set("hooks.example.test", ["93.184.216.34"], ["127.0.0.1"])
    made = services.register_endpoint(organization=org, url=url, events=[WAVE_CLOSED])
    assert made.endpoint.url == url  # the name looked public then
    d = emit_one(org)
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.FAILED and "127.0.0.1 is a loopback address" in d.last_error
    assert hook_server.received == []  # nothing was sent
    assert d.tries.get().status_code is None


def test_the_connection_goes_to_the_address_checked_with_the_names_tls(org, hook_server, resolver):
    """Resolved once per attempt; the checked IP is dialled, SNI/Host/certificate use the name."""
    resolver.set("hooks.example.test", ["127.0.0.1"], ["10.9.9.9"])
    endpoint(org, hook_server.url(host="hooks.example.test"))
    d = emit_one(org)
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.SENT
    assert resolver.calls == ["hooks.example.test"]
    assert hook_server.received[0].headers["Host"] == f"hooks.example.test:{hook_server.port}"
    assert d.tries.get().address == "127.0.0.1"


def test_a_certificate_for_another_name_fails(org, hook_server, resolver):
    resolver.set("other.example.test", ["127.0.0.1"])
    endpoint(org, hook_server.url(host="other.example.test"))
    d = emit_one(org)
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.RETRY and hook_server.received == []
    assert "SSL" in d.tries.get().error or "certificate" in d.tries.get().error.lower()


def test_a_slow_endpoint_times_out(org, hook_server, settings):
    settings.CXAUDIT_WEBHOOK_READ_TIMEOUT = 0.3
    hook_server.delay = 1.5
    endpoint(org, hook_server.url())
    d = emit_one(org)
    started = time.monotonic()
    services.deliver_due()
    assert time.monotonic() - started < 1.4
    d.refresh_from_db()
    assert d.state == State.RETRY and "timed out" in d.last_error.lower()


def test_a_large_answer_is_read_only_up_to_the_cap(org, hook_server, settings):
    settings.CXAUDIT_WEBHOOK_RESPONSE_BYTES = 100
    hook_server.answer(200, body=b"x" * 100_000)
    endpoint(org, hook_server.url())
    d = emit_one(org)
    services.deliver_due()
    assert d.tries.get().response_excerpt == "x" * 100


def test_a_run_of_failures_disables_the_endpoint_and_emails_admins_once(
    org, hook_server, settings, program_admin, manager, sent_tasks
):
    settings.CXAUDIT_WEBHOOK_DISABLE_AFTER = 3
    settings.CXAUDIT_WEBHOOK_RETRY_SECONDS = 0
    hook_server.answer(500)
    ep = endpoint(org, hook_server.url())
    first, second = emit_one(org), emit_one(org)
    services.deliver_due()  # 2 failures
    ep.refresh_from_db()
    assert ep.is_active and ep.consecutive_failures == 2
    hook_server.answer(200)
    services.deliver_due()  # both succeed: the run is broken
    ep.refresh_from_db()
    assert ep.consecutive_failures == 0
    hook_server.answer(500)
    waiting = [emit_one(org) for _ in range(5)]
    services.deliver_due(limit=3)  # the third failure in a row disables it
    ep.refresh_from_db()
    assert not ep.is_active and ep.disabled_reason == "3 deliveries in a row failed."
    states = {d.pk: d.state for d in Delivery.objects.filter(pk__in=[w.pk for w in waiting])}
    # The three that failed were waiting to retry, the two others not yet tried: all cancelled.
    assert sorted(states.values()) == ["cancelled"] * 5
    emails = Message.objects.filter(purpose="webhooks.endpoint_disabled")
    assert list(emails.values_list("to_email", flat=True)) == [program_admin.email]
    services.deliver_due()  # nothing more goes, nobody is told again
    assert emails.count() == 1 and len(hook_server.received) == 2 + 2 + 3
    from cxaudit.messaging.services import deliver_due as send_emails

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_emails()
    from django.core import mail

    [email] = mail.outbox
    assert email.subject.startswith("Webhook disabled") and ep.url in email.body
    assert f"/webhooks/{ep.pk}/" in email.body
    # Turning it back on starts the count afresh.
    services.update_endpoint(
        endpoint=ep, url=ep.url, events=ep.events, description="", is_active=True
    )
    ep.refresh_from_db()
    assert ep.is_active and ep.consecutive_failures == 0 and ep.disabled_at is None
    assert first.pk and second.pk


def test_replay_sends_the_same_event_again_as_a_new_delivery(
    org, hook_server, sent_tasks, django_capture_on_commit_callbacks
):
    ep = endpoint(org, hook_server.url())
    d = emit_one(org)
    services.deliver_due()
    with django_capture_on_commit_callbacks(execute=True):
        replay = services.replay_delivery(delivery=d)
    assert [t.name for t in sent_tasks][-1] == "webhooks.send_delivery"
    assert replay.replay_of == d and replay.event_id == d.event_id and replay.body == d.body
    services.deliver_due(limit=1, only=[replay.pk])
    replay.refresh_from_db()
    assert replay.state == State.SENT and replay.attempts == 1
    first, again = hook_server.received
    assert first.body == again.body
    assert first.headers["Cxaudit-Event-Id"] == again.headers["Cxaudit-Event-Id"]
    assert first.headers["Cxaudit-Delivery"] != again.headers["Cxaudit-Delivery"]
    services.disable_endpoint(endpoint=ep)
    with pytest.raises(DomainError, match="disabled"):
        services.replay_delivery(delivery=d)


def test_a_lost_senders_lease_is_taken_back_by_the_sweeper(org, hook_server, settings):
    settings.CXAUDIT_WEBHOOK_MAX_ATTEMPTS = 2
    endpoint(org, hook_server.url())
    d = emit_one(org)
    token, ids = Delivery.objects.claim_due(limit=10, lease=dt.timedelta(seconds=60))
    assert ids == [d.pk]
    assert services.deliver_due().handled == 0  # claimed: nobody else sends it
    Delivery.objects.filter(pk=d.pk).update(lease_expires_at=timezone.now() - dt.timedelta(1))
    report = services.sweep(wake=False)
    assert (report.requeued, report.failed, report.due) == (1, 0, 1)
    d.refresh_from_db()
    assert not d.mark_sent(token)  # the lost sender's late word changes nothing
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.SENT and d.attempts == 2 and len(hook_server.received) == 1


def test_a_disabled_endpoint_gets_nothing(org, hook_server):
    ep = endpoint(org, hook_server.url())
    d = emit_one(org)
    Endpoint.objects.filter(pk=ep.pk).update(is_active=False)
    services.deliver_due()
    d.refresh_from_db()
    assert d.state == State.CANCELLED and hook_server.received == []
