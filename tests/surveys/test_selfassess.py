"""Self-assessment rounds: launching, closing, who is asked what, starting a draft once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cxaudit.accounts.models import Location, Membership
from cxaudit.errors import DomainError
from surveys.models import Response, SelfAssessmentRound, Source, Survey
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


@pytest.fixture
def wave(org):
    return make_wave(org, "2026 Q4", status="open")


@pytest.fixture
def round(self_survey, wave, program_admin) -> SelfAssessmentRound:
    return selfassess.launch_round(survey=self_survey, wave=wave, actor=program_admin)


def membership(user, org) -> Membership:
    return Membership.objects.get(user=user, organization=org)


# -- services ----------------------------------------------------------------------------------


def test_launch_round_opens_a_round(round, self_survey, wave, program_admin):
    assert round.status == SelfAssessmentRound.Status.OPEN
    assert (round.survey, round.wave, round.launched_by) == (self_survey, wave, program_admin)


def test_launch_round_twice_returns_the_same_round(round, self_survey, wave, program_admin):
    again = selfassess.launch_round(survey=self_survey, wave=wave, actor=program_admin)
    assert again.pk == round.pk
    assert SelfAssessmentRound.objects.count() == 1


def test_launch_round_reopens_a_closed_round(round, self_survey, wave):
    selfassess.close_round(round=round, actor=None)
    again = selfassess.launch_round(survey=self_survey, wave=wave, actor=None)
    assert again.pk == round.pk and again.status == SelfAssessmentRound.Status.OPEN


def test_launch_round_refuses_a_closed_wave(org, self_survey):
    closed = make_wave(org, "2026 Q2", status="closed")
    with pytest.raises(DomainError) as exc:
        selfassess.launch_round(survey=self_survey, wave=closed, actor=None)
    assert exc.value.field == "wave"


def test_launch_round_refuses_other_kinds_and_drafts(org, wave):
    shop = make_survey(org, [{"questions": [{"code": "q", "type": "yes_no"}]}], code="shop")
    draft = make_survey(
        org,
        [{"questions": [{"code": "q", "type": "rating"}]}],
        code="draft-self",
        kind=Survey.Kind.SELF_ASSESSMENT,
        status=Survey.Status.DRAFT,
    )
    for survey in (shop, draft):
        with pytest.raises(DomainError) as exc:
            selfassess.launch_round(survey=survey, wave=wave, actor=None)
        assert exc.value.field == "survey"


def test_launch_round_refuses_another_orgs_wave(self_survey, other_org):
    with pytest.raises(DomainError):
        selfassess.launch_round(survey=self_survey, wave=make_wave(other_org), actor=None)


def test_launch_round_refuses_a_past_closing_date(self_survey, wave):
    with pytest.raises(DomainError) as exc:
        selfassess.launch_round(
            survey=self_survey, wave=wave, actor=None, closes_on=dt.date(2000, 1, 1)
        )
    assert exc.value.field == "closes_on"


def test_manager_of_the_whole_org_gets_one_org_wide_item(round, manager, org, location):
    items = selfassess.my_self_assessments(membership=membership(manager, org))
    assert [(i.round.pk, i.location, i.status) for i in items] == [(round.pk, None, "not_started")]


def test_manager_limited_to_locations_gets_one_item_per_location(round, manager, org, location):
    second = Location.objects.create(organization=org, code="HBS", name="Harbour")
    Location.objects.create(organization=org, code="MFP", name="Millford")  # not theirs
    m = membership(manager, org)
    m.locations.set([location, second])
    items = selfassess.my_self_assessments(membership=m)
    assert sorted(i.location.code for i in items) == ["HBS", "KGX"]


def test_reviewer_and_shopper_are_asked_nothing(round, reviewer, shopper, org):
    for user in (reviewer, shopper):
        assert selfassess.my_self_assessments(membership=membership(user, org)) == []


def test_closed_and_expired_rounds_are_not_listed(round, manager, org, wave, self_survey):
    selfassess.close_round(round=round, actor=None)
    assert selfassess.my_self_assessments(membership=membership(manager, org)) == []
    round.status = SelfAssessmentRound.Status.OPEN
    round.closes_on = dt.date(2000, 1, 1)
    round.save()
    assert selfassess.my_self_assessments(membership=membership(manager, org)) == []


def test_start_twice_makes_one_draft(round, manager, org):
    first = selfassess.start_self_assessment(round=round, user=manager, location=None)
    second = selfassess.start_self_assessment(round=round, user=manager, location=None)
    assert first.pk == second.pk
    assert (first.source, first.wave, first.respondent, first.location) == (
        Source.SELF,
        round.wave,
        manager,
        None,
    )
    assert Response.objects.count() == 1
    [item] = selfassess.my_self_assessments(membership=membership(manager, org))
    assert item.status == "draft"


def test_start_refuses_a_location_not_asked(round, manager, location):
    with pytest.raises(DomainError):
        selfassess.start_self_assessment(round=round, user=manager, location=location)


def test_start_refuses_a_closed_round(round, manager):
    selfassess.close_round(round=round, actor=None)
    with pytest.raises(DomainError):
        selfassess.start_self_assessment(round=round, user=manager, location=None)


def test_start_uses_the_newly_published_version(round, manager, org, self_survey):
    Survey.objects.filter(pk=self_survey.pk).update(status=Survey.Status.ARCHIVED)
    v2 = make_survey(
        org,
        [{"questions": [{"code": "fast", "type": "rating"}]}],
        code="self",
        kind=Survey.Kind.SELF_ASSESSMENT,
        version=2,
    )
    round = SelfAssessmentRound.objects.get(pk=round.pk)
    response = selfassess.start_self_assessment(round=round, user=manager, location=None)
    assert response.survey == v2


def test_submitted_self_assessment_is_listed_as_submitted(round, manager, org):
    from surveys.responses import services

    response = selfassess.start_self_assessment(round=round, user=manager, location=None)
    services.submit_form(response=response, raw_answers={"fast": "4"})
    [item] = selfassess.my_self_assessments(membership=membership(manager, org))
    assert item.status == "submitted" and not item.waiting
    assert selfassess.waiting_count(membership=membership(manager, org)) == 0


# -- views -------------------------------------------------------------------------------------


def test_my_list_shows_items_and_starts_once(
    client, round, manager, org, django_assert_max_num_queries
):
    client.force_login(manager)
    url = reverse("surveys:selfassess_mine", args=[org.slug])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert "How fast are we?" in page.content.decode()
    assert "Not started" in page.content.decode()
    start = reverse("surveys:selfassess_start", args=[org.slug, round.pk])
    first = client.post(start)
    second = client.post(start)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    response = Response.objects.get()
    assert first["Location"] == reverse("surveys:respond", args=[org.slug, response.client_id])
    assert "Draft saved" in client.get(url).content.decode()


def test_my_list_query_count_does_not_grow_with_rounds(
    client, manager, org, self_survey, django_assert_max_num_queries
):
    for i in range(5):
        selfassess.launch_round(survey=self_survey, wave=make_wave(org, f"W{i}"), actor=None)
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("surveys:selfassess_mine", args=[org.slug]))
    assert page.content.decode().count("Not started") == 5


def test_start_for_a_location_not_mine_is_404(client, round, manager, org, location):
    client.force_login(manager)
    url = reverse("surveys:selfassess_start", args=[org.slug, round.pk])
    assert client.post(url, {"location": location.pk}).status_code == 404
    assert client.post(url, {"location": "nonsense"}).status_code == 404


def test_other_users_draft_is_404(client, round, manager, program_admin, org):
    theirs = selfassess.start_self_assessment(round=round, user=program_admin, location=None)
    client.force_login(manager)
    url = reverse("surveys:respond", args=[org.slug, theirs.client_id])
    assert client.get(url).status_code == 404


def test_outsider_gets_404(client, round, outsider, org):
    client.force_login(outsider)
    assert client.get(reverse("surveys:selfassess_mine", args=[org.slug])).status_code == 404
    start = reverse("surveys:selfassess_start", args=[org.slug, round.pk])
    assert client.post(start).status_code == 404


def test_round_of_another_org_is_404(client, program_admin, org, other_org):
    other_round = SelfAssessmentRound.objects.create(
        organization=other_org,
        survey=make_survey(
            other_org,
            [{"questions": [{"code": "q", "type": "rating"}]}],
            kind=Survey.Kind.SELF_ASSESSMENT,
        ),
        wave=make_wave(other_org),
    )
    client.force_login(program_admin)
    for name in ("surveys:selfassess_start", "surveys:selfassess_close"):
        assert client.post(reverse(name, args=[org.slug, other_round.pk])).status_code == 404
    other_round.refresh_from_db()
    assert other_round.status == SelfAssessmentRound.Status.OPEN


def test_staff_launch_and_close_a_round(client, program_admin, org, self_survey, wave):
    client.force_login(program_admin)
    launch = reverse("surveys:selfassess_launch", args=[org.slug])
    page = client.post(launch, {"survey": self_survey.pk, "wave": wave.pk, "closes_on": ""})
    assert page.status_code == 302
    round = SelfAssessmentRound.objects.get()
    again = client.post(launch, {"survey": self_survey.pk, "wave": wave.pk})
    assert again.status_code == 302 and SelfAssessmentRound.objects.count() == 1
    listing = client.get(reverse("surveys:selfassess_rounds", args=[org.slug]))
    assert "How fast are we?" in listing.content.decode()
    client.post(reverse("surveys:selfassess_close", args=[org.slug, round.pk]))
    round.refresh_from_db()
    assert round.status == SelfAssessmentRound.Status.CLOSED


def test_launch_form_shows_service_errors(client, program_admin, org, self_survey, wave):
    client.force_login(program_admin)
    page = client.post(
        reverse("surveys:selfassess_launch", args=[org.slug]),
        {"survey": self_survey.pk, "wave": wave.pk, "closes_on": "2000-01-01"},
    )
    assert page.status_code == 200
    assert "The closing date is in the past." in page.content.decode()
    assert not SelfAssessmentRound.objects.exists()


def test_round_list_query_count(
    client, program_admin, org, self_survey, django_assert_max_num_queries
):
    for i in range(4):
        selfassess.launch_round(survey=self_survey, wave=make_wave(org, f"W{i}"), actor=None)
    client.force_login(program_admin)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("surveys:selfassess_rounds", args=[org.slug]))
    assert page.content.decode().count("Close<span") == 4


def test_user_text_is_escaped(client, manager, org, wave, location):
    survey = make_survey(
        org,
        [{"questions": [{"code": "q", "type": "rating"}]}],
        code="xss",
        kind=Survey.Kind.SELF_ASSESSMENT,
        title="<script>alert(1)</script>",
    )
    Location.objects.filter(pk=location.pk).update(name="<b>Kings</b>")
    selfassess.launch_round(survey=survey, wave=wave, actor=None)
    membership(manager, org).locations.set([location])
    client.force_login(manager)
    body = client.get(reverse("surveys:selfassess_mine", args=[org.slug])).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<b>Kings</b>" not in body and "&lt;b&gt;Kings&lt;/b&gt;" in body


def test_dashboard_tile_and_nav_show_waiting_count(client, round, manager, org):
    client.force_login(manager)
    body = client.get(reverse("accounts:org_home", args=[org.slug])).content.decode()
    assert "My self-assessments" in body
    assert "self-assessment waiting" in body
