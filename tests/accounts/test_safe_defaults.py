"""Safe defaults and honest words: a new member starts with the least powerful role and sees
the locations field only for client managers; /healthz reports the worker and beat as they
are; a refused request is logged once, without a traceback; the words of the login page match
what the product does; one spelling of each role."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.beat import HeartbeatScheduler
from cxaudit.accounts.models import Location, Membership, Role, WorkerHeartbeat
from cxaudit.accounts.services import record_heartbeat
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_adding_a_member_starts_with_the_least_powerful_role(org, admin_client_org, location):
    page = admin_client_org.get(reverse("accounts:member_add", args=[org.slug])).content.decode()
    options = re.findall(r'<option value="(\w+)"( selected)?>', page)
    assert options[0] == ("shopper", " selected")
    assert [v for v, _ in options] == ["shopper", "client_manager", "reviewer", "program_admin"]
    # The locations apply to client managers: app.js shows them for that role only.
    assert 'data-shows="div_id_locations" data-shows-value="client_manager"' in page
    assert '<div id="div_id_locations"' in page


@pytest.mark.django_db
def test_locations_ticked_for_another_role_are_not_kept(org, admin_client_org, location):
    url = reverse("accounts:member_add", args=[org.slug])
    data = {"email": "new@acme.test", "role": "reviewer", "locations": [location.pk]}
    assert admin_client_org.post(url, data).status_code == 302
    member = Membership.objects.get(user__email="new@acme.test")
    assert member.role == Role.REVIEWER and not member.locations.exists()
    data = {"email": "mgr@acme.test", "role": "client_manager", "locations": [location.pk]}
    assert admin_client_org.post(url, data).status_code == 302
    assert list(Membership.objects.get(user__email="mgr@acme.test").locations.all()) == [location]
    assert Location.objects.count() == 1


@pytest.mark.django_db
def test_healthz_reports_worker_and_beat_as_they_are(client, monkeypatch):
    # Beat closes stale connections before it writes; inside a test transaction it must not.
    monkeypatch.setattr("cxaudit.accounts.beat.close_old_connections", lambda: None)
    body = client.get(reverse("healthz")).json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["worker"]["state"] == body["beat"]["state"] == "never seen"
    record_heartbeat(name="worker")
    HeartbeatScheduler.record_heartbeat()  # what beat does as it ticks
    body = client.get(reverse("healthz")).json()
    assert body["worker"]["state"] == body["beat"]["state"] == "running"
    # A worker that stopped three intervals ago is late; beat still runs.
    late = timezone.now() - dt.timedelta(seconds=3 * settings.CXAUDIT_HEARTBEAT_SECONDS + 5)
    WorkerHeartbeat.objects.filter(name="worker").update(last_beat_at=late)
    body = client.get(reverse("healthz")).json()
    assert (body["worker"]["state"], body["beat"]["state"]) == ("late", "running")
    assert body["worker"]["seconds_ago"] >= 3 * settings.CXAUDIT_HEARTBEAT_SECONDS


def test_beat_schedules_the_workers_heartbeat_with_its_own_scheduler():
    entry = settings.CELERY_BEAT_SCHEDULE["accounts.health_check"]
    assert entry["schedule"] == settings.CXAUDIT_HEARTBEAT_SECONDS
    assert settings.CELERY_BEAT_SCHEDULER == "cxaudit.accounts.beat:HeartbeatScheduler"


@pytest.mark.worker
def test_a_real_worker_shows_as_running(celery_worker, client):
    from cxaudit.celery import app

    app.send_task("accounts.health_check", queue=celery_worker.queue)
    wait_for(lambda: WorkerHeartbeat.objects.filter(name="worker").exists(), timeout=30)
    assert client.get(reverse("healthz")).json()["worker"]["state"] == "running"


@pytest.mark.django_db
def test_a_refused_request_is_logged_once_without_a_traceback(org, shopper):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        c = Client()
        c.force_login(shopper)
        assert c.get(reverse("insights:dashboard", args=[org.slug])).status_code == 403
    finally:
        logger.removeHandler(handler)
    forbidden = [r for r in records if getattr(r, "status_code", None) == 403]
    assert len(forbidden) == 1
    assert forbidden[0].exc_info is None
    assert "Traceback" not in logging.Formatter().format(forbidden[0])
    # Not passed on to Django's own handler as well (it prints in development).
    assert logger.propagate is False


def test_the_login_page_promises_no_invitation_email():
    text = (ROOT / "templates" / "registration" / "login.html").read_text()
    assert "invitation" not in text


def test_one_spelling_of_each_role_name():
    words = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("docs/*.md")]:
        words += re.findall(r"(?i)programme admin|program-admin|client-manager", path.read_text())
    assert not words, words
    assert Role.PROGRAM_ADMIN.label == "Program admin"
