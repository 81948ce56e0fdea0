"""The whole path once, calling services and the outbox in-process: launch, send, open the
link, answer, completed."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from cxaudit.messaging import services as outbox
from cxaudit.messaging.models import Message, State
from surveys.models import Campaign, Invitation, InvitationLink, Response
from surveys.outreach import launch, services
from tests.outreach.helpers import campaign, contacts, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_launch_send_open_answer(org, location, program_admin, locmem, client, sent_tasks):
    people = contacts(org, 3, location=location)
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    report = launch.write_invitations(campaign_id=c.pk)
    assert report.invited == 3 and report.finished
    c.refresh_from_db()
    assert c.status == Campaign.Status.SENT
    assert Invitation.objects.filter(campaign=c, message__isnull=False).count() == 3
    outbox.deliver_due()
    assert Message.objects.filter(state=State.SENT).count() == 3
    assert len(mail.outbox) == 3
    email = next(
        m for m in mail.outbox if m.to[0].endswith("<pat0@example.test>") or "pat0" in m.to[0]
    )
    assert email.subject == "Pat0, how was your visit?"
    assert "List-Unsubscribe" in email.extra_headers
    token = token_in(email.body)
    assert InvitationLink.objects.count() == 3
    # The raw token is nowhere in the database.
    with connection.cursor() as cur:
        cur.execute("SELECT context::text FROM messaging_message")
        assert all(token not in row[0] for row in cur.fetchall())
    r = client.get(f"/i/{token}/")
    assert r.status_code == 302 and token not in r["Location"]
    assert r["Referrer-Policy"] == "no-referrer"
    page = client.get(r["Location"])
    assert page.status_code == 200
    inv = Invitation.objects.get(contact=people[0])
    assert inv.status == Invitation.Status.OPENED and inv.response is not None
    done = client.post(f"/r/{inv.key}/submit/", {"q-sat": "4", "q-nps": "9"})
    assert done.status_code == 302, done.content[:2000]
    inv.refresh_from_db()
    assert inv.status == Invitation.Status.COMPLETED
    assert inv.response.status == Response.Status.SUBMITTED
    thanks = client.get(done["Location"])
    assert thanks.status_code == 200 and b"Thank you" in thanks.content
