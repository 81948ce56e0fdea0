"""The zip's claim, lease and sweeper, and the emails when a wave closes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from cxaudit.accounts.models import Membership, Role
from cxaudit.journeys import services as journeys
from cxaudit.messaging.models import Message
from cxaudit.messaging.registry import Skip
from cxaudit.messaging.rendering import render
from cxaudit.reportpdfs import services
from cxaudit.reportpdfs.emails import WAVE_REPORT
from cxaudit.reportpdfs.models import PdfBatch, PdfSettings
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
State = PdfBatch.State


def new_batch(org, wave, locations, user=None) -> PdfBatch:
    return services.request_batch(
        organization=org, wave=wave, requested_by=user, locations=locations
    )


def test_a_batch_is_claimed_once(org, location, wave):
    batch = new_batch(org, wave, [location])
    assert batch.claim() is True
    assert PdfBatch.objects.get(pk=batch.pk).claim() is False  # a redelivered task
    assert services.build_batch(batch_id=batch.pk) is None  # running: left alone


def test_a_worker_that_lost_its_claim_stops_and_stores_nothing(org, location, wave):
    batch = new_batch(org, wave, [location])
    assert batch.claim()
    # The sweeper hands it to another worker meanwhile.
    PdfBatch.objects.filter(pk=batch.pk).update(state=State.QUEUED)
    assert batch.record_progress(1) is False
    assert batch.mark_ready(name="x.zip", size=1, keep=dt.timedelta(hours=1)) is False
    assert PdfBatch.objects.get(pk=batch.pk).state == State.QUEUED


def test_sweeper_requeues_lost_batches_and_fails_repeat_offenders(org, location, wave, sent_tasks):
    stale = timezone.now() - dt.timedelta(minutes=10)
    lost = new_batch(org, wave, [location])
    lost.claim()
    PdfBatch.objects.filter(pk=lost.pk).update(heartbeat_at=stale)
    cursed = PdfBatch.objects.create(
        organization=org,
        wave=wave,
        location_ids=[location.pk + 1],
        total=1,
        state=State.RUNNING,
        attempt=3,
        heartbeat_at=stale,
    )
    fresh = PdfBatch.objects.create(
        organization=org,
        wave=wave,
        location_ids=[location.pk + 2],
        total=1,
        state=State.RUNNING,
        attempt=1,
    )
    report = services.sweep()
    assert report.requeued == [lost.pk] and report.failed == 1
    assert PdfBatch.objects.get(pk=lost.pk).state == State.QUEUED
    assert PdfBatch.objects.get(pk=cursed.pk).state == State.FAILED
    assert PdfBatch.objects.get(pk=fresh.pk).state == State.RUNNING
    assert [(t.name, t.args) for t in sent_tasks] == [("reportpdfs.build_batch", [lost.pk])]
    # The re-queued batch is built by the next worker.
    assert services.build_batch(batch_id=lost.pk).state == State.READY


def test_sweeper_deletes_expired_zips(org, location, wave):
    batch = services.build_batch(batch_id=new_batch(org, wave, [location]).pk)
    name = batch.file.name
    assert default_storage.exists(name)
    assert services.sweep().deleted == 0
    PdfBatch.objects.filter(pk=batch.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert services.sweep().deleted == 1
    assert not default_storage.exists(name)
    batch.refresh_from_db()
    assert batch.state == State.EXPIRED and not batch.file


def test_request_refuses_an_empty_or_foreign_batch(org, other_org, location, wave):
    from cxaudit.errors import DomainError
    from tests.factories import make_wave

    with pytest.raises(DomainError, match="no locations"):
        new_batch(org, wave, [])
    with pytest.raises(DomainError, match="not one of this organisation"):
        new_batch(org, make_wave(other_org, "Theirs"), [location])


# --- emails when a wave closes ----------------------------------------------------------------


@pytest.fixture
def managers(org, location, second_location):
    """Kim manages Kingsbridge, Max manages both; Una sees every location (not limited)."""

    def manager(email, *locations):
        user = make_user(email, full_name=email.split("@")[0].title())
        m = Membership.objects.create(user=user, organization=org, role=Role.CLIENT_MANAGER)
        m.locations.add(*locations)
        return user

    return {
        "kim": manager("kim@acme.test", location),
        "max": manager("max@acme.test", location, second_location),
        "una": manager("una@acme.test"),
    }


def close(wave):
    with TestCase.captureOnCommitCallbacks(execute=True):
        journeys.close_wave(wave=wave)


def emails():
    return sorted(Message.objects.filter(purpose=WAVE_REPORT).values_list("key", "to_email"))


def test_closing_a_wave_emails_each_manager_of_each_location_once(
    org, location, second_location, wave, full_shop, other_shop, managers, sent_tasks
):
    PdfSettings.objects.create(organization=org, email_managers_on_close=True)
    close(wave)
    assert "reportpdfs.email_wave_reports" in [t.name for t in sent_tasks]
    assert services.queue_wave_report_emails(wave_id=wave.pk) == 3
    kgx, man = location.pk, second_location.pk
    k, m = managers["kim"].pk, managers["max"].pk
    assert emails() == sorted(
        [
            (f"wave:{wave.pk}:location:{kgx}:user:{k}", "kim@acme.test"),
            (f"wave:{wave.pk}:location:{kgx}:user:{m}", "max@acme.test"),
            (f"wave:{wave.pk}:location:{man}:user:{m}", "max@acme.test"),
        ]
    )
    # The task again (a redelivery), and closing the wave a second time: nothing more.
    assert services.queue_wave_report_emails(wave_id=wave.pk) == 0
    journeys.open_wave(wave=wave)
    close(wave)
    assert services.queue_wave_report_emails(wave_id=wave.pk) == 0
    assert len(emails()) == 3


def test_the_email_links_the_pdf_and_is_dropped_when_no_longer_true(
    org, location, wave, full_shop, managers
):
    PdfSettings.objects.create(organization=org, email_managers_on_close=True)
    close(wave)
    services.queue_wave_report_emails(wave_id=wave.pk)
    message = Message.objects.get(purpose=WAVE_REPORT, to_email="kim@acme.test")
    rendered = render(message)
    pdf = reverse("reportpdfs:location_pdf", args=[org.slug, location.code])
    assert f"{pdf}?wave={wave.pk}" in rendered.text and f"{pdf}?wave={wave.pk}" in rendered.html
    assert rendered.subject == "2026 Q4 report card: Kingsbridge"
    # Kim leaves Kingsbridge before the message goes: it is not sent.
    Membership.objects.get(user=managers["kim"]).locations.clear()
    with pytest.raises(Skip):
        render(message)


def test_no_email_unless_the_organisation_asked_or_without_shops(
    org, location, second_location, wave, full_shop, managers
):
    close(wave)
    assert services.queue_wave_report_emails(wave_id=wave.pk) == 0
    PdfSettings.objects.create(organization=org, email_managers_on_close=True)
    services.queue_wave_report_emails(wave_id=wave.pk)
    # Manchester had no approved shop in the wave: its manager gets Kingsbridge only.
    assert [to for _, to in emails()] == ["kim@acme.test", "max@acme.test"]


def test_the_setting_is_for_admins(org, program_admin, manager):
    from tests.shoppers.pages import client_of

    url = reverse("reportpdfs:settings", args=[org.slug])
    assert client_of(manager).post(url, {"email_managers_on_close": "on"}).status_code == 403
    assert client_of(program_admin).post(url, {"email_managers_on_close": "on"}).status_code == 302
    assert PdfSettings.of(org).email_managers_on_close is True
    client_of(program_admin).post(url, {})
    assert PdfSettings.of(org).email_managers_on_close is False
