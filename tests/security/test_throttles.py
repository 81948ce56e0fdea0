"""Class 1 of the hostile-input issue: throttles count the normalised identity and the client
address, so changing the case or padding of an email gives no fresh attempts."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cxaudit.messaging.models import Message
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


VARIANTS = [
    "admin@acme.test",
    "ADMIN@acme.test",
    "Admin@Acme.Test",
    " admin@acme.test ",
    "admin@ACME.TEST",
]


def login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_login_lockout_counts_every_spelling_of_one_email_together(program_admin, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, VARIANTS[i % len(VARIANTS)], "wrong")
    # Locked out: even the right password, in yet another spelling, is refused.
    assert login(client, "ADMIN@Acme.test", PASSWORD).status_code == 429
    assert login(client, "admin@acme.test", PASSWORD).status_code == 429


def test_a_lockout_does_not_spill_onto_another_account(program_admin, manager, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "ADMIN@acme.test", "wrong")
    assert login(client, manager.email.upper(), PASSWORD).status_code == 302


def test_login_identity_normalises_what_was_typed(rf):
    from cxaudit.accounts.security import login_identity

    request = rf.post("/", {"username": "  ＡＤＭＩＮ@Acme.Test "})  # full-width letters too
    assert login_identity(request) == "admin@acme.test"
    assert login_identity(None, {"username": "X@Y.Z"}) == "x@y.z"


def test_password_resets_are_limited_per_normalised_email(
    program_admin, settings, django_capture_on_commit_callbacks, sent_tasks
):
    settings.CXAUDIT_RESET_PER_EMAIL = 3
    client = Client()
    for variant in VARIANTS:
        response = client.post(reverse("password_reset"), {"email": variant})
        assert response.status_code == 302  # the same answer every time, limited or not
    assert Message.objects.filter(purpose="accounts.password_reset").count() == 3


def test_password_resets_are_limited_per_client_address(
    program_admin, manager, reviewer, settings, sent_tasks
):
    settings.CXAUDIT_RESET_PER_IP = 2
    client = Client()
    for user in (program_admin, manager, reviewer):
        client.post(reverse("password_reset"), {"email": user.email}, REMOTE_ADDR="203.0.113.9")
    assert Message.objects.filter(purpose="accounts.password_reset").count() == 2
    # Another address is not held back by the first one's attempts.
    client.post(reverse("password_reset"), {"email": reviewer.email}, REMOTE_ADDR="198.51.100.4")
    assert Message.objects.filter(purpose="accounts.password_reset").count() == 3


def test_the_throttle_counts_in_windows():
    from cxaudit.throttle import hit

    assert [hit("t", "k", limit=2, window=60) for _ in range(3)] == [True, True, False]
    assert hit("t", "other", limit=2, window=60) is True


# --- the client address, normalised ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "counted"),
    [
        ("203.0.113.9", "203.0.113.9"),
        (" 203.0.113.9 ", "203.0.113.9"),
        ("203.0.113.9:51234", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("::FFFF:cb00:7109", "203.0.113.9"),
        ("2001:db8::1", "2001:db8::"),
        ("2001:DB8:0:0:ffff:ffff:ffff:ffff", "2001:db8::"),
        ("2001:0db8:0000:0000:0000:0000:0000:0042", "2001:db8::"),
        ("[2001:db8::7]:443", "2001:db8::"),
        ("fe80::1%eth0", "fe80::"),
        ("2001:db8:0:1::1", "2001:db8:0:1::"),  # another /64: another client
    ],
)
def test_every_spelling_of_one_client_address_counts_as_one(written, counted):
    from cxaudit.throttle import normalise_address

    assert normalise_address(written) == counted


def test_client_ip_is_normalised_behind_a_trusted_proxy(rf, settings):
    from cxaudit.accounts.security import client_ip

    settings.TRUSTED_PROXY_COUNT = 1
    for hop in ("2001:db8::1", "2001:DB8::beef", "2001:db8:0:0:1:2:3:4"):
        request = rf.get("/", HTTP_X_FORWARDED_FOR=f"198.51.100.1, {hop}", REMOTE_ADDR="10.0.0.1")
        assert client_ip(request) == "2001:db8::"


def test_login_lockout_counts_every_address_of_one_ipv6_client_together(program_admin, settings):
    """Before: each of the 2^64 addresses of one IPv6 subscriber got fresh attempts."""
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(client, "admin@acme.test", "wrong", REMOTE_ADDR=f"2001:db8::{i + 1:x}")
    answer = login(client, "ADMIN@acme.test", PASSWORD, REMOTE_ADDR="2001:db8::ffff:1")
    assert answer.status_code == 429
    # Another subscriber (another /64) is not held back.
    assert (
        login(Client(), "admin@acme.test", PASSWORD, REMOTE_ADDR="2001:db8:1::1").status_code == 302
    )


def test_password_resets_per_address_count_every_spelling_of_it(
    program_admin, manager, reviewer, settings, sent_tasks
):
    settings.CXAUDIT_RESET_PER_IP = 2
    client = Client()
    for user, address in (
        (program_admin, "2001:db8::1"),
        (manager, "2001:db8::2"),
        (reviewer, "2001:DB8:0:0::3"),
    ):
        client.post(reverse("password_reset"), {"email": user.email}, REMOTE_ADDR=address)
    assert Message.objects.filter(purpose="accounts.password_reset").count() == 2


# --- one address trying many accounts -------------------------------------------------------


def test_failed_log_ins_are_counted_per_address_across_accounts(program_admin, settings):
    """Password spraying: one password tried on many accounts from one address never locks
    any one account (django-axes counts account and address together); the address is
    paused after CXAUDIT_LOGIN_FAILURES_PER_IP failures, whatever the accounts, and every
    spelling of the address counts."""
    settings.CXAUDIT_LOGIN_FAILURES_PER_IP = 6
    client = Client()
    for i in range(6):
        address = "2001:db8::1" if i % 2 else "2001:DB8::2"
        answer = login(client, f"user{i}@acme.test", "Summer2026!", REMOTE_ADDR=address)
        assert answer.status_code == 200 and "correct email and password" in answer.content.decode()
    answer = login(client, program_admin.email, PASSWORD, REMOTE_ADDR="2001:db8::3")
    assert answer.status_code == 200 and "Too many failed log-ins" in answer.content.decode()
    # Another address logs in as usual.
    assert (
        login(Client(), program_admin.email, PASSWORD, REMOTE_ADDR="198.51.100.4").status_code
        == 302
    )


def test_a_successful_log_in_is_not_counted_as_a_failure(program_admin, settings):
    settings.CXAUDIT_LOGIN_FAILURES_PER_IP = 2
    for _ in range(3):
        assert login(Client(), program_admin.email, PASSWORD).status_code == 302
