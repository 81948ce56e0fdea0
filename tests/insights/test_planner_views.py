"""The wave planner page."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _get(user, org, **query):
    c = Client()
    c.force_login(user)
    return c.get(reverse("insights:wave_planner", args=[org.slug]), query)


def test_the_planner_gives_visits_responses_and_invitations_per_standard(data, org, manager):
    response = _get(
        manager, org, wave=data["w1"].pk, margin="10", confidence="0.95", response_rate="25"
    )
    assert response.status_code == 200
    result = response.context["result"]
    codes = [p.code for p in result["rows"]]
    assert codes == ["ANS", "TIME"]
    # Every figure is planned at 30 at least (the small-sample threshold).
    assert all(p.visits.planned >= 30 and p.responses.planned >= 30 for p in result["rows"])
    assert result["invitations"] == -(-result["most_responses"] * 100 // 25)
    assert b"Invitations to send" in response.content


def test_the_planner_defaults_to_the_latest_wave_and_refuses_bad_input(data, org, manager):
    assert _get(manager, org).context["result"]["rows"]
    bad = _get(manager, org, margin="0", confidence="2", response_rate="-1", wave="999999")
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"margin", "confidence", "response_rate", "wave"}
    assert "result" not in bad.context


def test_the_waves_page_links_to_the_planner(data, org, manager):
    c = Client()
    c.force_login(manager)
    page = c.get(reverse("journeys:wave_list", args=[org.slug]))
    assert reverse("insights:wave_planner", args=[org.slug]).encode() in page.content
