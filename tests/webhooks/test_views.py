"""The webhook pages: create (secret shown once), edit with the destination checked again,
disable, new secret, a delivery with its attempts and replay; outsiders get 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cxaudit.messaging.models import State
from cxaudit.webhooks.models import Delivery, Endpoint
from cxaudit.webhooks.services import emit
from tests.webhooks.helpers import endpoint

pytestmark = pytest.mark.django_db


def url(name, org, *args):
    return reverse(f"webhooks:{name}", args=[org.slug, *args])


def test_registering_shows_the_secret_once(org, admin_client_org, resolver):
    resolver.set("hooks.example.com", ["93.184.216.34"])
    page = admin_client_org.get(url("endpoint_list", org))
    assert "No webhook endpoint yet" in page.content.decode()
    response = admin_client_org.post(
        url("endpoint_create", org),
        {"url": "https://hooks.example.com/cx", "events": ["wave.closed", "shop.approved"]},
        follow=True,
    )
    ep = Endpoint.objects.get()
    html = response.content.decode()
    assert ep.secret in html and "shown this once" in html
    assert ep.events == ["shop.approved", "wave.closed"]  # in the documented order
    again = admin_client_org.get(url("endpoint_detail", org, ep.pk)).content.decode()
    assert ep.secret not in again and ep.secret_hint in again
    listing = admin_client_org.get(url("endpoint_list", org)).content.decode()
    assert "https://hooks.example.com/cx" in listing and ep.secret not in listing


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://10.0.0.1/", "private address"),
        ("https://[::ffff:127.0.0.1]/", "carries 127.0.0.1"),
        ("http://hooks.example.com/", "must start with https://"),
        ("https://internal.example.com/", "10.1.1.1 is a private address"),
    ],
)
def test_a_refused_destination_says_why_on_the_url_field(
    org, admin_client_org, resolver, address, why
):
    resolver.set("internal.example.com", ["10.1.1.1"])
    response = admin_client_org.post(
        url("endpoint_create", org), {"url": address, "events": ["wave.closed"]}
    )
    assert response.status_code == 200 and not Endpoint.objects.exists()
    errors = response.context["form"].errors
    assert why in " ".join(errors["url"])


def test_hostile_input_is_refused_without_a_500_and_text_is_escaped(
    org, admin_client_org, resolver
):
    for data in (
        {"url": "https://x.example.com/", "events": ["nope"]},
        {"url": "", "events": []},
        {"url": "https://" + "a" * 3000, "events": ["wave.closed"]},
        {"url": "https://x.example.com/\x00", "events": ["wave.closed"]},
        {"url": ["https://a.example.com/", "https://b.example.com/"], "events": "wave.closed"},
    ):
        response = admin_client_org.post(url("endpoint_create", org), data)
        assert response.status_code in (200, 400), data
    assert not Endpoint.objects.exists()
    resolver.set("x.example.com", ["93.184.216.34"])
    admin_client_org.post(
        url("endpoint_create", org),
        {
            "url": "https://x.example.com/<script>",
            "events": ["wave.closed"],
            "description": "<b>bold</b>",
        },
    )
    ep = Endpoint.objects.get()
    for name in ("endpoint_list", "endpoint_detail"):
        args = (ep.pk,) if name == "endpoint_detail" else ()
        page = admin_client_org.get(url(name, org, *args)).content.decode()
        assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
        assert "/&lt;script&gt;" in page and "/<script>" not in page


def test_edit_checks_again_and_reenabling_starts_afresh(org, admin_client_org, resolver):
    ep = endpoint(org, "https://hooks.example.com/a", is_active=False, consecutive_failures=20)
    resolver.set("hooks.example.com", ["93.184.216.34"])
    resolver.set("evil.example.com", ["169.254.169.254"])
    bad = admin_client_org.post(
        url("endpoint_edit", org, ep.pk),
        {"url": "https://evil.example.com/", "events": ["wave.closed"], "is_active": "on"},
    )
    assert "link-local" in " ".join(bad.context["form"].errors["url"])
    good = admin_client_org.post(
        url("endpoint_edit", org, ep.pk),
        {"url": "https://hooks.example.com/b", "events": ["wave.closed"], "is_active": "on"},
    )
    assert good.status_code == 302
    ep.refresh_from_db()
    assert ep.url.endswith("/b") and ep.is_active and ep.consecutive_failures == 0


def test_disable_cancels_what_waits_and_new_secret_is_shown_once(org, admin_client_org):
    ep = endpoint(org, "https://hooks.example.com/a")
    old = ep.secret
    emit(org, "wave.closed", {})
    admin_client_org.post(url("endpoint_disable", org, ep.pk))
    ep.refresh_from_db()
    assert not ep.is_active and Delivery.objects.get().state == State.CANCELLED
    page = admin_client_org.post(url("endpoint_rotate_secret", org, ep.pk), follow=True)
    ep.refresh_from_db()
    assert ep.secret != old and ep.secret in page.content.decode()


def test_a_delivery_shows_its_attempts_and_replays(org, admin_client_org, sent_tasks):
    from django.utils import timezone

    from cxaudit.webhooks.models import Attempt

    ep = endpoint(org, "https://hooks.example.com/a")
    emit(org, "wave.closed", {"wave": {"id": 9}})
    d = Delivery.objects.get()
    Attempt.objects.create(
        delivery=d,
        number=1,
        started_at=timezone.now(),
        status_code=502,
        latency_ms=1234,
        address="93.184.216.34",
        error="HTTP 502",
        response_excerpt="<h1>bad gateway</h1>",
    )
    page = admin_client_org.get(url("delivery_detail", org, d.pk)).content.decode()
    assert "1234 ms" in page and "502" in page and "&lt;h1&gt;bad gateway" in page
    response = admin_client_org.post(url("delivery_replay", org, d.pk))
    replay = Delivery.objects.exclude(pk=d.pk).get()
    assert response["Location"] == url("delivery_detail", org, replay.pk)
    assert replay.replay_of == d and replay.event_id == d.event_id
    listing = admin_client_org.get(url("endpoint_detail", org, ep.pk)).content.decode()
    assert "replay" in listing
    filtered = admin_client_org.get(url("endpoint_detail", org, ep.pk) + "?state=sent")
    assert "No delivery in this state" in filtered.content.decode()


def test_another_organisations_endpoint_and_delivery_answer_404(org, other_org, outsider):
    ep = endpoint(org, "https://hooks.example.com/a")
    emit(org, "wave.closed", {})
    d = Delivery.objects.get()
    client = Client()
    client.force_login(outsider)
    # The outsider's own organisation, our ids: 404 everywhere.
    for name, pk in [
        ("endpoint_detail", ep.pk),
        ("endpoint_edit", ep.pk),
        ("delivery_detail", d.pk),
    ]:
        assert client.get(url(name, other_org, pk)).status_code == 404
    for name, pk in [
        ("endpoint_disable", ep.pk),
        ("endpoint_rotate_secret", ep.pk),
        ("delivery_replay", d.pk),
    ]:
        assert client.post(url(name, other_org, pk)).status_code == 404
    ep.refresh_from_db()
    assert ep.is_active and Delivery.objects.count() == 1


def test_the_list_and_an_endpoints_page_take_a_constant_number_of_queries(
    org, admin_client_org, django_assert_max_num_queries
):
    for i in range(5):
        endpoint(org, f"https://hooks.example.com/{i}")
    for _ in range(10):
        emit(org, "wave.closed", {})
    ep = Endpoint.objects.first()
    with django_assert_max_num_queries(12):
        admin_client_org.get(url("endpoint_list", org))
    with django_assert_max_num_queries(12):
        admin_client_org.get(url("endpoint_detail", org, ep.pk))
