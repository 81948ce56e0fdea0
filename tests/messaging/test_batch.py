"""A purpose that builds its messages in groups (registry `build_many`): the sender builds a few
consecutive messages at once and still ends every row on its own — sent once, refused with the
server's reply, waiting to retry, cancelled or failed — against a real SMTP server."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cxaudit.messaging import registry
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import NewMessage, deliver_due, queue_messages

from .conftest import _build

pytestmark = pytest.mark.django_db

BATCH_PURPOSE = "tests.batch_note"


@pytest.fixture
def batched(note_purpose, sent_tasks):
    calls: list[list[int]] = []

    def build_many(messages):
        calls.append([m.pk for m in messages])
        built = {}
        for m in messages:
            try:
                built[m.pk] = _build(m)
            except Exception as exc:  # what build would raise, per message
                built[m.pk] = exc
        return built

    registry.register(
        BATCH_PURPOSE,
        label="Batched note",
        template="emails/tests/note",
        build=_build,
        build_many=build_many,
    )
    return calls


def queue(n: int, special: dict | None = None) -> list[Message]:
    """n messages; `special` maps an index to its address or extra context (skip, explode)."""
    special = special or {}
    queue_messages(
        NewMessage(
            purpose=BATCH_PURPOSE,
            key=f"b{i}",
            to_email=special.get(i, {}).get("to", f"p{i}@example.test"),
            context={"name": f"P{i}", "topic": "Visit", **special.get(i, {}).get("ctx", {})},
        )
        for i in range(n)
    )
    return list(Message.objects.filter(purpose=BATCH_PURPOSE).order_by("pk"))


def test_a_batch_is_built_in_chunks_and_each_message_sent_once(smtp_sink, batched, settings):
    settings.CXAUDIT_OUTBOX_BATCH = 60
    messages = queue(60)
    report = deliver_due()
    assert report.sent == 60
    chunk = registry.BUILD_CHUNK
    assert [len(c) for c in batched] == [min(chunk, 60 - start) for start in range(0, 60, chunk)]
    assert sorted({pk for c in batched for pk in c}) == [m.pk for m in messages]
    ids = smtp_sink.message_ids()
    assert len(ids) == 60 and set(ids.values()) == {1}
    assert set(Message.objects.values_list("state", flat=True)) == {State.SENT}
    assert deliver_due().handled == 0  # nothing goes twice


def test_each_recipient_of_a_batch_ends_on_its_own(smtp_sink, batched):
    smtp_sink.reject["gone@example.test"] = "550 5.1.1 No such user here"
    smtp_sink.reject["busy@example.test"] = "451 4.7.1 Try again later"
    messages = queue(
        8,
        {
            1: {"to": "gone@example.test"},
            3: {"to": "busy@example.test"},
            5: {"ctx": {"skip": True}},
            6: {"ctx": {"explode": True}},
        },
    )
    report = deliver_due()
    assert (report.sent, report.failed, report.retry, report.cancelled) == (4, 2, 1, 1)
    state = {m.pk: m for m in Message.objects.all()}
    assert state[messages[1].pk].state == State.FAILED and "550" in state[messages[1].pk].last_error
    assert state[messages[3].pk].state == State.RETRY and "451" in state[messages[3].pk].last_error
    assert state[messages[5].pk].state == State.CANCELLED
    assert state[messages[6].pk].state == State.FAILED
    assert "template bug" in state[messages[6].pk].last_error
    for i in (0, 2, 4, 7):
        assert state[messages[i].pk].state == State.SENT
    assert sorted(smtp_sink.message_ids().values()) == [1, 1, 1, 1]
    # The refused recipient comes back alone when due; the others are not sent again.
    del smtp_sink.reject["busy@example.test"]
    Message.objects.filter(pk=messages[3].pk).update(due_at=timezone.now())
    assert deliver_due().sent == 1
    assert sorted(smtp_sink.message_ids().values()) == [1, 1, 1, 1, 1]


def test_a_broken_build_many_falls_back_to_one_message_at_a_time(
    smtp_sink, note_purpose, sent_tasks
):
    def build_many(messages):
        raise RuntimeError("bug in the batch path")

    registry.register(
        BATCH_PURPOSE,
        label="Batched",
        template="emails/tests/note",
        build=_build,
        build_many=build_many,
    )
    queue(3, {2: {"ctx": {"skip": True}}})
    report = deliver_due()
    assert (report.sent, report.cancelled) == (2, 1)
    assert sorted(smtp_sink.message_ids().values()) == [1, 1]


def test_a_sender_lost_mid_batch_leaves_the_rest_to_the_sweeper_and_sends_nothing_twice(
    smtp_sink, batched, settings
):
    """A sender killed after some messages of its batch: the rows it had not finished stay
    "sending" under its lease; when the lease expires the sweeper hands them back and the next
    sender sends exactly those (same Message-ID), never the ones already recorded sent."""
    from cxaudit.messaging import delivery
    from cxaudit.messaging.services import sweep

    messages = queue(30)
    real = delivery._send_one
    sent = [0]

    class Killed(BaseException):  # not an Exception: nothing in the sender catches it
        pass

    def dying(message, *args, **kwargs):
        if sent[0] == 12:
            raise Killed
        sent[0] += 1
        return real(message, *args, **kwargs)

    delivery._send_one = dying
    try:
        with pytest.raises(Killed):
            deliver_due()
    finally:
        delivery._send_one = real
    assert Message.objects.filter(state=State.SENT).count() == 12
    assert Message.objects.filter(state=State.SENDING).count() == 18
    assert deliver_due().handled == 0  # the lease still holds
    Message.objects.filter(state=State.SENDING).update(lease_expires_at=timezone.now())
    assert sweep(wake=False).requeued == 18
    assert deliver_due().sent == 18
    ids = smtp_sink.message_ids()
    assert len(ids) == 30 and set(ids.values()) == {1}
    assert set(ids) == {m.message_id for m in messages}
