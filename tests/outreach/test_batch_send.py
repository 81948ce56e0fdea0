"""Invitations sent in batches (emails.build_invitations): a few emails share one query for
their invitations, one insert for their links and one rendering of the campaign's words, and
each is still exactly what it would be alone."""

from __future__ import annotations

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from cxaudit.messaging import registry
from cxaudit.messaging import services as outbox
from cxaudit.messaging.models import Message, State
from surveys.models import Invitation, InvitationLink
from surveys.outreach import emails, launch, personalise, services
from tests.outreach.helpers import answer, campaign, contacts, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def launched(org, actor, n, **values):
    c = campaign(org, actor=actor, **values)
    services.launch_campaign(campaign=c, actor=actor)
    launch.write_invitations(campaign_id=c.pk)
    return c


def test_a_batch_sends_each_invitation_once_with_its_own_link(
    org, location, program_admin, locmem, sent_tasks, settings, django_assert_max_num_queries
):
    settings.CXAUDIT_OUTBOX_BATCH = 60
    contacts(org, 60, location=location)
    launched(org, program_admin, 60)
    chunks = -(-60 // registry.BUILD_CHUNK)
    # Per chunk: the invitations, their campaigns, the links; per message: the fenced "sent"
    # update (on this connection inside a test's transaction). Not a query per message more.
    with django_assert_max_num_queries(5 + 3 * chunks + 60):
        report = outbox.deliver_due()
    assert report.sent == 60 and len(mail.outbox) == 60
    tokens = {token_in(m.body) for m in mail.outbox}
    assert len(tokens) == 60 and InvitationLink.objects.count() == 60
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == 60
    assert Message.objects.filter(state=State.SENT).count() == 60
    assert outbox.deliver_due().handled == 0


def test_the_composed_email_is_what_the_templates_give(org, location, program_admin):
    c = campaign(
        org,
        actor=program_admin,
        message_template="Hello {{ first_name }} & co,\n\n<b>{{ location_name }}</b>\nbye",
        language="fr",
    )
    values = {
        "first_name": '<script>"Zoë"</script>',
        "last_name": "O'Hara",
        "full_name": "x",
        "location_name": "Gare & Co",
        "survey_title": "S",
        "sender_name": c.sender_name,
        "expiry_date": "",
    }
    url = "https://example.test/i/abc-_DEF/?a=1&b=2"
    unsub = "https://example.test/u/x:y&z/"
    for reminder, unsubscribe in ((0, unsub), (2, unsub), (0, "")):
        got = emails.compose(
            campaign=c,
            values=values,
            url=url,
            language="fr",
            reminder=reminder,
            unsubscribe=unsubscribe,
        )
        with translation.override("fr"):
            from django.utils import formats

            expiry = formats.date_format(timezone.localtime(c.expires_at), "j F Y")
            filled = {**values, "expiry_date": expiry}
            context = {
                "campaign": c,
                "message_text": personalise.fill(c.message_template, filled),
                "message_html": mark_safe(personalise.fill_html(c.message_template, filled)),  # noqa: S308
                "url": url,
                "expiry_date": expiry,
                "sender_name": personalise.clean_value(c.sender_name),
                "reminder": reminder,
                "unsubscribe_url": unsubscribe,
                "test": False,
                "language": "fr",
            }
            text = render_to_string("emails/outreach/body.txt", context)
            html = render_to_string("emails/outreach/body.html", context)
        assert got["text_body"] == text
        assert got["html_body"] == html
        assert "&lt;script&gt;" in got["html_body"] and "<script>" not in got["html_body"]
        assert "a=1&amp;b=2" in got["html_body"] and "a=1&b=2" in got["text_body"]


def test_still_wanted_is_checked_when_the_chunk_is_built(
    org, location, program_admin, locmem, sent_tasks
):
    people = contacts(org, 4, location=location)
    c = launched(org, program_admin, 4)
    # Claimed by a sender already (its queued row is no longer cancellable), then unsubscribed:
    # the chunk's check refuses it.
    token, ids = Message.objects.claim_due(limit=10, lease=timezone.timedelta(minutes=5))
    services.unsubscribe_contact(contact=people[1])
    answer(Invitation.objects.get(campaign=c, contact=people[2]))
    from cxaudit.messaging.delivery import deliver

    report = deliver(token, ids)
    assert (report.sent, report.cancelled) == (2, 2)
    sent_to = sorted(m.to[0] for m in mail.outbox)
    assert all("pat1@" not in t and "pat2@" not in t for t in sent_to)
    reasons = set(
        Message.objects.filter(state=State.CANCELLED).values_list("last_error", flat=True)
    )
    assert reasons == {"The contact unsubscribed.", "The survey was already answered."}
