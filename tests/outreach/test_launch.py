"""Launching a campaign: invitations and their messages written in bounded batches under a
lease, exactly once whatever happens to the writer; the suppression window; cancelling and
closing; reminders planned by the tick and checked again when sent; unsubscribing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cxaudit.errors import InvalidTransition
from cxaudit.messaging import services as outbox
from cxaudit.messaging.models import Message, State
from surveys.models import Campaign, Contact, Invitation
from surveys.outreach import emails, launch, services
from tests.outreach.helpers import answer, campaign, contacts, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CXAUDIT_OUTREACH_BATCH = 10


def launched(org, actor, **values) -> Campaign:
    c = campaign(org, actor=actor, **values)
    services.launch_campaign(campaign=c, actor=actor)
    return c


def test_writing_is_batched_and_each_batch_moves_the_cursor(
    org, program_admin, sent_tasks, django_capture_on_commit_callbacks
):
    contacts(org, 25)
    with django_capture_on_commit_callbacks(execute=True):
        c = launched(org, program_admin)
    assert [t.name for t in sent_tasks] == ["surveys.write_invitations"]
    with django_capture_on_commit_callbacks(execute=True):
        report = launch.write_invitations(campaign_id=c.pk)
    assert (report.invited, report.batches, report.finished) == (25, 3, True)
    c.refresh_from_db()
    assert (c.status, c.invited_count, c.lease_token) == (Campaign.Status.SENT, 25, None)
    assert Message.objects.filter(purpose=emails.INVITATION).count() == 25
    assert Invitation.objects.filter(campaign=c, message__isnull=True).count() == 0
    keys = set(Message.objects.values_list("key", flat=True))
    assert keys == {
        f"invitation:{i}:invite" for i in Invitation.objects.values_list("pk", flat=True)
    }
    # One wake-up per batch for the senders, never a task per contact.
    assert [t.name for t in sent_tasks].count("messaging.dispatch") == 3
    assert len(sent_tasks) == 4
    assert launch.write_invitations(campaign_id=c.pk) is None  # a second delivery: nothing


def test_a_batch_costs_a_constant_number_of_queries(
    org, program_admin, django_assert_max_num_queries, settings
):
    settings.CXAUDIT_OUTREACH_BATCH = 200
    contacts(org, 400)
    c = launched(org, program_admin)
    # 2 batches + the empty one that finishes: the count does not grow with the contacts.
    with django_assert_max_num_queries(40):
        launch.write_invitations(campaign_id=c.pk)
    assert Invitation.objects.count() == 400


def test_a_lost_writer_is_taken_over_and_resumes_without_duplicates(
    org, program_admin, monkeypatch
):
    contacts(org, 25)
    c = launched(org, program_admin)
    real = launch._write_batch
    calls = {"n": 0}

    def killed_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("SIGKILL")
        return real(*args, **kwargs)

    monkeypatch.setattr(launch, "_write_batch", killed_on_third)
    with pytest.raises(SystemExit):
        launch.write_invitations(campaign_id=c.pk)
    c.refresh_from_db()
    assert (c.status, c.invited_count) == (Campaign.Status.SENDING, 20)
    monkeypatch.setattr(launch, "_write_batch", real)
    # While the lease holds, nobody else may write; once it expired the tick hands it over.
    assert launch.due_writers() == []
    Campaign.objects.filter(pk=c.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert launch.due_writers() == [c.pk]
    report = launch.write_invitations(campaign_id=c.pk)
    assert report.invited == 5
    assert Invitation.objects.count() == 25 == Message.objects.count()
    assert Contact.objects.filter(last_invited_at__isnull=True).count() == 0


def test_a_writer_whose_lease_was_taken_cannot_commit(org, program_admin):
    contacts(org, 5)
    c = launched(org, program_admin)
    now = timezone.now()
    assert c.claim_writer(token=uuid.uuid4(), lease_until=now - timedelta(seconds=1), now=now)
    # Another writer takes the expired lease; the first one's next batch is refused.
    stale = Campaign.objects.get(pk=c.pk)
    assert launch.write_invitations(campaign_id=c.pk).invited == 5
    assert not stale.record_batch(
        token=stale.lease_token, cursor=999, invited=1, skipped=0, lease_until=now
    )


def test_the_suppression_window_skips_recently_invited_contacts(org, program_admin):
    recent, old, never = contacts(org, 3)
    Contact.objects.filter(pk=recent.pk).update(last_invited_at=timezone.now() - timedelta(days=5))
    Contact.objects.filter(pk=old.pk).update(last_invited_at=timezone.now() - timedelta(days=45))
    Contact.objects.filter(pk=never.pk).update(unsubscribed_at=timezone.now())
    c = launched(org, program_admin, suppression_days=30)
    report = launch.write_invitations(campaign_id=c.pk)
    assert (report.invited, report.skipped) == (1, 2)
    assert list(Invitation.objects.values_list("contact", flat=True)) == [old.pk]
    # A second campaign right after skips the contact the first one invited.
    second = launched(org, program_admin, name="Second")
    assert launch.write_invitations(campaign_id=second.pk).invited == 0


def test_cancel_stops_what_has_not_gone(org, program_admin):
    contacts(org, 10)
    c = launched(org, program_admin)
    launch.write_invitations(campaign_id=c.pk)
    outbox.deliver_due(limit=4)
    c.refresh_from_db()
    stopped = services.cancel_campaign(campaign=c)
    assert stopped == 6
    outbox.deliver_due()
    assert len(mail.outbox) == 4
    assert Message.objects.filter(state=State.CANCELLED).count() == 6
    with pytest.raises(InvalidTransition):
        services.cancel_campaign(campaign=c)


def test_cancelling_while_the_writer_works_stops_it(org, program_admin):
    from django.db import transaction

    contacts(org, 30)
    c = launched(org, program_admin)
    token, now = uuid.uuid4(), timezone.now()
    assert c.claim_writer(token=token, lease_until=now + timedelta(minutes=1), now=now)
    writer = Campaign.objects.get(pk=c.pk)
    report = launch.WriteReport()
    with transaction.atomic():
        launch._write_batch(writer, token, report)  # the first batch commits
    services.cancel_campaign(campaign=Campaign.objects.get(pk=c.pk))  # staff, meanwhile
    with pytest.raises(launch.LeaseLost), transaction.atomic():
        launch._write_batch(writer, token, report)  # the next batch is rolled back
    assert Invitation.objects.count() == 10
    assert Message.objects.exclude(state=State.CANCELLED).count() == 0


@pytest.mark.parametrize("status", ["scheduled", "sending", "sent", "closed", "cancelled"])
def test_only_a_draft_can_be_edited_or_launched(org, program_admin, status):
    c = campaign(org, actor=program_admin)
    Campaign.objects.filter(pk=c.pk).update(status=status, launched_at=timezone.now())
    c.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.launch_campaign(campaign=c, actor=program_admin)
    with pytest.raises(InvalidTransition):
        services.save_campaign(organization=org, actor=None, values={"name": "x"}, campaign=c)


def test_two_launches_of_one_draft_make_one_winner(org, program_admin):
    c = campaign(org, actor=program_admin)
    first, second = Campaign.objects.get(pk=c.pk), Campaign.objects.get(pk=c.pk)
    first.schedule(by=program_admin, at=timezone.now(), send_at=timezone.now())
    with pytest.raises(InvalidTransition, match="changed meanwhile"):
        second.schedule(by=program_admin, at=timezone.now(), send_at=timezone.now())


def test_a_scheduled_campaign_starts_when_its_time_comes(org, program_admin, sent_tasks):
    contacts(org, 2)
    c = campaign(org, actor=program_admin)
    later = timezone.now() + timedelta(hours=2)
    services.launch_campaign(campaign=c, actor=program_admin, send_at=later)
    assert sent_tasks == []
    assert launch.tick().writers == 0
    assert launch.tick(now=later + timedelta(seconds=1)).writers == 1


def send_all():
    outbox.deliver_due()


def test_reminders_are_planned_by_the_tick_and_rechecked_when_sent(org, program_admin):
    a, b, c_ = contacts(org, 3)
    c = launched(org, program_admin, reminder_days=[3, 7])
    launch.write_invitations(campaign_id=c.pk)
    send_all()
    assert len(mail.outbox) == 3
    now = timezone.now()
    assert launch.queue_due_reminders(now=now) == 0  # not due yet
    day4 = now + timedelta(days=4)
    # b answers; c unsubscribes after its reminder was queued.
    answer(Invitation.objects.get(contact=b))
    assert launch.queue_due_reminders(now=day4) == 2
    services.unsubscribe_contact(contact=c_)
    mail.outbox.clear()
    send_all()
    assert [m.to for m in mail.outbox] == [['"Pat0 Lee" <pat0@example.test>']]
    assert mail.outbox[0].subject == "Reminder: Pat0, how was your visit?"
    assert launch.queue_due_reminders(now=day4) == 0  # planned once
    day8 = now + timedelta(days=8)
    assert launch.queue_due_reminders(now=day8) == 1  # the second reminder of a only
    assert launch.queue_due_reminders(now=now + timedelta(days=30)) == 0
    inv_a = Invitation.objects.get(contact=a)
    assert (inv_a.reminders_sent, inv_a.next_reminder_at) == (2, None)


def test_a_reminder_queued_before_the_answer_is_not_sent(org, program_admin):
    (a,) = contacts(org, 1)
    c = launched(org, program_admin, reminder_days=[1])
    launch.write_invitations(campaign_id=c.pk)
    send_all()
    assert launch.queue_due_reminders(now=timezone.now() + timedelta(days=2)) == 1
    answer(Invitation.objects.get(contact=a))
    mail.outbox.clear()
    send_all()
    assert mail.outbox == []
    reminder = Message.objects.get(purpose=emails.REMINDER)
    assert (reminder.state, reminder.last_error) == (
        State.CANCELLED,
        "The survey was already answered.",
    )


def test_unsubscribing_stops_every_campaign_of_the_organisation(org, program_admin, client):
    (a,) = contacts(org, 1)
    first = launched(org, program_admin, suppression_days=0)
    launch.write_invitations(campaign_id=first.pk)
    send_all()
    second = launched(org, program_admin, name="Second", suppression_days=0)
    launch.write_invitations(campaign_id=second.pk)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A link scanner's GET changes nothing; the one-click POST unsubscribes at once.
    assert client.get(url).status_code == 200
    a.refresh_from_db()
    assert a.unsubscribed_at is None
    r = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 200 and r["Referrer-Policy"] == "no-referrer"
    a.refresh_from_db()
    assert a.unsubscribed_at is not None
    assert set(Invitation.objects.values_list("status", flat=True)) == {"unsubscribed"}
    mail.outbox.clear()
    send_all()
    assert mail.outbox == []
    assert launch.queue_due_reminders(now=timezone.now() + timedelta(days=30)) == 0
    assert client.post(url).status_code == 200  # again: still fine, nothing changes


def test_closing_expires_unanswered_invitations_and_their_links(org, program_admin, client):
    contacts(org, 2)
    c = launched(org, program_admin)
    launch.write_invitations(campaign_id=c.pk)
    send_all()
    token = token_in(mail.outbox[0].body)
    Campaign.objects.filter(pk=c.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert launch.tick().closed == 1
    assert set(Invitation.objects.values_list("status", flat=True)) == {"expired"}
    page = client.get(f"/i/{token}/")
    assert page.status_code == 404 and b"This link has expired" in page.content


def test_personalisation_values_are_escaped_and_kept_on_one_line(org, program_admin):
    Contact.objects.create(
        organization=org,
        email="evil@example.test",
        first_name='<script>alert("x")</script>\r\nBcc: all@example.test',
        last_name="O'Brien & Sons",
    )
    c = launched(
        org,
        program_admin,
        subject_template="Hi {{ first_name }}",
        message_template="Dear {{ full_name }},\n\nThanks.",
    )
    launch.write_invitations(campaign_id=c.pk)
    send_all()
    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "O&#x27;Brien &amp; Sons" in html
    assert "\n" not in email.subject and "Bcc" in email.subject  # one line, no new header
    assert 'Dear <script>alert("x")</script> Bcc: all@example.test O\'Brien & Sons,' in email.body
    assert email.message()["Bcc"] is None


@pytest.mark.parametrize(
    ("field", "text", "error"),
    [
        ("subject_template", "Hi {{ firstname }}", "Unknown placeholder {{ firstname }}"),
        ("message_template", "{% load x %}", "“{%” is not a placeholder"),
        ("message_template", "{{ contact.email }}", "Unknown placeholder {{ contact.email }}"),
    ],
)
def test_unknown_placeholders_are_refused_naming_the_field(org, field, text, error):
    from cxaudit.errors import DomainError

    with pytest.raises(DomainError) as caught:
        campaign(org, **{field: text})
    assert caught.value.field == field and error in caught.value.message


def test_a_large_batch_of_messages_is_copied_and_a_concurrent_duplicate_is_skipped(org):
    from cxaudit.messaging import services as outbox_services
    from cxaudit.messaging.services import NewMessage, queue_messages_by_key

    now = timezone.now()
    first = outbox_services._row(
        NewMessage(purpose=emails.TEST, key="k0", to_email="a@example.test"), now
    )
    first.save()  # a concurrent writer queued the same event meanwhile: COPY is refused whole
    ids = queue_messages_by_key(
        NewMessage(purpose=emails.TEST, key=f"k{i}", to_email=f"p{i}@example.test")
        for i in range(300)
    )
    assert Message.objects.filter(purpose=emails.TEST).count() == 300
    assert Message.objects.get(key="k0").to_email == "a@example.test"  # the first one won
    assert ids == dict(
        ((emails.TEST, k), pk)
        for k, pk in Message.objects.filter(purpose=emails.TEST).values_list("key", "pk")
    )
    ids = queue_messages_by_key(
        NewMessage(
            purpose=emails.TEST,
            key=f"c{i}",
            to_email=f"c{i}@example.test",
            context={"n": i, "text": 'tab\tand "quotes"'},
        )
        for i in range(300)
    )
    stored = Message.objects.get(key="c7")
    assert ids[(emails.TEST, "c7")] == stored.pk  # ids taken from the sequence for COPY
    assert stored.context == {"n": 7, "text": 'tab\tand "quotes"'}
    assert stored.state == State.QUEUED and stored.message_id.startswith("<")
