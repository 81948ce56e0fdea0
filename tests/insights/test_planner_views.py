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


def test_the_planner_page_on_hand_computed_figures(data, org, manager):
    """2026 Q3 of tests/insights/conftest.py, margin 5 points, 95 %, 25 % response rate.

    ANS, customers' perception 4, 5, 3 on 1-5 = 75, 100, 50 on 0-100: sd 25, so
    n = (1.959964 * 25 / 5)^2 = 96.04 -> 97 responses. Shoppers: 3 of 3 visits comply, p = 1,
    n = 1 -> raised to the small-sample floor of 30 visits.
    NPS: answers 10, 9, 8, 7, 6, 0, 10, 3, 9, 9: promoters 5/10, detractors 3/10,
    var = 0.5 + 0.3 - 0.2^2 = 0.76, n = 1.959964^2 * 0.76 / 0.05^2 = 1167.6 -> 1,168 responses,
    the largest need: 1,168 / 0.25 = 4,672 invitations.
    """
    response = _get(
        manager, org, wave=data["w1"].pk, margin="5", confidence="0.95", response_rate="25"
    )
    result = response.context["result"]
    ans = next(p for p in result["rows"] if p.code == "ANS")
    assert (ans.responses.needed, ans.responses.planned) == (97, 97)
    assert (ans.visits.needed, ans.visits.planned) == (1, 30)
    assert (result["nps"].needed, result["most_responses"]) == (1168, 1168)
    assert result["invitations"] == 4672
    assert b"4,672" in response.content or b"4672" in response.content


def test_the_response_rate_starts_at_the_last_finished_campaigns(data, org, manager, program_admin):
    """Ten invitations, eight delivered (two bounced), two completed: 2 / 8 = 25 %. A campaign
    still running does not count; before any finished campaign the page assumes 30 %."""
    from cxaudit.messaging.models import Message, State
    from surveys.models import Campaign, Invitation
    from surveys.outreach import launch, services
    from tests.outreach.helpers import answer, campaign, contacts, customer_survey

    assert _get(manager, org).context["form"].initial["response_rate"] == 30.0
    contacts(org, 10)
    survey = customer_survey(org, code="planner-csat")
    finished = campaign(org, survey, actor=program_admin, name="Autumn survey")
    services.launch_campaign(campaign=finished, actor=program_admin)
    launch.write_invitations(campaign_id=finished.pk)
    invitations = list(Invitation.objects.filter(campaign=finished).order_by("pk"))
    assert len(invitations) == 10
    Message.objects.filter(pk__in=[i.message_id for i in invitations[:8]]).update(
        state=State.SENT, sent_at=finished.expires_at
    )
    Message.objects.filter(pk__in=[i.message_id for i in invitations[8:]]).update(
        state=State.FAILED
    )
    for invitation in invitations[:2]:
        answer(invitation)
    assert _get(manager, org).context["form"].initial["response_rate"] == 30.0  # still sending
    Campaign.objects.filter(pk=finished.pk).update(
        status=Campaign.Status.CLOSED, closed_at=finished.expires_at
    )

    page = _get(manager, org)
    assert page.context["form"].initial["response_rate"] == 25.0
    assert page.context["result"]["invitations"] == -(-page.context["result"]["most_responses"] * 4)
    assert "that of the last finished campaign (Autumn survey)" in page.content.decode()
