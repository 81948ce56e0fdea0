"""The customer's blank survey page served from its shell (surveys/outreach/public.py): the same
page as a full render, one query, and never when the page should differ (answers to show, a
renamed organisation, a closed campaign, another language). And the customer's session cookie."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client
from django.utils import timezone

from surveys.models import Invitation
from surveys.outreach import public
from surveys.responses import shells
from tests.outreach.helpers import token_in

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(")')


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    public.shells.clear()


@pytest.fixture
def sent_links(sent):
    """The personal links of the conftest's campaign (the second contact speaks French)."""
    c, people, by_to = sent
    return c, [f"/i/{token_in(by_to[p.email].body)}/" for p in people]


def opened(link: str) -> tuple[Client, str]:
    """A browser that followed the link and saw the form once (the draft started)."""
    browser = Client()
    form = browser.get(link)["Location"]
    assert browser.get(form).status_code == 200
    return browser, form


def test_the_page_from_the_shell_is_the_full_page_in_one_query(
    sent_links, monkeypatch, django_assert_num_queries
):
    _, links = sent_links
    for link in links:  # English and French
        browser, form = opened(link)
        with django_assert_num_queries(1):  # the invitation's state; no session, no template
            fast = browser.get(form)
        # The same page rendered in full: no value passes the shell's check.
        monkeypatch.setattr(shells, "SAFE_VALUE", re.compile(r"(?!)"))
        full = browser.get(form)
        monkeypatch.undo()
        assert fast.status_code == full.status_code == 200
        assert CSRF.sub(rb"\1\2", fast.content) == CSRF.sub(rb"\1\2", full.content)
        assert fast["Content-Language"] == full["Content-Language"]
        for name in ("Referrer-Policy", "Cache-Control", "X-Robots-Tag", "Content-Type"):
            assert fast[name] == full[name], name
        # Each page has the browser's own CSRF token, invitation key and draft.
        inv = Invitation.objects.get(key=form.split("/")[2])
        assert f"/r/{inv.key}/submit/".encode() in fast.content
        assert str(inv.response.client_id).encode() in fast.content
        assert CSRF.search(fast.content).group(0) != CSRF.search(full.content).group(0)


def test_the_shell_follows_the_language_and_the_organisation_name(sent_links, org):
    _, links = sent_links
    english, english_form = opened(links[0])
    french, french_form = opened(links[1])
    assert b'<html lang="fr">' in french.get(french_form).content
    assert b'<html lang="en">' in english.get(english_form).content
    org.name = "Northline <Rail> & Co"
    org.save()
    page = english.get(english_form).content
    assert b"Northline &lt;Rail&gt; &amp; Co" in page and b"<Rail>" not in page


def test_saved_answers_are_shown_not_the_blank_form(sent_links):
    _, links = sent_links
    browser, form = opened(links[0])
    assert browser.post(form + "autosave/", {"q-sat": "2"}).status_code == 200
    assert b'value="2" checked' in browser.get(form).content


def test_a_closed_expired_or_answered_invitation_never_gets_the_blank_form(sent_links):
    c, links = sent_links
    browser, form = opened(links[0])
    Invitation.objects.filter(campaign=c).update(status="expired", next_reminder_at=None)
    r = browser.get(form)
    assert r.status_code == 404 and b"survey-form" not in r.content
    Invitation.objects.filter(campaign=c).update(status="opened")
    c.expires_at = timezone.now() - timedelta(minutes=1)
    c.save(update_fields=["expires_at"])
    assert browser.get(form).status_code == 404
    c.expires_at = timezone.now() + timedelta(days=3)
    c.status = "cancelled"
    c.save(update_fields=["expires_at", "status"])
    assert browser.get(form).status_code == 404
    c.status = "sent"
    c.save(update_fields=["status"])
    assert browser.get(form).status_code == 200
    browser.post(form + "submit/", {"q-sat": "4", "q-nps": "9"})
    assert browser.get(form)["Location"] == form + "thanks/"


def test_the_session_is_a_signed_cookie_and_no_session_row(sent_links):
    _, links = sent_links
    browser = Client()
    r = browser.get(links[0])
    cookie = r.cookies[public.RESPONDENT_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"]
    assert Session.objects.count() == 0
    form = r["Location"]
    assert browser.get(form).status_code == 200
    # Changed by hand, signed with another salt, or too old: the session holds nothing.
    inv = Invitation.objects.get(key=form.split("/")[2])
    forged = [
        cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB"),
        signing.dumps({"i": [inv.pk], "a": []}, salt="another.salt"),
    ]
    for value in forged:
        other = Client()
        other.cookies[public.RESPONDENT_COOKIE] = value
        page = other.get(form)
        assert page.status_code == 404 and b"Open your link again" in page.content


def test_an_old_session_cookie_holds_nothing(sent_links, settings):
    _, links = sent_links
    browser, form = opened(links[0])
    settings.SESSION_COOKIE_AGE = -1  # every cookie signed before now is too old
    page = browser.get(form)
    assert page.status_code == 404 and b"Open your link again" in page.content


def test_the_cookie_keeps_the_newest_invitations(org, program_admin):
    held = public.Held()
    invitations = [Invitation(pk=pk, campaign_id=1) for pk in range(1, 26)]
    for inv in invitations:
        held = held.remember(inv)
    assert held.invitations == tuple(range(6, 26))
    held = held.remember(invitations[10])  # seen again: the newest
    assert held.invitations[-1] == 11 and len(held.invitations) == 20
    held = held.remember(invitations[0], anonymous=True)
    assert held.anonymous_answer(1) == 1


def test_shell_fill_refuses_values_that_are_not_url_safe():
    shell = shells.PageShell.from_html(
        '<a href="/r/KEY/">x</a><script>{"k": "KEY", "t": "TOK"}</script>',
        {"key": "KEY", "csrf": "TOK"},
    )
    assert shell.fill({"key": "ab-12", "csrf": "Zz9"}) == (
        b'<a href="/r/ab-12/">x</a><script>{"k": "ab-12", "t": "Zz9"}</script>'
    )
    for bad in ('"><script>', "a b", "é", "a&b", "</script>"):
        assert shell.fill({"key": bad, "csrf": "x"}) is None


def test_the_shell_cache_keeps_the_newest():
    cache = shells.ShellCache(size=2)
    for key in "abc":
        cache.get_or_render(key, {"v": "V"}, lambda key=key: f"{key}:V")
    assert cache.get("a") is None
    assert cache.get("c").fill({"v": "1"}) == b"c:1"
