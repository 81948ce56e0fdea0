"""One rule for the wave an insights page shows when none is asked for (waves.py), stated on
every page with a link to change it; "no data yet" for a wave without responses, and one note
instead of a flag on every figure for a wave with few."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from cxaudit.insights.waves import (
    LATEST,
    LATEST_ANY,
    LATEST_CLOSED,
    LATEST_ENOUGH,
    choose_wave,
    pick_default,
)
from cxaudit.journeys.models import Wave
from surveys.responses.services import record_response
from tests.factories import make_standard, make_survey


def wave(pk: int, name: str, month: int, status: str = "closed") -> Wave:
    return Wave(
        pk=pk,
        name=name,
        starts_on=dt.date(2026, month, 1),
        ends_on=dt.date(2026, month, 28),
        status=status,
    )


Q1, Q2, Q3, Q4 = (
    wave(1, "2026 Q1", 1),
    wave(2, "2026 Q2", 4),
    wave(3, "2026 Q3", 7),
    wave(4, "2026 Q4", 10, "open"),
)
WAVES = [Q3, Q1, Q4, Q2]  # any order


@pytest.mark.parametrize(
    ("counts", "expected", "reason"),
    [
        # The latest closed wave with enough responses, even when an open wave has more.
        ({1: 40, 2: 30, 3: 35, 4: 500}, Q3, LATEST_CLOSED),
        # A closed wave with too few responses is passed over for an earlier closed one.
        ({1: 40, 2: 30, 3: 29, 4: 500}, Q2, LATEST_CLOSED),
        # No closed wave has enough: the latest wave that has, open or not.
        ({1: 3, 3: 10, 4: 30}, Q4, LATEST_ENOUGH),
        # None has enough: the latest wave with any response (not the empty open wave).
        ({1: 3, 2: 12}, Q2, LATEST_ANY),
        # Nothing anywhere: the latest wave.
        ({}, Q4, LATEST),
    ],
)
def test_pick_default_follows_the_rule(counts, expected, reason):
    assert pick_default(WAVES, counts, minimum=30) == (expected, reason)


def test_pick_default_without_waves_is_none():
    assert pick_default([], {}, minimum=30) == (None, LATEST)


def test_pick_default_breaks_a_tie_of_start_dates_by_name():
    a, b = wave(7, "Spring A", 4), wave(8, "Spring B", 4)
    assert pick_default([b, a], {7: 30, 8: 30}, minimum=30) == (b, LATEST_CLOSED)


# --- with the database ------------------------------------------------------------------------


def make_waves(org):
    dates = {"2026 Q2": (4, "closed"), "2026 Q3": (7, "closed"), "2026 Q4": (10, "open")}
    return {
        name: Wave.objects.create(
            organization=org,
            name=name,
            starts_on=dt.date(2026, month, 1),
            ends_on=dt.date(2026, month, 28),
            status=status,
        )
        for name, (month, status) in dates.items()
    }


def answer(survey, wave, location, n: int = 1, value: int = 4):
    for _ in range(n):
        record_response(
            survey=survey, source="customer", raw_answers={"p": value}, wave=wave, location=location
        )


@pytest.fixture
def waves_data(org, location, settings):
    settings.CXAUDIT_SMALL_SAMPLE_N = 3
    from cxaudit.accounts.models import Location

    other = Location.objects.create(organization=org, code="MAN", name="Manchester")
    waves = make_waves(org)
    std = make_standard(org, "STD")
    survey = make_survey(
        org,
        [{"questions": [{"code": "p", "type": "rating", "standard": std, "aspect": "perception"}]}],
        code="cust",
        kind="customer",
    )
    answer(survey, waves["2026 Q2"], location, 3)
    answer(survey, waves["2026 Q3"], other, 3)  # enough in Q3 only at Manchester
    answer(survey, waves["2026 Q3"], location, 1)
    answer(survey, waves["2026 Q4"], location, 1)  # a first answer in the open wave
    return {"waves": waves, "kgx": location, "man": other, "survey": survey, "std": std}


@pytest.mark.django_db
def test_choose_wave_counts_within_the_locations_the_user_sees(org, waves_data):
    waves = list(Wave.objects.for_org(org))
    everywhere = choose_wave(org, waves=waves, asked=None)
    assert (everywhere.wave.name, everywhere.reason, everywhere.responses) == (
        "2026 Q3",
        LATEST_CLOSED,
        4,
    )
    at_kgx = choose_wave(org, waves=waves, asked=None, only_locations=[waves_data["kgx"]])
    assert (at_kgx.wave.name, at_kgx.reason, at_kgx.responses) == ("2026 Q2", LATEST_CLOSED, 3)
    asked = choose_wave(org, waves=waves, asked=waves_data["waves"]["2026 Q4"])
    assert (asked.wave.name, asked.chosen, asked.default.name) == ("2026 Q4", True, "2026 Q3")
    assert asked.little_data and not asked.no_data
    every = choose_wave(org, waves=waves, asked=None, all_waves=True)
    assert (every.wave, every.chosen, every.responses) == (None, True, 8)


def _get(user, url):
    c = Client()
    c.force_login(user)
    response = c.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page", ["insights:dashboard", "insights:heatmap", "insights:league", "standard", "report_card"]
)
def test_every_insights_page_shows_the_default_wave_and_says_why(
    org, program_admin, waves_data, page
):
    if page == "standard":
        url = reverse("insights:standard_detail", args=[org.slug, waves_data["std"].pk])
        field = "id_wave"
    elif page == "report_card":
        url = reverse("insights:report_card", args=[org.slug, "KGX"])
        field = "f-wave"
    else:
        url = reverse(page, args=[org.slug])
        field = "id_wave" if page == "insights:dashboard" else "f-wave"
    html = _get(program_admin, url)
    assert "<strong>2026 Q3</strong>\n  — the latest closed wave;" in html
    assert f'<a href="#{field}">change<span class="visually-hidden"> the wave</span></a>' in html
    assert "selected>2026 Q3</option>" in html or 'value="2026 Q3" selected' in html


@pytest.mark.django_db
def test_a_wave_without_responses_says_no_data_yet(org, program_admin, waves_data):
    empty = Wave.objects.create(
        organization=org,
        name="2027 Q1",
        starts_on=dt.date(2027, 1, 1),
        ends_on=dt.date(2027, 3, 31),
    )
    html = _get(program_admin, reverse("insights:league", args=[org.slug]) + f"?wave={empty.pk}")
    assert "No data yet in 2027 Q1." in html
    assert "by default 2026 Q3, the latest closed wave" in html
    assert "no shops" not in html  # not a table of empty rows
    html = _get(program_admin, reverse("insights:dashboard", args=[org.slug]) + "?wave=2027+Q1")
    assert "No data yet in 2027 Q1." in html
    assert "Largest gaps" not in html


@pytest.mark.django_db
def test_a_wave_with_few_responses_says_so_once_instead_of_on_every_figure(
    org, program_admin, waves_data
):
    q4 = waves_data["waves"]["2026 Q4"]
    html = _get(program_admin, reverse("insights:heatmap", args=[org.slug]) + f"?wave={q4.pk}")
    assert "Little data yet in 2026 Q4: 1 response so far." in html
    assert "Small sample" not in html
    assert "Too few answers yet" in html
    html = _get(program_admin, reverse("insights:dashboard", args=[org.slug]) + "?wave=2026+Q4")
    assert "Little data yet in 2026 Q4" in html
    assert "small sample</span>" not in html
    # The same figures in a wave with enough responses keep their flags.
    html = _get(program_admin, reverse("insights:dashboard", args=[org.slug]) + "?wave=2026+Q3")
    assert "Little data yet" not in html
