"""The demo: its customer answers came through two completed campaigns, and the open wave's
campaign waits in the development mailbox for a visitor to answer as a customer."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from cxaudit.accounts import demo as accounts_demo
from cxaudit.insights.demo import seed_demo
from cxaudit.journeys import demo as journeys_demo
from cxaudit.messaging.models import Message, State
from surveys.models import Campaign, Contact, Invitation, Response

pytestmark = pytest.mark.django_db


def test_the_demo_answers_come_from_campaigns_and_one_waits_in_the_mailbox(settings):
    org, _ = accounts_demo.seed()
    journeys_demo.seed_demo(org)
    seed_demo(org)
    campaigns = {c.name: c for c in Campaign.objects.for_org(org)}
    assert {n: c.status for n, c in campaigns.items()} == {
        "Passenger survey 2026 Q2": "closed",
        "Passenger survey 2026 Q3": "closed",
        "Passenger survey 2026 Q4": "sent",
        "Station follow-up 2026 Q4 (draft)": "draft",
    }
    customers = Response.objects.for_org(org).submitted().filter(source="customer")
    assert customers.count() == 380
    assert customers.filter(invitation__status="completed").count() == 380
    for name in ("Passenger survey 2026 Q2", "Passenger survey 2026 Q3"):
        invitations = Invitation.objects.filter(campaign=campaigns[name])
        assert invitations.filter(status="completed").count() == 190
        assert invitations.filter(status="expired").count() == 30
        assert invitations.filter(message__state=State.SENT).count() == 220
        assert all(
            i.response.wave_id == campaigns[name].wave_id
            for i in invitations.filter(status="completed").select_related("response")[:20]
        )
    waiting = Invitation.objects.filter(campaign=campaigns["Passenger survey 2026 Q4"])
    assert waiting.count() == 10 and set(waiting.values_list("status", flat=True)) == {"invited"}
    assert waiting.filter(language="fr").exists()

    # A visitor opens the newest email in the development mailbox and answers on a phone.
    settings.DEBUG = True
    phone = Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone)")
    listing = phone.get("/dev/mailbox/").content.decode()
    first = re.search(r'href="/dev/mailbox/(\d+)/"', listing).group(1)
    message = Message.objects.get(pk=first)
    assert message.purpose == "outreach.invitation" and message.state == State.SENT
    page = phone.get(f"/dev/mailbox/{first}/").content.decode()
    link = re.search(r'href="(https?://[^"]+/i/[^"]+/)"', page).group(1)
    form = phone.get(phone.get(urlsplit(link).path)["Location"])
    assert form.status_code == 200 and b"survey-form" in form.content

    # A second run changes nothing.
    before = (Campaign.objects.count(), Invitation.objects.count(), Contact.objects.count())
    seed_demo(org)
    assert (Campaign.objects.count(), Invitation.objects.count(), Contact.objects.count()) == before
