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
