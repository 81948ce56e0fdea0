"""A shop's report card and its print view: score, sections, item-by-item points, knock-outs,
evidence, the narrative (escaped), the location's and organisation's wave averages of approved
shops; and who may see which shop (staff every sent shop, managers approved shops of their
locations, a shopper their own) — 404 for everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shoppers.models import Assignment
from shoppers.reports.sheet import wave_averages
from tests.factories import make_wave
from tests.shoppers.conftest import add_shopper
from tests.shoppers.pages import client_of, url
from tests.shoppers.shops import approved, approved_with_photo, make_shop

S = Assignment.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def full_shop(org, job, ann, reviewer):
    """An approved shop with a photo, a narrative with markup and one failed item."""
    return approved_with_photo(job, ann, reviewer, "Waited <b>4 minutes</b>; & then served.")


def test_the_report_card_shows_score_sections_items_evidence_and_narrative(org, full_shop, manager):
    page = client_of(manager).get(url("shop_report", org, full_shop.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "50%" in html and "1 of 2 points" in html
    assert "At the desk" in html  # the section
    assert 'id="q-greet"' in html and "1 / 1" in html and "0 / 1" in html
    assert reverse("surveys:evidence_file", args=[org.slug, full_shop.evidence_key]) in html
    assert "Waited &lt;b&gt;4 minutes&lt;/b&gt;; &amp; then served." in html
    assert "<b>4 minutes</b>" not in html
    assert "Correct this answer" not in html  # read-only
    assert "ann@shoppers.test" not in html and "Ann" not in html  # managers see no shopper
    printed = client_of(manager).get(url("shop_report_print", org, full_shop.pk))
    assert printed.status_code == 200 and b"Print" in printed.content


def test_the_report_card_compares_with_the_location_and_organisation_wave_averages(
    org, scenario, location, second_location, wave, ann, manager
):
    mine = approved(scenario, location, wave, ann, {"greet": "yes", "smile": "yes"})  # 100
    approved(scenario, location, wave, ann, {"greet": "no", "smile": "no"})  # 0
    approved(scenario, second_location, wave, ann, {"greet": "yes", "smile": "no"})  # 50
    # Neither an unapproved shop nor another wave's counts.
    make_shop(S.SUBMITTED, scenario=scenario, location=location, wave=wave, shopper=ann)
    approved(scenario, location, make_wave(org, "Earlier"), ann, {"greet": "no", "smile": "no"})
    here, everywhere = wave_averages(Assignment.objects.get(pk=mine.pk))
    assert (here.mean, here.n) == (50.0, 2)
    assert (everywhere.mean, everywhere.n) == (50.0, 3)
    html = client_of(manager).get(url("shop_report", org, mine.pk)).content.decode()
    assert "Kingsbridge, 2026 Q4" in html and "Whole organisation, 2026 Q4" in html


def test_a_knock_out_is_shown(org, visit_form, scenario, location, wave, ann, manager):
    visit_form.questions.filter(code="greet").update(critical=True)
    shop = approved(scenario, location, wave, ann, {"greet": "no", "smile": "yes"})
    html = client_of(manager).get(url("shop_report", org, shop.pk)).content.decode()
    assert "Knock-out" in html and "knocked out" in html


# -- who sees which shop -----------------------------------------------------------------------


def test_managers_see_approved_shops_only(
    org, scenario, location, wave, ann, manager, reviewer, program_admin
):
    waiting = make_shop(S.SUBMITTED, scenario=scenario, location=location, wave=wave, shopper=ann)
    rejected = make_shop(S.REJECTED, scenario=scenario, location=location, wave=wave, shopper=ann)
    for shop in (waiting, rejected):
        assert client_of(manager).get(url("shop_report", org, shop.pk)).status_code == 404
        for staff in (reviewer, program_admin):
            page = client_of(staff).get(url("shop_report", org, shop.pk))
            assert page.status_code == 200
            assert b"it does not count in any figure" in page.content


def test_a_manager_limited_to_other_locations_gets_404(
    org, scenario, location, wave, ann, manager, limited_manager, inside
):
    shop = approved(scenario, location, wave, ann, {"greet": "yes", "smile": "yes"})
    assert client_of(manager).get(url("shop_report", org, shop.pk)).status_code == 200
    assert client_of(limited_manager).get(url("shop_report", org, shop.pk)).status_code == 404
    there = approved(scenario, inside, wave, ann, {"greet": "yes", "smile": "yes"})
    assert client_of(limited_manager).get(url("shop_report", org, there.pk)).status_code == 200


def test_a_shopper_sees_their_own_shops_never_anothers(
    org, scenario, location, wave, ann, bob, full_shop
):
    assert client_of(ann).get(url("shop_report", org, full_shop.pk)).status_code == 200
    assert client_of(bob).get(url("shop_report", org, full_shop.pk)).status_code == 404
    assert client_of(bob).get(url("shop_report_print", org, full_shop.pk)).status_code == 404
    page = client_of(ann).get(url("assignment", org, full_shop.pk))
    assert url("shop_report", org, full_shop.pk).encode() in page.content


def test_a_shop_without_a_sent_form_has_no_report_card(
    org, scenario, location, wave, ann, program_admin
):
    for status in (S.OPEN, S.IN_PROGRESS, S.RETURNED):
        shop = make_shop(status, scenario=scenario, location=location, wave=wave, shopper=ann)
        assert client_of(program_admin).get(url("shop_report", org, shop.pk)).status_code == 404


def test_outsiders_and_other_organisations_get_404(org, full_shop, outsider, other_org):
    assert client_of(outsider).get(url("shop_report", org, full_shop.pk)).status_code == 404
    # A shopper of another organisation, naming this shop under their own organisation.
    other_shopper = add_shopper(other_org, "x@other.test")
    response = client_of(other_shopper).get(url("shop_report", other_org, full_shop.pk))
    assert response.status_code == 404


def test_the_report_card_takes_a_bounded_number_of_queries(
    org, full_shop, manager, django_assert_max_num_queries
):
    client = client_of(manager)
    with django_assert_max_num_queries(16):
        assert client.get(url("shop_report", org, full_shop.pk)).status_code == 200


def test_the_location_report_card_links_its_approved_shops(
    org, scenario, location, wave, ann, manager
):
    shop = approved(scenario, location, wave, ann, {"greet": "yes", "smile": "no"})
    make_shop(S.SUBMITTED, scenario=scenario, location=location, wave=wave, shopper=ann)
    card = reverse("insights:report_card", args=[org.slug, location.code])
    html = client_of(manager).get(f"{card}?wave={wave.pk}").content.decode()
    assert url("shop_report", org, shop.pk) in html
    assert html.count("/shop-reports/") == 1  # the submitted shop is not listed
