"""Each business service emits its event inside its own transaction: one delivery per
subscribed endpoint, written with the change (and none when the change is refused)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from cxaudit.errors import DomainError
from cxaudit.insights.actions import services as actions
from cxaudit.journeys import services as journeys
from cxaudit.webhooks.models import Delivery
from shoppers.review import services as review
from surveys.models import Invitation
from surveys.outreach import launch
from surveys.outreach import services as outreach
from surveys.responses.services import record_response
from tests.factories import make_survey, make_wave
from tests.insights.matrix_actions import _item
from tests.outreach.helpers import answer, campaign, contacts
from tests.shoppers.matrix_review import sent_shop
from tests.webhooks.helpers import endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening(org):
    return endpoint(org, "https://hooks.example.com/cx")


def bodies(event: str) -> list[dict]:
    return [
        json.loads(b) for b in Delivery.objects.filter(event=event).values_list("body", flat=True)
    ]


def test_submitting_a_response_emits_response_submitted(org, location, listening):
    survey = make_survey(org, [{"questions": [{"code": "ok", "type": "yes_no"}]}])
    wave = make_wave(org)
    response = record_response(
        survey=survey, source="customer", raw_answers={"ok": "yes"}, location=location, wave=wave
    )
    [body] = bodies("response.submitted")
    assert body["data"]["response"] == {
        "id": response.pk,
        "client_id": str(response.client_id),
        "survey_id": survey.pk,
        "source": "customer",
        "location_id": location.pk,
        "wave_id": wave.pk,
        "submitted_at": body["data"]["response"]["submitted_at"],
        "score_percent": 100.0,
        "knocked_out": False,
    }
    # Replaying the same submission changes nothing and emits nothing more.
    record_response(
        survey=survey, source="customer", raw_answers={"ok": "yes"}, client_id=response.client_id
    )
    assert len(bodies("response.submitted")) == 1


def test_approving_a_shop_emits_shop_approved(org, listening, reviewer):
    shop = sent_shop(org)
    Delivery.objects.all().delete()  # the visit form's own response.submitted
    review.approve_shop(assignment=shop, actor=reviewer)
    [body] = bodies("shop.approved")
    assert body["data"]["shop"]["id"] == shop.pk
    assert body["data"]["shop"]["response_id"] == shop.response_id
    assert body["data"]["shop"]["score_percent"] == 100.0
    with pytest.raises(DomainError):
        review.approve_shop(assignment=shop, actor=reviewer)  # refused: nothing emitted
    assert len(bodies("shop.approved")) == 1


def test_completing_an_invitation_emits_invitation_completed(
    org, location, program_admin, listening, sent_tasks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    contacts(org, 1, location=location)
    c = campaign(org, actor=program_admin)
    outreach.launch_campaign(campaign=c, actor=program_admin)
    launch.write_invitations(campaign_id=c.pk)
    invitation = Invitation.objects.get(campaign=c)
    response = answer(invitation)
    [body] = bodies("invitation.completed")
    assert body["data"]["invitation"]["id"] == invitation.pk
    assert body["data"]["invitation"]["response_id"] == response.pk
    assert body["data"]["invitation"]["campaign_id"] == c.pk
    assert len(bodies("response.submitted")) == 1  # the same submission, its own event


def test_action_item_changes_emit_action_item_changed(org, manager, listening, sent_tasks):
    from cxaudit.insights.actions.models import ActionItem

    item = ActionItem.objects.get(pk=_item(org)["pk"])
    actions.update_action(item=item, actor=manager, title="A sharper title")
    actions.change_status(item=item, actor=manager, to="in_progress")
    actions.add_comment(item=item, author=manager, text="Not a change of the item")
    changes = [
        (b["data"]["change"], b["data"]["action_item"]["status"])
        for b in bodies("action_item.changed")
    ]
    assert sorted(changes) == [("edited", "open"), ("status", "in_progress")]
    edited = next(b for b in bodies("action_item.changed") if b["data"]["change"] == "edited")
    assert edited["data"]["action_item"]["title"] == "A sharper title"
    assert edited["data"]["note"] == "Changed: title"


def test_closing_a_wave_emits_wave_closed(org, listening, sent_tasks):
    wave = make_wave(org, "2026 Q4", status="open")
    journeys.close_wave(wave=wave)
    [body] = bodies("wave.closed")
    assert body["data"]["wave"] == {
        "id": wave.pk,
        "name": "2026 Q4",
        "starts_on": wave.starts_on.isoformat(),
        "ends_on": wave.ends_on.isoformat(),
        "status": "closed",
    }
    with pytest.raises(DomainError):
        journeys.close_wave(wave=wave)
    assert len(bodies("wave.closed")) == 1


def test_an_endpoint_of_another_organisation_hears_nothing(org, other_org, sent_tasks):
    endpoint(other_org, "https://hooks.example.com/other")
    journeys.close_wave(wave=make_wave(org, "2026 Q4", status="open"))
    assert not Delivery.objects.exists()


def test_creating_an_action_item_emits_created(org, location, manager, listening, sent_tasks):
    from tests.insights import action_data

    d = action_data.build(org, location, after="better")
    Delivery.objects.all().delete()  # the responses the setting recorded
    item = actions.create_action(
        scope=actions.GapScope(
            organization=org, wave=d["w1"], gap="self_vs_perceived", standard=d["standard"]
        ),
        actor=manager,
        owner=manager,
        title="Coach the team",
        due_date=timezone.localdate() + dt.timedelta(days=30),
        root_cause="expertise",
    )
    [body] = bodies("action_item.changed")
    assert body["data"]["change"] == "created" and body["data"]["action_item"]["id"] == item.pk
