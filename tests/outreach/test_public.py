"""The customer's pages: a token exchanged for the session, no oracle for guessers, rate limits,
the form engine on the invitation, one response per invitation under concurrent submits, expiry,
the anonymous link's limits."""

from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from cxaudit.messaging import services as outbox
from surveys.models import Campaign, Invitation, InvitationLink, Response
from surveys.outreach import emails, launch, services
from tests.outreach.helpers import answer, campaign, contacts, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def link(sent, i: int = 0) -> str:
    _, people, by_to = sent
    return f"/i/{token_in(by_to[people[i].email].body)}/"


def test_each_email_carries_its_own_link_and_only_hashes_are_stored(sent):
    _, people, by_to = sent
    tokens = {token_in(m.body) for m in by_to.values()}
    assert len(tokens) == 3 and all(len(t) >= 43 for t in tokens)  # 256 bits, url-safe
    stored = set(InvitationLink.objects.values_list("token_hash", flat=True))
    from surveys.outreach.models import token_hash

    assert stored == {token_hash(t) for t in tokens}
    with connection.cursor() as cur:
        for table in ("messaging_message", "surveys_invitation", "surveys_invitationlink"):
            cur.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = repr(cur.fetchall())
            assert not any(t in dump for t in tokens), table
    # A retry (or a reminder) makes a fresh token for the same invitation.
    inv = Invitation.objects.get(contact=people[0])
    emails.build_invitation(inv.message)
    assert InvitationLink.objects.filter(invitation=inv).count() == 2


def test_the_token_is_exchanged_for_the_session_and_leaves_the_address(sent, client):
    _, people, _ = sent
    r = client.get(link(sent))
    inv = Invitation.objects.get(contact=people[0])
    assert r.status_code == 302 and r["Location"] == f"/r/{inv.key}/"
    for name in ("Referrer-Policy", "Cache-Control", "X-Robots-Tag"):
        assert r.has_header(name)
    assert r["Referrer-Policy"] == "no-referrer"
    page = client.get(r["Location"])
    # The form's address holds no secret; it keeps same-origin so its POSTs carry an Origin.
    assert page.status_code == 200 and page["Referrer-Policy"] == "same-origin"
    assert b"How satisfied were you?" in page.content
    assert link(sent)[3:-1].encode() not in page.content
    # Another browser without the session gets nothing from the token-less address.
    other = Client().get(f"/r/{inv.key}/")
    assert other.status_code == 404 and b"Open your link again" in other.content


def test_save_and_resume_through_the_same_link(sent, client):
    _, people, _ = sent
    client.get(link(sent))
    inv = Invitation.objects.get(contact=people[0])
    saved = client.post(f"/r/{inv.key}/autosave/", {"q-sat": "2"})
    assert saved.status_code == 200
    inv.refresh_from_db()
    assert inv.status == Invitation.Status.STARTED
    later = Client()  # another day, another browser: the same link resumes the draft
    r = later.get(link(sent))
    page = later.get(r["Location"])
    assert b'value="2" checked' in page.content


def test_the_page_follows_the_contacts_language_and_the_survey_text_stays(sent, client):
    r = client.get(link(sent, 1))
    page = client.get(r["Location"])
    html = page.content.decode()
    assert '<html lang="fr">' in html and page["Content-Language"] == "fr"
    assert "Envoyer" in html and "Très insatisfait" in html
    assert "How satisfied were you?" in html  # the survey's own words, as written
    errors = client.post(r["Location"] + "submit/", {"q-nps": "12"})
    text = errors.content.decode()
    assert "Une réponse est nécessaire." in text and "Choisissez une valeur de 0 à 10." in text
    assert "2 réponses demandent votre attention" in text


