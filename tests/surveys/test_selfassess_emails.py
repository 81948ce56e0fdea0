"""Launching a self-assessment round tells the members asked, by email through the outbox:
written in the launch's transaction, one message per member and round (launching again tells
only who was not told), checked again when sent, delivered over SMTP."""

from __future__ import annotations

import pytest

from cxaudit.accounts.models import Location, Membership, Role, User
from cxaudit.messaging.models import Message, State
from cxaudit.messaging.services import deliver_due
from surveys.models import Survey
from surveys.selfassess import emails
from surveys.selfassess import services as selfassess
from tests.factories import make_survey, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def self_survey(org) -> Survey:
    return make_survey(
        org,
        [{"questions": [{"code": "fast", "type": "rating", "required": True}]}],
        code="self",
        kind=Survey.Kind.SELF_ASSESSMENT,
        title="How fast are we?",
    )


def told() -> list[str]:
    return sorted(
        Message.objects.filter(purpose=emails.LAUNCHED).values_list("to_email", flat=True)
    )


def test_launching_tells_each_member_asked_once_per_round(
    org, roles, self_survey, location, sent_tasks, django_capture_on_commit_callbacks
):
    wave = make_wave(org, "2026 Q4")
    with django_capture_on_commit_callbacks(execute=True):
        round_ = selfassess.launch_round(
            survey=self_survey, wave=wave, actor=roles.users["program_admin"]
        )
    # Program admins and client managers (also one limited to a location) self-assess;
    # reviewers, shoppers and the other organisation's admin are not asked.
    assert told() == ["admin@acme.test", "limited@acme.test", "manager@acme.test"]
    assert [t.name for t in sent_tasks] == ["messaging.dispatch"]  # one wake-up, not one each
    message = Message.objects.get(to_email="manager@acme.test")
    assert message.key == emails.message_key(round_.pk, roles.users["manager"].pk)
    assert message.organization_id == org.pk

    # Launching again tells nobody twice; a manager added since is told.
    newcomer = User.objects.create_user(email="new@acme.test", password="x" * 12)
    Membership.objects.create(user=newcomer, organization=org, role=Role.CLIENT_MANAGER)
    selfassess.launch_round(survey=self_survey, wave=wave, actor=None)
    assert told() == ["admin@acme.test", "limited@acme.test", "manager@acme.test", "new@acme.test"]

    # A manager limited to inactive locations only has nothing to assess: not told.
    idle = User.objects.create_user(email="idle@acme.test", password="x" * 12)
    closed = Location.objects.create(organization=org, code="OLD", name="Old", is_active=False)
    Membership.objects.create(user=idle, organization=org, role=Role.CLIENT_MANAGER).locations.set(
        [closed]
    )
    other = make_wave(org, "2027 Q1")
    selfassess.launch_round(survey=self_survey, wave=other, actor=None)
    assert Message.objects.filter(to_email="idle@acme.test").count() == 0


def test_a_failed_launch_tells_nobody(org, roles, self_survey):
    closed = make_wave(org, "2026 Q1", status="closed")
    with pytest.raises(Exception, match="closed"):
        selfassess.launch_round(survey=self_survey, wave=closed, actor=None)
    assert told() == []


def test_the_email_is_delivered_with_the_round_and_the_link(
    org, roles, self_survey, sent_tasks, smtp_sink
):
    manager = roles.users["manager"]
    location = Location.objects.create(organization=org, code="LDS", name="Leeds centre")
    Membership.objects.get(user=manager, organization=org).locations.set([location])
    selfassess.launch_round(survey=self_survey, wave=make_wave(org, "2026 Q4"), actor=None)
    deliver_due()
    mail = next(m["message"] for m in smtp_sink.messages if m["to"] == ["manager@acme.test"])
    assert mail["Subject"] == "Your self-assessment for 2026 Q4: How fast are we?"
    text = mail.get_body(("plain",)).get_content()
    assert "You are asked for: Leeds centre." in text
    assert f"/o/{org.slug}/self-assessments/" in text
    html = mail.get_body(("html",)).get_content()
    assert f'href="http://localhost:8000/o/{org.slug}/self-assessments/"' in html or (
        f"/o/{org.slug}/self-assessments/" in html
    )


def test_a_round_closed_before_sending_is_not_emailed(org, roles, self_survey, sent_tasks):
    round_ = selfassess.launch_round(survey=self_survey, wave=make_wave(org, "2026 Q4"), actor=None)
    selfassess.close_round(round=round_, actor=None)
    deliver_due()
    states = set(Message.objects.filter(purpose=emails.LAUNCHED).values_list("state", flat=True))
    assert states == {State.CANCELLED}
