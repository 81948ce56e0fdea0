"""The outbox pages (program admins) and the development mailbox (DEBUG only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cxaudit.messaging.apps import NOTICE
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import deliver_due, queue_message

pytestmark = pytest.mark.django_db


def notice(org, key, to="pat@example.test", **extra):
    return queue_message(
        purpose=NOTICE,
        key=key,
        to_email=to,
        organization=org,
        context={"subject": extra.pop("subject", "Hello"), "text": "Body", **extra},
    )


def test_the_outbox_lists_the_organisations_messages_with_state_and_error(
    admin_client_org, org, other_org, sent_tasks
):
    notice(org, "a", to="first@example.test")
    failed = notice(org, "b", to="gone@example.test")
    Message.objects.filter(pk=failed.pk).update(
        state=State.FAILED, attempts=1, last_error="recipient refused: 550 5.1.1 <b>No such</b>"
    )
    notice(other_org, "c", to="other-org@example.test")
    page = admin_client_org.get(reverse("accounts:outbox_list", args=[org.slug]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "first@example.test" in body and "gone@example.test" in body
    assert "other-org@example.test" not in body  # another organisation's message
    assert "550 5.1.1 &lt;b&gt;No such&lt;/b&gt;" in body  # the error, escaped
    assert "2 messages" in body


@pytest.mark.parametrize(
    "query, shown, hidden",
    [
        ({"state": "failed"}, "gone@", "first@"),
        ({"recipient": "FIRST"}, "first@", "gone@"),
        ({"purpose": NOTICE}, "first@", "nobody"),
    ],
)
def test_the_outbox_filters(admin_client_org, org, sent_tasks, query, shown, hidden):
    notice(org, "a", to="first@example.test")
    Message.objects.filter(pk=notice(org, "b", to="gone@example.test").pk).update(
        state=State.FAILED
    )
    body = admin_client_org.get(reverse("accounts:outbox_list", args=[org.slug]), query)
    assert shown in body.content.decode() and hidden not in body.content.decode()


def test_the_outbox_filters_by_date(admin_client_org, org, sent_tasks):
    old = notice(org, "old", to="old@example.test")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    notice(org, "new", to="new@example.test")
    today = timezone.localdate().isoformat()
    body = admin_client_org.get(
        reverse("accounts:outbox_list", args=[org.slug]), {"since": today, "until": today}
    ).content.decode()
    assert "new@example.test" in body and "old@example.test" not in body


def test_bad_filters_are_named_not_a_500(admin_client_org, org):
    response = admin_client_org.get(
        reverse("accounts:outbox_list", args=[org.slug]),
        {"state": "exploded", "since": "2026-13-45", "until": "x" * 5000, "page": "-1"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"state", "since", "until"}


def test_the_outbox_empty_state(admin_client_org, org):
    body = admin_client_org.get(reverse("accounts:outbox_list", args=[org.slug])).content
    assert b"No message has been sent" in body


def test_the_outbox_list_runs_a_constant_number_of_queries(
    admin_client_org, org, sent_tasks, django_assert_max_num_queries
):
    for i in range(60):
        notice(org, f"k{i}")
    url = reverse("accounts:outbox_list", args=[org.slug])
    with django_assert_max_num_queries(8):
        assert admin_client_org.get(url).status_code == 200


def test_retry_now_queues_a_failed_message_again(admin_client_org, org, sent_tasks):
    message = notice(org, "a")
    Message.objects.filter(pk=message.pk).update(state=State.FAILED, last_error="550 no")
    sent_tasks.clear()
    url = reverse("accounts:outbox_retry", args=[org.slug, message.pk])
    response = admin_client_org.post(url, follow=True)
    assert b"is queued again" in response.content
    message.refresh_from_db()
    assert message.state == State.QUEUED and message.attempts == 0
    # A second click changes nothing and says so.
    response = admin_client_org.post(url, follow=True)
    assert b"Nothing to retry" in response.content


def test_the_detail_page_shows_the_error_of_a_failed_message(admin_client_org, org, sent_tasks):
    message = notice(org, "a")
    Message.objects.filter(pk=message.pk).update(state=State.FAILED, last_error="550 No such user")
    body = admin_client_org.get(
        reverse("accounts:outbox_detail", args=[org.slug, message.pk])
    ).content.decode()
    assert "550 No such user" in body and "Retry now" in body


def test_another_organisations_message_is_not_found(admin_client_org, org, other_org, sent_tasks):
    theirs = notice(other_org, "theirs")
    for name, method in [("accounts:outbox_detail", "get"), ("accounts:outbox_retry", "post")]:
        url = reverse(name, args=[org.slug, theirs.pk])
        assert getattr(admin_client_org, method)(url).status_code == 404


# --- the development mailbox -----------------------------------------------------------------


def test_the_mailbox_is_not_there_without_debug(client, org, sent_tasks):
    message = notice(org, "a")
    for url in [
        reverse("messaging:mailbox"),
        reverse("messaging:mailbox_message", args=[message.pk]),
        reverse("messaging:mailbox_html", args=[message.pk]),
    ]:
        assert client.get(url).status_code == 404


def test_the_mailbox_shows_what_was_sent_with_clickable_links(
    settings, org, sent_tasks, mailoutbox
):
    settings.DEBUG = True
    message = notice(org, "a", subject="Your <visit>", link="https://example.test/go?a=1&b=2")
    unsent = notice(org, "b", subject="Not yet")
    deliver_due(only=[message.pk])
    client = Client()
    listing = client.get(reverse("messaging:mailbox")).content.decode()
    assert "Your &lt;visit&gt;" in listing and "Not yet" not in listing
    page = client.get(reverse("messaging:mailbox_message", args=[message.pk])).content.decode()
    assert 'href="https://example.test/go?a=1&amp;b=2"' in page
    html = client.get(reverse("messaging:mailbox_html", args=[message.pk]))
    assert "sandbox" in html["Content-Security-Policy"]
    assert html["X-Frame-Options"] == "SAMEORIGIN"
    assert b"https://example.test/go" in html.content
    assert client.get(reverse("messaging:mailbox_message", args=[unsent.pk])).status_code == 404