def test_a_submission_completes_the_invitation_and_the_link_then_says_so(sent, client):
    _, people, _ = sent
    r = client.get(link(sent))
    done = client.post(r["Location"] + "submit/", {"q-sat": "4"})
    assert done.status_code == 302 and done["Location"].endswith("/thanks/")
    inv = Invitation.objects.get(contact=people[0])
    assert inv.status == "completed" and inv.response.status == "submitted"
    assert inv.response.source == "customer" and inv.response.location == people[0].location
    again = Client().get(link(sent))
    assert again.status_code == 404 and b"already answered" in again.content
    # The session that answered sees its thank-you page.
    assert client.get(r["Location"]).status_code == 302
    assert b"Thank you" in client.get(done["Location"]).content


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_on_one_link_make_one_response(org, program_admin, location):
    contacts(org, 1, location=location)
    c = campaign(org, actor=program_admin)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    outbox.deliver_due()
    token = token_in(mail.outbox[0].body)
    clients = [Client(), Client()]
    pages = [cl.get(f"/i/{token}/")["Location"] for cl in clients]
    clients[0].get(pages[0])  # the draft exists
    barrier = threading.Barrier(2)
    results = []

    def submit(cl, url):
        barrier.wait()
        results.append(cl.post(url + "submit/", {"q-sat": "5", "q-nps": "10"}).status_code)
        connection.close()

    threads = [
        threading.Thread(target=submit, args=(cl, p)) for cl, p in zip(clients, pages, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [302, 302]
    assert Response.objects.count() == 1
    (response,) = Response.objects.all()
    assert response.answers.count() == 2
    inv = Invitation.objects.get()
    assert inv.status == "completed" and inv.response_id == response.pk


def test_an_expired_link_says_so_to_its_holder(sent, client):
    c, *_ = sent
    r = client.get(link(sent))
    Campaign.objects.filter(pk=c.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(r["Location"])
    assert page.status_code == 404 and b"This link has expired" in page.content
    assert client.post(r["Location"] + "submit/", {"q-sat": "4"}).status_code == 404
    assert Response.objects.submitted().count() == 0
    fresh = Client().get(link(sent))
    assert fresh.status_code == 404 and b"This link has expired" in fresh.content


def _unusable_links(sent):
    """An unknown token, an expired invitation's, an answered one's."""
    _, people, _ = sent
    answered = link(sent, 2)
    answer(Invitation.objects.get(contact=people[2]))
    expired = link(sent, 1)
    Invitation.objects.filter(contact=people[1]).update(status="expired", next_reminder_at=None)
    return {"unknown": "/i/" + "A" * 43 + "/", "expired": expired, "answered": answered}


def test_a_guesser_learns_nothing_status_queries_and_headers_are_the_same(
    sent, django_assert_num_queries
):
    links = _unusable_links(sent)
    seen = {}
    for name, url in links.items():
        cl = Client()
        with django_assert_num_queries(1) as ctx:  # one lookup by hash, whatever the token
            r = cl.get(url)
        seen[name] = (
            r.status_code,
            tuple(sorted(k for k, _ in r.items() if k != "Content-Length")),
        )
        assert len(ctx.captured_queries) == 1
    assert len(set(seen.values())) == 1, seen
    assert seen["unknown"][0] == 404


def test_a_guesser_learns_nothing_from_the_timing(sent):
    links = _unusable_links(sent)
    times = {name: [] for name in links}
    cl = Client()
    for _ in range(3):  # warm up
        for url in links.values():
            cl.get(url)
    for _ in range(25):  # interleaved, so a busy machine affects all alike
        for name, url in links.items():
            start = time.perf_counter()
            cl.get(url)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    # Each is one indexed lookup and the same page: no outcome takes markedly longer.
    assert max(medians.values()) < 1.5 * min(medians.values()) + 0.002, medians


def test_attempts_are_limited_per_address_whatever_the_token(sent, settings):
    settings.CXAUDIT_OUTREACH_LINK_ATTEMPTS = 5
    links = _unusable_links(sent)
    cl = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [cl.get(links["unknown"]).status_code for _ in range(5)]
    assert statuses == [404] * 5
    # Over the limit every token, valid or not, gets the same refusal.
    for url in [*links.values(), link(sent, 0)]:
        r = cl.get(url)
        assert r.status_code == 429 and b"Too many attempts" in r.content
    # Another address is not affected.
    assert Client(REMOTE_ADDR="198.51.100.7").get(link(sent, 0)).status_code == 302


def test_an_unknown_link_in_a_french_browser_is_in_french(client):
    r = client.get("/i/" + "B" * 43 + "/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert r.status_code == 404 and "Ce lien n’est pas valide".encode() in r.content


def test_an_unsubscribe_link_with_a_bad_signature_is_refused(client):
    r = client.post("/u/not-a-signed-value/")
    assert r.status_code == 404


def test_the_anonymous_link_one_answer_per_session_and_a_cap(org, program_admin, location):
    c = campaign(org, actor=program_admin, location=location)
    services.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)  # nobody on the list: sent at once
    c.refresh_from_db()
    services.enable_anonymous_link(campaign=c, cap=2)
    url = f"/q/{c.anonymous_key}/"
    desk = Client()
    first = desk.get(url)
    assert first.status_code == 302
    assert desk.get(url)["Location"] == first["Location"]  # the same answer, not a second
    desk.post(first["Location"] + "submit/", {"q-sat": "3"})
    assert desk.get(desk.get(url)["Location"]).status_code == 302  # to its thank-you page
    second = Client().get(url)
    assert second.status_code == 302
    full = Client().get(url)
    assert full.status_code == 404 and b"This survey is full" in full.content
    c.refresh_from_db()
    assert c.anonymous_count == 2
    response = Response.objects.get(status="submitted")
    assert response.location == location and response.invitation.contact is None
    unknown = Client().get("/q/nope/")
    assert unknown.status_code == 404 and b"This link is not valid" in unknown.content
