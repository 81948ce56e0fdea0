"""The webhook pages in Chromium on a 390 px phone: register an endpoint with the keyboard, read
its secret once, and look at an endpoint and a delivery with long addresses, errors and bodies;
nothing scrolls sideways, no console error, no missing file."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse
from django.utils import timezone

from cxaudit.webhooks.models import Attempt, Delivery, Endpoint
from cxaudit.webhooks.services import emit
from tests.conftest import login
from tests.webhooks.helpers import endpoint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("CXAUDIT_SCREENSHOTS")
LONG = "https://hooks.example.com/" + "very-long-path-segment/" * 8 + "?token=abc"


def test_webhook_pages_on_a_phone(page, live_server, org, program_admin):
    slug = org.slug
    ep = endpoint(org, LONG, description="Warehouse loader " * 5)
    emit(org, "wave.closed", {"wave": {"id": 1, "name": "A rather long wave name " * 4}})
    d = Delivery.objects.get()
    Attempt.objects.create(
        delivery=d,
        number=1,
        started_at=timezone.now(),
        status_code=502,
        latency_ms=812,
        address="2606:4700:4700::1111",
        error="HTTPSConnectionPool: Max retries exceeded with url: " + "x" * 300,
        response_excerpt="<html>" + "bad gateway " * 80,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    errors, missing = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and missing.append((r.status, r.url)))
    login(page, program_admin.email)

    # Register one with the keyboard only.
    page.goto(live_server.url + reverse("webhooks:endpoint_create", args=[slug]))
    page.get_by_label("URL").fill("https://93.184.216.34/hooks/cxaudit")
    page.get_by_label("Wave closed").check()
    page.get_by_label("Mystery shop approved").press("Space")
    page.get_by_role("button", name="Register").press("Enter")
    page.wait_for_url("**/webhooks/*/")
    made = Endpoint.objects.exclude(pk=ep.pk).get()
    assert page.locator("#secret").input_value() == made.secret
    assert made.events == ["shop.approved", "wave.closed"]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/webhooks-secret-390.png", full_page=True)
    page.reload()
    assert page.locator("#secret").count() == 0  # shown once

    pages = {
        "list": reverse("webhooks:endpoint_list", args=[slug]),
        "new": reverse("webhooks:endpoint_create", args=[slug]),
        "endpoint": reverse("webhooks:endpoint_detail", args=[slug, ep.pk]),
        "edit": reverse("webhooks:endpoint_edit", args=[slug, ep.pk]),
        "delivery": reverse("webhooks:delivery_detail", args=[slug, d.pk]),
    }
    wide = {}
    for name, url in pages.items():
        response = page.goto(live_server.url + url)
        assert response.status == 200, (name, response.status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[name] = width
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/webhooks-{name}-390.png", full_page=True)
    assert not wide, f"pages wider than the phone: {wide}"
    # Replay from the delivery's page.
    page.get_by_role("button", name="Replay").click()
    page.wait_for_url("**/deliveries/*/")
    assert Delivery.objects.filter(replay_of=d).count() == 1
    assert not errors and not missing, (errors, missing)
